"""`Any` stands only at the JSON and YAML boundaries: where text is decoded into values nothing has checked yet
(`scripts/code_stats.py` defines them: `BOUNDARY_MODULES`, `BOUNDARY_FUNCTIONS`). Past a boundary every value
has a real type, so mypy --strict sees a misspelled key or a wrong shape."""

from __future__ import annotations

from pathlib import Path

from conftest import ROOT, load_code_stats

FIX = ("give it a real type: `skillgit.jsontypes` JSON/JSONObject for what skillgit writes, a TypedDict or "
       "dataclass for a known shape, a Protocol for a third-party object, or `object` narrowed with isinstance; "
       "`Any` stays only in a function that decodes JSON or YAML (scripts/code_stats.py BOUNDARY_FUNCTIONS)")


def test_any_appears_only_at_the_json_and_yaml_boundaries() -> None:
    stats = load_code_stats()
    stray = [f"{use}: {FIX}" for use in stats.any_uses(ROOT / "skillgit") if use.path not in stats.PENDING]
    assert stray == []


def test_the_files_still_using_any_use_no_more_than_listed() -> None:
    """PENDING only shrinks: a file listed there may lose `Any` uses, never gain one."""
    stats = load_code_stats()
    counts = stats.any_counts(stats.any_uses(ROOT / "skillgit"))
    grown = [f"{path}: {counts[path]} uses of Any, {limit} listed in PENDING; {FIX}"
             for path, limit in sorted(stats.PENDING.items()) if counts.get(path, 0) > limit]
    assert grown == []


def test_every_listed_boundary_decodes_json_or_yaml() -> None:
    """A function listed as a boundary must exist and decode text; the list cannot excuse ordinary code."""
    assert load_code_stats().boundary_problems(ROOT / "skillgit") == []


def test_the_counter_sees_every_spelling_of_any(tmp_path: Path) -> None:
    """Annotations, `typing.Any`, string annotations and a TypeAlias's text all count; the import, a
    docstring and a comment do not; a use inside a listed boundary function is at the boundary."""
    stats = load_code_stats()
    package = tmp_path / "skillgit"
    (package / "yamlio").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "yamlio" / "__init__.py").write_text(
        'import json\nimport typing\nfrom typing import Any, TypeAlias\n\n\n'
        'def load_yaml(text: str) -> Any:\n    return json.loads(text)\n\n\n'
        'def loose(x: Any, y: "list[Any]") -> typing.Any:\n    """Any input."""  # Any\n    return x\n\n\n'
        'Alias: TypeAlias = "dict[str, Any]"\n')
    outside = [(u.path, u.line, u.function) for u in stats.any_uses(package)]
    assert outside == [("skillgit/yamlio/__init__.py", 10, "loose"), ("skillgit/yamlio/__init__.py", 10, "loose"),
                       ("skillgit/yamlio/__init__.py", 10, "loose"), ("skillgit/yamlio/__init__.py", 15, None)]
    inside = [(u.line, u.function) for u in stats.any_uses(package, boundaries=True)]
    assert inside == [(6, "load_yaml")]
    assert str(stats.AnyUse("skillgit/a.py", 3, "f")) == "skillgit/a.py:3 (in f)"
