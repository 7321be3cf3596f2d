"""`skillgit demo` runs the loop on the bundled fixtures and leaves a repository that checks out."""

from __future__ import annotations

from pathlib import Path

from conftest import git


def test_demo_walks_the_loop_and_leaves_a_clean_repository(sg, tmp_path: Path) -> None:
    target = tmp_path / "demo"
    result = sg(tmp_path, "demo", str(target))
    assert result.code == 0, result
    for step in ("init", "create", "refine", "versions", "rollback", "journal"):
        assert f". {step}:" in result.out
    assert "the bytes are restored" in result.out
    assert git(target, "status", "--porcelain") == ""
    events = git(target, "log", "--format=%(trailers:key=Skill-Event,valueonly)").split()
    assert events[:4] == ["rollback", "refine", "create", "init"]


def test_demo_refuses_a_directory_that_is_not_empty(sg, tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    result = sg(tmp_path, "demo", str(tmp_path / "full"))
    assert result.code == 2
    assert "not empty" in result.err
