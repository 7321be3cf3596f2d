"""The cycle's gates (read from history) and its lock: a closed gate exits 0 without a commit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import git, snapshot
from cycle_util import (
    Clock,
    configure,
    events,
    failing_release_batch,
    feed,
    good_batch,
    head,
    make_repo,
)


@pytest.fixture
def repo(tmp_path: Path, clock: Clock) -> Path:
    return make_repo(tmp_path / "repo", clock)


def test_a_dirty_skill_closes_the_clean_tree_gate_and_nothing_is_committed(sg, repo: Path, clock: Clock) -> None:
    feed(repo, "a.jsonl", failing_release_batch(clock))
    (repo / "skills/social/SKILL.md").write_text("edited\n")
    before = snapshot(repo)
    result = sg(repo, "cycle", "--on-propose", "auto", "--now", clock.iso)
    assert result.code == 0, result
    assert "cycle skipped: gate clean-tree closed" in result.out
    assert "gate clean-tree: CLOSED — uncommitted changes: skills/social/SKILL.md" in result.err
    assert snapshot(repo) == before


def test_an_untracked_file_outside_the_skills_does_not_close_the_clean_tree_gate(sg, repo: Path, clock: Clock) -> None:
    feed(repo, "a.jsonl", failing_release_batch(clock))
    (repo / "notes.txt").write_text("scratch\n")
    result = sg(repo, "cycle", "--on-propose", "auto", "--now", clock.iso)
    assert result.code == 0, result
    assert events(repo)[0] == "refine"


def test_too_few_new_sessions_close_the_sessions_gate(sg, repo: Path, clock: Clock) -> None:
    feed(repo, "a.jsonl", good_batch(clock, "g", n=2))
    before = head(repo)
    result = sg(repo, "cycle", "--on-propose", "auto", "--now", clock.iso)
    assert result.code == 0
    assert "gate sessions: CLOSED — 2 new session(s) in the trace store; cycle.min_sessions is 3" in result.err
    assert head(repo) == before


def test_sessions_count_only_after_the_last_cycle_event(sg, repo: Path, clock: Clock) -> None:
    feed(repo, "a.jsonl", good_batch(clock, "g", n=3))
    clock.tick(hours=1)
    assert sg(repo, "cycle", "--on-propose", "auto", "--now", clock.iso).code == 0
    first = head(repo)
    assert events(repo)[0] == "no-op"
    clock.tick(hours=1)
    result = sg(repo, "cycle", "--on-propose", "auto", "--now", clock.iso)
    assert "0 new session(s) since " + first[:12] in result.err
    assert head(repo) == first


def test_the_cooldown_counts_from_the_last_cycle_event(sg, repo: Path, clock: Clock) -> None:
    configure(repo, cooldown_hours=24)
    feed(repo, "a.jsonl", good_batch(clock, "a", n=3))
    assert sg(repo, "cycle", "--on-propose", "auto", "--now", clock.iso).code == 0
    first = head(repo)
    feed(repo, "b.jsonl", good_batch(clock, "b", n=3))
    result = sg(repo, "cycle", "--on-propose", "auto", "--now", clock.iso)
    assert "gate cooldown: CLOSED — cooldown 24h since " + first[:12] in result.err
    assert head(repo) == first
    clock.tick(hours=24)
    assert sg(repo, "cycle", "--on-propose", "auto", "--now", clock.iso).code == 0
    assert head(repo) != first


def test_a_saturated_no_op_doubles_the_cooldown(sg, repo: Path, clock: Clock) -> None:
    configure(repo, cooldown_hours=1)
    for batch in range(3):
        feed(repo, f"{batch}.jsonl", good_batch(clock, f"b{batch}", n=3))
        clock.tick(hours=1)
        assert sg(repo, "cycle", "--on-propose", "auto", "--now", clock.iso).code == 0
    assert events(repo)[:3] == ["no-op"] * 3
    assert git(repo, "log", "-1", "--format=%(trailers:key=Skill-Saturation,valueonly)").strip() == "true"
    feed(repo, "3.jsonl", good_batch(clock, "b3", n=3))
    clock.tick(hours=1, minutes=30)
    result = sg(repo, "cycle", "--on-propose", "auto", "--now", clock.iso)
    assert "cooldown 2h (doubled: the last no-op was saturated)" in result.err


def test_every_closed_gate_is_named_in_json(sg, repo: Path, clock: Clock) -> None:
    (repo / "skills/social/SKILL.md").write_text("edited\n")
    result = sg(repo, "cycle", "--json", "--now", clock.iso)
    data = json.loads(result.out)
    assert data["status"] == "skipped"
    assert [g["gate"] for g in data["gates"]["gates"] if not g["open"]] == ["clean-tree", "sessions"]


def test_a_repository_without_init_is_a_usage_error(sg, tmp_path: Path, clock: Clock) -> None:
    repo = make_repo(tmp_path / "repo", clock, init=False)
    result = sg(repo, "cycle")
    assert result.code == 2
    assert result.err == "skillgit: this repository is not managed by skillgit yet; run `skillgit init` first.\n"


LOCK_HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
os.write(fd, f"{os.getpid()}\\n".encode())
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


def _hold_lock(repo: Path, seconds: float) -> subprocess.Popen[str]:
    path = repo / ".git" / "skillgit" / "cycle.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_cycle_exits_4_naming_the_holder(sg, repo: Path, clock: Clock) -> None:
    feed(repo, "a.jsonl", failing_release_batch(clock))
    holder = _hold_lock(repo, 30)
    try:
        before = snapshot(repo)
        result = sg(repo, "cycle", "--on-propose", "auto", "--now", clock.iso)
        assert result.code == 4
        assert result.err == (f"skillgit: {repo / '.git' / 'skillgit' / 'cycle.lock'}: another cycle is running (process {holder.pid}); "
                              "nothing was done. Wait for it to finish, or raise cycle.lock_timeout_seconds to wait longer.\n")
        assert snapshot(repo) == before
    finally:
        holder.kill()
        holder.wait()


def test_a_second_cycle_waits_for_the_lock_up_to_the_timeout(sg, repo: Path, clock: Clock) -> None:
    configure(repo, lock_timeout_seconds=20)
    feed(repo, "a.jsonl", failing_release_batch(clock))
    holder = _hold_lock(repo, 1.0)
    started = time.monotonic()
    result = sg(repo, "cycle", "--on-propose", "auto", "--now", clock.iso)
    holder.wait()
    assert result.code == 0, result
    assert time.monotonic() - started >= 0.5
    assert events(repo)[0] == "refine"


def test_a_lock_left_by_a_killed_cycle_is_free(sg, repo: Path, clock: Clock) -> None:
    holder = _hold_lock(repo, 30)
    holder.kill()
    holder.wait()
    feed(repo, "a.jsonl", failing_release_batch(clock))
    assert sg(repo, "cycle", "--on-propose", "auto", "--now", clock.iso).code == 0
    assert os.path.exists(repo / ".git" / "skillgit" / "cycle.lock")
