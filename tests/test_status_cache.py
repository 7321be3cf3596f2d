"""`status` keeps what it read of each SKILL.md by blob id: a later status shows every change all the same."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import git

SKILLGIT = [sys.executable, "-m", "skillgit"]


def status(repo: Path) -> dict:  # type: ignore[type-arg]
    result = subprocess.run([*SKILLGIT, "-C", str(repo), "status", "--json"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def row(report: dict, name: str) -> dict:  # type: ignore[type-arg]
    return next(r for r in report["skills"] if r["name"] == name)


def test_a_status_after_edits_shows_them(managed_repo: Path) -> None:
    first = status(managed_repo)
    cache = managed_repo / ".git" / "skillgit" / "status-cache.json"
    assert cache.exists() and status(managed_repo) == first
    path = managed_repo / "skills" / "social" / "SKILL.md"
    path.write_text(path.read_text().replace("origin: yoyo", "origin: maintainer"))
    broken = managed_repo / "skills" / "release" / "SKILL.md"
    broken.write_text("no frontmatter here\n")
    git(managed_repo, "commit", "-q", "--no-verify", "-am", "Hand edits")
    after = status(managed_repo)
    assert row(after, "social")["origin"] == "maintainer"
    assert row(after, "release")["problem"] and "skills/release/SKILL.md" in row(after, "release")["problem"]
    cache.write_text("{not json")  # a damaged cache is read around and written again
    assert status(managed_repo) == after
    cache.write_text(json.dumps({"fingerprint": "other", "rows": {}}))
    assert status(managed_repo) == after
    git(managed_repo, "mv", "skills/social", "skills_attic/social")
    git(managed_repo, "commit", "-q", "--no-verify", "-m", "Retire by hand")
    moved = row(status(managed_repo), "social")
    assert moved["location"] == "attic" and moved["path"] == "skills_attic/social/SKILL.md" and moved["origin"] == "maintainer"


def fresh(repo: Path) -> dict:  # type: ignore[type-arg]
    """`status --json` read from scratch: no cache, no event index."""
    for name in ("status-cache.json", "evidence.db", "evidence.db-wal", "evidence.db-shm"):
        (repo / ".git" / "skillgit" / name).unlink(missing_ok=True)
    return status(repo)


def edit(repo: Path, name: str, line: str, message: str) -> None:
    path = repo / "skills" / name / "SKILL.md"
    path.write_text(path.read_text() + line + "\n")
    git(repo, "commit", "-q", "--no-verify", "-am", message)


def test_versions_and_last_events_kept_for_a_head_match_a_status_from_scratch(managed_repo: Path) -> None:
    repo = managed_repo
    steps = [
        lambda: edit(repo, "social", "Ask before posting.", "Tune social"),
        lambda: edit(repo, "social", "Ask twice.", "Tune social again"),
        lambda: git(repo, "revert", "--no-edit", "HEAD"),
        lambda: (git(repo, "mv", "skills/release", "skills_attic/release"),
                 git(repo, "commit", "-q", "--no-verify", "-m", "Retire release by hand")),
        lambda: (git(repo, "checkout", "-q", "-b", "side", "HEAD~2"), edit(repo, "family", "From the side.", "Side edit"),
                 git(repo, "checkout", "-q", "main"), git(repo, "merge", "-q", "--no-edit", "side")),
        lambda: edit(repo, "social", "After the merge.", "Tune social after the merge"),
        lambda: git(repo, "reset", "-q", "--hard", "HEAD~1"),
    ]
    status(repo)
    for step in steps:
        step()
        kept = status(repo)  # brought forward from the kept figures where it can
        assert kept == fresh(repo)
        assert kept == status(repo)


def test_events_from_before_init_are_not_counted(fixture_repo: Path) -> None:
    repo = fixture_repo
    path = repo / "skills" / "social" / "SKILL.md"
    path.write_text(path.read_text() + "Old habit.\n")
    git(repo, "commit", "-q", "-am", "Old tooling\n\nSkill-Event: refine\nSkill-Name: social\n")
    before = status(repo)
    assert not before["initialised"] and before["events"] == 1
    subprocess.run([*SKILLGIT, "-C", str(repo), "init"], check=True, capture_output=True)
    after = status(repo)
    assert after["initialised"] and after["events"] == 1 and after["last_event"]["event"] == "init"
    assert row(after, "social")["last_event"] is None
    assert after == fresh(repo)
