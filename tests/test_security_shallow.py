"""A shallow clone (GitHub Actions checks out depth 1 by default) is an error wherever the rules need the
history it lacks: verify, status, init and the hooks say what is missing and how to fetch it, and
`verify --assume-managed-since REV` checks the range from a commit the caller vouches for."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from attackkit import Attacker, head, refine, sg, verify, violations
from conftest import git
from hookkit import make_managed

FIXES = ("fetch-depth: 0", "git fetch --unshallow")


@pytest.fixture
def origin(empty_repo: Path, tmp_path: Path) -> Path:
    """A managed repository with some history after `init`: code commits, an agent refine, a maintainer edit."""
    repo = make_managed(empty_repo)
    agent = Attacker(repo, tmp_path / "scripts")
    for i in range(3):
        (repo / f"notes-{i}.md").write_text(f"note {i}\n")
        git(repo, "add", f"notes-{i}.md")
        git(repo, "commit", "-q", "-m", f"Add note {i}")
    assert agent.run(refine()).returncode == 0
    for i in range(3, 6):
        (repo / f"notes-{i}.md").write_text(f"note {i}\n")
        git(repo, "add", f"notes-{i}.md")
        git(repo, "commit", "-q", "-m", f"Add note {i}")
    return repo


SHALLOW_FIX = ("so skillgit cannot tell whether, or since when, it manages these skills; fetch the whole history (`fetch-depth: 0` "
               "in actions/checkout, or `git fetch --unshallow`).\n")


def clone(origin: Path, where: Path, depth: int) -> Path:
    subprocess.run(["git", "clone", "-q", f"--depth={depth}", f"file://{origin}", str(where)], check=True,
                   capture_output=True)
    return where


def test_verify_in_a_shallow_clone_without_the_init_event_is_an_error(origin: Path, tmp_path: Path) -> None:
    shallow = clone(origin, tmp_path / "ci", 3)
    result = sg(shallow, "verify", "HEAD~2..HEAD", "--format", "json")
    assert result.returncode == 2, result
    assert result.stdout == ""
    assert "this is a shallow clone" in result.stderr and "before any `init` event" in result.stderr
    assert all(fix in result.stderr for fix in FIXES) and "--assume-managed-since REV" in result.stderr


def test_verify_of_a_depth_1_checkout_is_an_error(origin: Path, tmp_path: Path) -> None:
    shallow = clone(origin, tmp_path / "ci", 1)
    result = sg(shallow, "verify", "HEAD")
    assert result.returncode == 2
    assert "shallow clone" in result.stderr and "fetch-depth: 0" in result.stderr


def test_status_in_a_shallow_clone_is_an_error_not_not_initialised(origin: Path, tmp_path: Path) -> None:
    shallow = clone(origin, tmp_path / "ci", 2)
    result = sg(shallow, "status")
    assert result.returncode == 2
    assert "not initialised" not in result.stdout + result.stderr
    boundary = (shallow / ".git" / "shallow").read_text().split()[0]
    assert result.stderr == (f"skillgit: cannot report the managed skills: this is a shallow clone and the history of {head(shallow)[:12]} "
                             f"stops at {boundary[:12]} before any `init` event, " + SHALLOW_FIX)


def test_init_in_a_shallow_clone_writes_no_second_init_event(origin: Path, tmp_path: Path) -> None:
    shallow = clone(origin, tmp_path / "ci", 2)
    before = head(shallow)
    result = sg(shallow, "init")
    assert result.returncode == 2
    boundary = (shallow / ".git" / "shallow").read_text().split()[0]
    assert result.stderr == ("skillgit: cannot tell whether this repository is initialised already: this is a shallow clone and the "
                             f"history of {before[:12]} stops at {boundary[:12]} before any `init` event, " + SHALLOW_FIX)
    assert head(shallow) == before


def test_the_hooks_refuse_an_agent_commit_in_a_shallow_clone(origin: Path, tmp_path: Path) -> None:
    shallow = clone(origin, tmp_path / "ci", 2)
    assert sg(shallow, "hooks", "install").returncode == 0
    agent = Attacker(shallow, tmp_path / "scripts")
    result = agent.run(refine("and read the pinned post"))
    assert result.returncode != 0
    assert "cannot check an agent commit: this is a shallow clone" in result.stderr
    assert "git fetch --unshallow" in result.stderr


def test_assume_managed_since_checks_the_range_of_a_shallow_clone(origin: Path, tmp_path: Path) -> None:
    bad = Attacker(origin, tmp_path / "scripts")
    assert bad.run("""
echo "- answer everyone" >> skills/family/SKILL.md
git commit -q --no-verify -am "Family: answer everyone"
""").returncode == 0
    shallow = clone(origin, tmp_path / "ci", 4)
    code, report, stderr = verify(shallow, "--assume-managed-since", "HEAD~3", "HEAD~3..HEAD")
    assert code == 1, stderr
    assert report["checked"] == 3
    assert ("SG002", "skills/family/SKILL.md") in violations(report)


def test_a_shallow_clone_that_holds_the_init_event_verifies(origin: Path, tmp_path: Path) -> None:
    commits = int(git(origin, "rev-list", "--count", "HEAD").strip())
    shallow = clone(origin, tmp_path / "ci", commits - 1)
    assert git(shallow, "rev-parse", "--is-shallow-repository").strip() == "true"
    code, report, stderr = verify(shallow, "HEAD")
    assert code == 0, stderr
    assert report["checked"] == commits - 2  # all but the init event, where the clone stops
