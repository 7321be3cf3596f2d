"""Kill the cycle at each step: the repository is exactly as before, or has exactly the one event commit.

`SKILLGIT_FAULT=<point>` makes skillgit SIGKILL itself at that point (skillgit/faults.py): after the
proposal, after the eval gate, between writing the commit object and moving the ref, and between
moving the ref and syncing the index and work tree. Afterwards `git fsck --strict` is clean, the
next skillgit command finishes an interrupted sync, and the next cycle runs (the lock died with it).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import git, snapshot
from cycle_util import Clock, events, failing_release_batch, feed, good_batch, make_repo

POINTS = {
    "cycle:proposed": "unchanged",
    "cycle:gated": "unchanged",
    "commit:object": "unchanged",
    "commit:ref": "committed",
}


def skillgit(repo: Path, *args: str, fault: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("SKILLGIT_FAULT", None)
    if fault:
        env["SKILLGIT_FAULT"] = fault
    return subprocess.run([sys.executable, "-m", "skillgit", "-C", str(repo), *args], capture_output=True, text=True,
                          env=env, timeout=300, check=False)


@pytest.mark.parametrize(("point", "outcome"), POINTS.items())
def test_a_cycle_killed_at_each_step_leaves_the_state_before_or_exactly_one_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, point: str, outcome: str
) -> None:
    clock = Clock(monkeypatch)
    repo = make_repo(tmp_path / "repo", clock)
    feed(repo, "a.jsonl", failing_release_batch(clock))
    clock.tick(hours=1)
    before = snapshot(repo)
    result = skillgit(repo, "cycle", "--on-propose", "auto", "--now", clock.iso, fault=point)
    assert result.returncode == -signal.SIGKILL, result
    if outcome == "unchanged":
        assert snapshot(repo) == before
    else:
        assert git(repo, "rev-parse", "HEAD~1").strip() == before[0]
        assert events(repo)[0] == "refine"
        assert skillgit(repo, "status").returncode == 0
        assert git(repo, "status", "--porcelain") == ""
        assert (repo / "skills/release/SKILL.md").read_bytes() == git(repo, "show", "HEAD:skills/release/SKILL.md").encode()
    fsck = subprocess.run(["git", "-C", str(repo), "fsck", "--strict", "--no-dangling"], capture_output=True, text=True,
                          check=False)
    assert fsck.returncode == 0, fsck.stderr
    assert fsck.stderr.strip() == ""
    again = skillgit(repo, "cycle", "--on-propose", "auto", "--now", clock.iso)
    assert again.returncode == 0, again
    # Killed before the ref moved: the rerun makes the refine. Killed after: the refine is there and
    # the rerun, with no new sessions since it, is skipped at the sessions gate.
    assert [e for e in events(repo) if e][:2] == ["refine", "init"]
    assert skillgit(repo, "verify").returncode == 0


def test_a_killed_empty_event_commit_is_finished_by_the_next_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(monkeypatch)
    repo = make_repo(tmp_path / "repo", clock)
    feed(repo, "a.jsonl", good_batch(clock, "g"))
    clock.tick(hours=1)
    before = snapshot(repo)
    result = skillgit(repo, "cycle", "--on-propose", "auto", "--now", clock.iso, fault="commit:ref")
    assert result.returncode == -signal.SIGKILL
    assert git(repo, "rev-parse", "HEAD~1").strip() == before[0]
    assert events(repo)[0] == "no-op"
    assert skillgit(repo, "status").returncode == 0
    assert snapshot(repo)[2] == before[2]
    assert git(repo, "status", "--porcelain") == ""
