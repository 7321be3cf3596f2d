"""The hook shims find skillgit without naming this machine's interpreter in a folder git can track."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from conftest import git, trailers_of
from hookkit import add_lines, commit, edit, make_managed, skillgit


def shared_hooks_repo(empty_repo: Path) -> Path:
    """A managed repo whose hooks live in a tracked `.githooks` folder (core.hooksPath), installed there."""
    repo = make_managed(empty_repo, hooks=False)
    git(repo, "config", "core.hooksPath", ".githooks")
    result = skillgit(repo, "hooks", "install")
    assert result.returncode == 0, result.stderr
    return repo


def without_skillgit(tmp_path: Path) -> str:
    """A PATH with no `skillgit` and a `python3` that cannot import it (a stand-in that fails the import)."""
    bin_dir = tmp_path / "bin-without-skillgit"
    bin_dir.mkdir()
    fake = bin_dir / "python3"
    fake.write_text("#!/bin/sh\necho \"ModuleNotFoundError: No module named 'skillgit'\" >&2\nexit 1\n")
    fake.chmod(0o755)
    kept = [p for p in os.environ["PATH"].split(os.pathsep) if p and not (Path(p) / "skillgit").exists()]
    return os.pathsep.join([str(bin_dir), *kept])


def test_shims_in_a_tracked_hooks_folder_name_no_interpreter_path(empty_repo: Path) -> None:
    from skillgit.policy.install import shim_text

    repo = shared_hooks_repo(empty_repo)
    for name in ("pre-commit", "commit-msg"):
        text = (repo / ".githooks" / name).read_text()
        assert text == shim_text(name)
        assert sys.executable not in text
        assert str(Path(sys.executable).parent) not in text


def test_a_tracked_shim_runs_the_skillgit_on_path(empty_repo: Path) -> None:
    repo = shared_hooks_repo(empty_repo)
    git(repo, "add", ".githooks")
    git(repo, "commit", "-q", "--no-verify", "-m", "Share the hooks")
    edit(repo, "skills/research/SKILL.md", add_lines(1))
    env = {"PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]}
    result = commit(repo, "Through the shared hooks\n", env=env)
    assert result.returncode == 0, result.stderr
    assert dict(trailers_of(repo))["Skill-Event"] == "manual"


def test_a_tracked_shim_without_skillgit_refuses_the_commit_and_says_how_to_install_it(empty_repo: Path, tmp_path: Path) -> None:
    repo = shared_hooks_repo(empty_repo)
    before = git(repo, "rev-parse", "HEAD").strip()
    edit(repo, "skills/research/SKILL.md", add_lines(1))
    result = commit(repo, "No skillgit here\n", env={"PATH": without_skillgit(tmp_path)})
    assert result.returncode != 0
    assert ("skillgit pre-commit hook: skillgit is not installed here; install it (pip install skillgit) "
            "or put its bin folder on PATH.") in result.stderr
    assert git(repo, "rev-parse", "HEAD").strip() == before


def test_shims_in_the_git_directory_keep_the_installing_interpreter(empty_repo: Path) -> None:
    repo = make_managed(empty_repo)
    text = (repo / ".git" / "hooks" / "pre-commit").read_text()
    quoted = "'" + sys.executable.replace("'", "'\\''") + "'"
    assert f"python={quoted}\n" in text
