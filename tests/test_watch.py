"""`skillgit watch`: a like-for-like comparison of a changed skill with its previous version."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import git, trailers_of
from cycle_util import Clock, call, events, feed, make_repo, session


@pytest.fixture
def repo(tmp_path: Path, clock: Clock) -> Path:
    return make_repo(tmp_path / "repo", clock)


def runs(clock: Clock, prefix: str, wins: int, total: int, *, read: bool = False) -> list[dict[str, Any]]:
    out = []
    for i in range(total):
        s = session(f"{prefix}-{i}", clock.tick(hours=2), success=i < wins, skill=None if read else "release")
        if read:
            s["tool_calls"] = [{"name": "read", "args": {"path": "skills/release/SKILL.md"}, "ok": True}] + s["tool_calls"]
        out.append(s)
    return out


def edit_release(sg, repo: Path, clock: Clock) -> str:  # type: ignore[no-untyped-def]
    clock.tick(hours=1)
    path = repo / "skills/release/SKILL.md"
    path.write_text(path.read_text().replace("3. Run `cargo build --release` and `cargo test`.\n", ""))
    assert sg(repo, "record", "release", "-m", "Drop the build step").code == 0
    return git(repo, "rev-parse", "HEAD").strip()


def watch(sg, repo: Path, clock: Clock, *args: str):  # type: ignore[no-untyped-def]
    return sg(repo, "watch", "--now", clock.tick(hours=1).strftime("%Y-%m-%dT%H:%M:%SZ"), *args)


def test_a_drop_in_win_rate_raises_an_alert_naming_both_versions_and_figures(sg, repo: Path, clock: Clock) -> None:
    feed(repo, "old.jsonl", runs(clock, "old", 5, 6))
    edit_release(sg, repo, clock)
    feed(repo, "new.jsonl", runs(clock, "new", 2, 5))
    result = watch(sg, repo, clock)
    assert result.code == 1
    v2 = git(repo, "rev-parse", "HEAD:skills/release/SKILL.md").strip()[:7]
    expected = (f"ALERT skills/release: v2 ({v2}) win_rate 0.40 over 5 session(s) vs v1 (3e43b4c) 0.83 over 6 — "
                "dropped 0.43 > 0.20 (explicit attribution)")
    assert result.out.splitlines() == [expected]


def test_a_drop_within_max_drop_is_no_alert(sg, repo: Path, clock: Clock) -> None:
    feed(repo, "old.jsonl", runs(clock, "old", 5, 5))
    edit_release(sg, repo, clock)
    feed(repo, "new.jsonl", runs(clock, "new", 4, 5))
    result = watch(sg, repo, clock)
    assert result.code == 0
    assert "change -0.20, within watch.max_drop 0.20 (explicit attribution)" in result.out
    assert result.out.startswith("ok ")


def test_too_few_sessions_on_one_side_are_not_compared(sg, repo: Path, clock: Clock) -> None:
    feed(repo, "old.jsonl", runs(clock, "old", 5, 5))
    edit_release(sg, repo, clock)
    feed(repo, "new.jsonl", runs(clock, "new", 0, 3))
    result = watch(sg, repo, clock)
    assert result.code == 0
    assert "too few sessions to compare (watch.min_sessions 5 on both sides)" in result.out


def test_versions_seen_through_different_attribution_are_not_compared(sg, repo: Path, clock: Clock) -> None:
    feed(repo, "old.jsonl", runs(clock, "old", 5, 5))
    edit_release(sg, repo, clock)
    feed(repo, "new.jsonl", runs(clock, "new", 0, 5, read=True))
    result = watch(sg, repo, clock, "--json")
    assert result.code == 0
    [comparison] = json.loads(result.out)["comparisons"]
    assert comparison["alert"] is False and comparison["attribution"] is None


def test_a_change_older_than_the_window_is_not_watched(sg, repo: Path, clock: Clock) -> None:
    feed(repo, "old.jsonl", runs(clock, "old", 5, 5))
    edit_release(sg, repo, clock)
    feed(repo, "new.jsonl", runs(clock, "new", 0, 5))
    clock.tick(days=15)
    result = watch(sg, repo, clock)
    assert result.code == 0
    assert "no skill changed within the last 14 day(s)" in result.out


def test_auto_rollback_restores_the_previous_version_in_one_commit(sg, repo: Path, clock: Clock) -> None:
    feed(repo, "old.jsonl", runs(clock, "old", 5, 6))
    edited = edit_release(sg, repo, clock)
    feed(repo, "new.jsonl", runs(clock, "new", 1, 5))
    result = watch(sg, repo, clock, "--auto-rollback")
    assert result.code == 1
    assert "rollback: restored skills/release to v1" in result.out
    pairs = dict(trailers_of(repo))
    assert pairs["Skill-Event"] == "rollback"
    assert edited.startswith(pairs["Skill-Rollback-Of"])
    assert pairs["Skill-Reason"].startswith("watch: skills/release: v2 (")
    assert git(repo, "diff", "HEAD~2", "HEAD", "--", "skills/release") == ""
    assert events(repo)[:2] == ["rollback", "manual"]
    assert git(repo, "status", "--porcelain") == ""
    assert sg(repo, "verify").code == 0


def test_after_a_rollback_watch_is_quiet(sg, repo: Path, clock: Clock) -> None:
    feed(repo, "old.jsonl", runs(clock, "old", 5, 6))
    edit_release(sg, repo, clock)
    feed(repo, "new.jsonl", runs(clock, "new", 1, 5))
    assert watch(sg, repo, clock, "--auto-rollback").code == 1
    assert watch(sg, repo, clock).code == 0


def test_a_rollback_by_the_agent_follows_the_agent_rules(sg, repo: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    feed(repo, "old.jsonl", [session(f"o{i}", clock.tick(hours=2), skill="family", success=True,
                                     calls=[call("gh api repos/o/r/forks", True)]) for i in range(5)])
    clock.tick(hours=1)
    path = repo / "skills/family/SKILL.md"
    path.write_text(path.read_text() + "\nOne more note.\n")
    assert sg(repo, "record", "family").code == 0
    feed(repo, "new.jsonl", [session(f"n{i}", clock.tick(hours=2), skill="family", success=False,
                                     calls=[call("gh api repos/o/r/forks", False)]) for i in range(5)])
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "yoyo-bot@example.com")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "yoyo-bot@example.com")
    before = git(repo, "rev-parse", "HEAD").strip()
    result = watch(sg, repo, clock, "--auto-rollback")
    assert result.code == 1
    assert result.out.startswith("ALERT skills/family: v2")
    assert "rollback of family not made: the rollback event breaks policy; nothing was committed" in result.err
    assert "SG002" in result.err
    assert git(repo, "rev-parse", "HEAD").strip() == before
