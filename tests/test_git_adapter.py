"""One git adapter: every git process starts in `skillgit/git/process.py`, a missing git says so in one
message everywhere, a reader of the log may stop early, and the rest of the package asks the adapter by
name instead of running git itself."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, git

from skillgit.errors import GitError
from skillgit.git import BlobReader, Repo, clean_merges
from skillgit.git.process import GIT_MISSING

PACKAGE = ROOT / "skillgit"


def _modules(under: Path) -> list[tuple[Path, ast.Module]]:
    return [(p, ast.parse(p.read_text(encoding="utf-8"))) for p in sorted(under.rglob("*.py"))
            if not p.is_relative_to(PACKAGE / "demo" / "data")]


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"


def test_only_the_adapter_runs_git() -> None:
    """Outside skillgit/git/ no argument list starts with "git" and no code calls a repository's `run`."""
    found = []
    for path, tree in _modules(PACKAGE):
        if path.is_relative_to(PACKAGE / "git"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.List) and node.elts and isinstance(node.elts[0], ast.Constant) and node.elts[0].value == "git":
                found.append(f"{_where(path, node)} spawns git")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("run", "run_bytes"):
                owner = node.func.value
                if (isinstance(owner, ast.Name) and owner.id == "repo") or (isinstance(owner, ast.Attribute) and owner.attr == "repo"):
                    found.append(f"{_where(path, node)} runs git through repo.{node.func.attr}")
    assert found == []


def test_inside_the_adapter_only_process_starts_a_process() -> None:
    found = [_where(path, node) for path, tree in _modules(PACKAGE / "git") if path.name != "process.py"
             for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
             and node.func.value.id == "subprocess"]
    assert found == []


def test_the_log_record_format_is_split_in_one_place() -> None:
    """`git log`'s record and field separators appear in records.py only (the format and its parsers)."""
    found = [_where(path, node) for path, tree in _modules(PACKAGE) if path.name != "records.py"
             for node in ast.walk(tree)
             if isinstance(node, ast.Constant) and node.value in ("\x1e", "\x1f", b"\x1e", b"\x1f")
             or isinstance(node, ast.Constant) and isinstance(node.value, str) and ("%x1e" in node.value or "%x1f" in node.value)]
    assert found == []


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
        "iter_log": lambda: list(repo.iter_log("HEAD")),
        "commits_touching": lambda: repo.commits_touching("HEAD", ["a.txt"]),
        "line_below": lambda: repo.line_below("HEAD", lambda commit: False, 10),
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


def test_repositories_dropped_without_close_leave_no_git_running_and_no_descriptor_open(tmp_path: Path) -> None:
    """A library user opening many repositories (an evolver loop, a long test run) does not run out of
    descriptors: each dropped Repo's `git cat-file --batch` ends and its pipes close."""
    import gc
    import os

    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    (root / "a.txt").write_text("a\n")
    git(root, "add", "a.txt")
    git(root, "-c", "user.name=M", "-c", "user.email=m@example.com", "commit", "-qm", "a")
    gc.collect()
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(40):
        assert Repo.discover(root).read_file("HEAD", "a.txt") == b"a\n"
    gc.collect()
    assert len(os.listdir("/proc/self/fd")) <= before + 2
    alive = [p for p in subprocess._active if p.poll() is None]  # type: ignore[attr-defined]
    assert alive == [], [p.args for p in alive]
