"""The package's modules import each other without cycles, counting the imports inside functions and
those made for type checking only (`python scripts/code_stats.py` prints the same graphs' cycles)."""

from __future__ import annotations

from conftest import ROOT, load_code_stats


def test_no_import_cycles_at_run_time() -> None:
    stats = load_code_stats()
    trees = stats.parse_package(ROOT / "skillgit")
    assert stats.cycles(stats.import_graph(trees, top_only=False, typing=False)) == []


def test_no_import_cycles_counting_the_imports_for_type_checking() -> None:
    """A module named only in annotations is still a module the reader must understand first."""
    stats = load_code_stats()
    trees = stats.parse_package(ROOT / "skillgit")
    assert stats.cycles(stats.import_graph(trees, top_only=False, typing=True)) == []


def test_nothing_in_the_package_imports_the_package_root() -> None:
    """The root (`skillgit/__init__.py`) names every module of the API for type checking; a module that
    imported it would close a cycle through all of them."""
    stats = load_code_stats()
    trees = stats.parse_package(ROOT / "skillgit")
    graph = stats.import_graph(trees, top_only=False, typing=True)
    assert sorted(m for m, targets in graph.items() if "skillgit" in targets) == []


def test_the_graph_sees_imports_inside_functions() -> None:
    """The check would catch a cycle closed by an import inside a function (the package has such imports)."""
    stats = load_code_stats()
    trees = stats.parse_package(ROOT / "skillgit")
    at_import = stats.import_graph(trees, top_only=True, typing=False)
    at_run = stats.import_graph(trees, top_only=False, typing=False)
    assert "skillgit.cycle.land" in at_run["skillgit.cycle.run"]
    assert "skillgit.cycle.land" not in at_import["skillgit.cycle.run"]
    assert stats.cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]
    with_typing = stats.import_graph(trees, top_only=False, typing=True)
    assert "skillgit.workspace" in with_typing["skillgit.policy.changes"]
    assert "skillgit.workspace" not in at_run["skillgit.policy.changes"]


def test_the_policy_reads_the_workspace_and_never_the_other_way() -> None:
    """The workspace (a repository, its config, its skills) names nothing of the policy: an event is checked
    and committed by `skillgit.operations.commit_event`. The policy uses no operation and no command."""
    stats = load_code_stats()
    graph = stats.import_graph(stats.parse_package(ROOT / "skillgit"), top_only=False, typing=True)
    assert sorted(t for t in graph["skillgit.workspace"] if t.startswith("skillgit.policy")) == []
    upward = sorted((m, t) for m, targets in graph.items() if m.startswith("skillgit.policy") for t in targets
                    if t == "skillgit.operations" or t.startswith(("skillgit.cli", "skillgit.cycle")))
    assert upward == []
