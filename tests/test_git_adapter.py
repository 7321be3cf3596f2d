"""The git adapter: a missing git says so in one message, a reader of the log may stop early."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import git

from skillgit.errors import GitError
from skillgit.git import BlobReader, Repo, clean_merges
from skillgit.git.process import GIT_MISSING


@pytest.fixture
def no_git_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with two branches, opened while git is there; then PATH loses git."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "a.txt").write_text("a\n")
    git(repo, "add", "a.txt")
    git(repo, "commit", "-q", "-m", "a")
    git(repo, "branch", "side")
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    return repo


def test_a_missing_git_says_so_in_one_message(no_git_on_path: Path) -> None:
    repo = Repo(no_git_on_path, no_git_on_path / ".git")
    attempts = {
        "discover": lambda: Repo.discover(no_git_on_path),
        "run": lambda: repo.run("status"),
        "run_bytes": lambda: repo.run_bytes("cat-file", "-p", "HEAD"),
        "blob reader": lambda: BlobReader(no_git_on_path).read("HEAD:a.txt"),
        "clean_merges": lambda: clean_merges(no_git_on_path, [("main", "side")]),
    }
    for what, attempt in attempts.items():
        with pytest.raises(GitError) as caught:
            attempt()
        assert str(caught.value) == GIT_MISSING, what


def test_the_command_without_git_exits_with_that_message(no_git_on_path: Path) -> None:
    """The real executable, run where there is no git: the message and the repository-state exit code."""
    result = subprocess.run([sys.executable, "-m", "skillgit", "-C", str(no_git_on_path), "status"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 4
    assert result.stderr.strip() == f"skillgit: {GIT_MISSING}"


@pytest.fixture
def long_history(tmp_path: Path) -> Path:
    """3,000 commits, made with `git fast-import`: more `git log` output than a pipe holds."""
    repo = tmp_path / "long"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    stream = []
    for i in range(3000):
        body = f"change {i}\n" + "x" * 200 + "\n"
        data = f"line {i}\n"
        stream.append(f"commit refs/heads/main\ncommitter A <a@example.com> {1700000000 + i} +0000\n"
                      f"data {len(body.encode())}\n{body}M 100644 inline f.txt\ndata {len(data)}\n{data}\n")
    git(repo, "fast-import", "--quiet", input="".join(stream))
    git(repo, "reset", "-q", "--hard", "main")
    return repo


@pytest.mark.parametrize("lazy", [False, True])
def test_a_reader_that_stops_early_gets_no_error(long_history: Path, lazy: bool) -> None:
    repo = Repo.discover(long_history)
    chunks = repo.iter_log_chunks("HEAD", "--", raw=True, lazy=lazy)
    first = next(chunks)
    chunks.close()  # what a `for` loop left by `break` does; git is stopped, not waited for
    assert b"change 2999" in first
    records = repo.iter_log("HEAD")
    assert [next(records).message.splitlines()[0] for _ in range(3)] == ["change 2999", "change 2998", "change 2997"]
    records.close()


def test_a_log_that_fails_after_a_full_read_still_raises(long_history: Path) -> None:
    repo = Repo.discover(long_history)
    with pytest.raises(GitError) as caught:
        list(repo.iter_log("no-such-branch", "--"))
    assert str(caught.value).startswith("git log no-such-branch -- failed: fatal: bad revision 'no-such-branch'")
