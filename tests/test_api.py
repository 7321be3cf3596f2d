"""The public API: `skillgit.__all__` resolves lazily, `help(skillgit)` shows it, docs/api.md is current."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys

import pytest
from conftest import ROOT

import skillgit


def python(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PAGER": "cat", "TERM": "dumb"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False, cwd=ROOT)


def test_the_api_reference_is_up_to_date() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_api_docs.py"), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", [n for n in skillgit.__all__ if n != "__version__"])
def test_every_exported_name_resolves_to_a_documented_object_of_that_name(name: str) -> None:
    obj = getattr(skillgit, name)
    assert obj.__name__ == name
    assert obj.__module__ == skillgit._EXPORTS[name]
    assert (inspect.getdoc(obj) or "").strip(), f"skillgit.{name} has no docstring"


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="module 'skillgit' has no attribute 'no_such_name'"):
        skillgit.no_such_name  # noqa: B018


def test_importing_skillgit_imports_nothing_else_of_it() -> None:
    result = python("import sys, skillgit; print(sorted(m for m in sys.modules if m.startswith('skillgit')))")
    assert result.stdout.strip() == "['skillgit']", result.stderr


def test_help_shows_the_api() -> None:
    result = python("import skillgit; help(skillgit)")
    assert result.returncode == 0, result.stderr
    for name in ("Workspace", "refine(ws: 'Workspace'", "journal(", "verify(", "ingest_paths(", "compute_metrics(", "gate(",
                 "run_cycle(", "class GateResult", "skillgit.Workspace.open(\"path/to/skills-repo\")"):
        assert name in result.stdout, f"{name!r} not in help(skillgit)"


def test_dir_lists_the_api() -> None:
    assert set(skillgit.__all__) <= set(dir(skillgit))


def test_all_names_exactly_the_lazy_exports() -> None:
    assert skillgit.__all__ == ["__version__", *skillgit._EXPORTS]
