"""`skillgit demo` runs the whole loop on the bundled fixtures and leaves a repository that checks out."""

from __future__ import annotations

from pathlib import Path

from conftest import git


def test_demo_walks_the_loop_and_leaves_a_clean_repository(sg, tmp_path: Path) -> None:
    target = tmp_path / "demo"
    result = sg(tmp_path, "demo", str(target))
    assert result.code == 0, result
    for step in ("init", "create", "refine", "versions", "rollback", "journal", "ingest", "cycle", "watch", "verify",
                 "expectations"):
        assert f". {step}:" in result.out
    assert "the bytes are restored" in result.out
    assert git(target, "status", "--porcelain") == ""
    events = git(target, "log", "--format=%(trailers:key=Skill-Event,valueonly)").split()
    assert events == ["rollback", "manual", "refused", "no-op", "refine", "rollback", "refine", "create", "init"]


def test_demo_refuses_a_directory_that_is_not_empty(sg, tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    result = sg(tmp_path, "demo", str(tmp_path / "full"))
    assert result.code == 2
    assert "not empty" in result.err


def test_demo_restores_the_commit_dates_of_the_environment(sg, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import os

    monkeypatch.delenv("GIT_AUTHOR_DATE", raising=False)
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2030-01-01T00:00:00Z")
    assert sg(tmp_path, "demo", str(tmp_path / "demo")).code == 0
    assert "GIT_AUTHOR_DATE" not in os.environ
    assert os.environ["GIT_COMMITTER_DATE"] == "2030-01-01T00:00:00Z"
