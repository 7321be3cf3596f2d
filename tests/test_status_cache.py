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
