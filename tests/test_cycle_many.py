"""Many cycles on generated traces: each makes one commit or none, every commit passes verify, and the
third no-op in a row carries the saturation trailer."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from conftest import git
from cycle_util import Clock, call, feed, good_batch, learning, make_repo, session


def random_batch(rng: random.Random, clock: Clock, batch: int) -> list[dict[str, Any]]:
    """3–6 sessions over a few skills; release and family fail often, social sometimes; a few complaints."""
    records: list[dict[str, Any]] = []
    for i in range(rng.randint(3, 6)):
        when = clock.tick(hours=rng.randint(1, 5))
        skill = rng.choice(["release", "release", "family", "social", "explore-codebase"])
        sid = f"b{batch}-{i}"
        if skill == "release":
            records.append(session(sid, when, success=rng.random() < 0.4, retry=rng.random() < 0.7))
        else:
            ok = rng.random() < (0.3 if skill == "family" else 0.7)
            records.append(session(sid, when, skill=skill, success=ok,
                                   calls=[call(f"gh api repos/o/r/{skill}", ok), call(f"gh api repos/o/r/{skill} -X GET", ok)]))
    if rng.random() < 0.4:
        records.append(learning(clock.tick(minutes=30), "release.feature_tests", skill="release"))
    return records


def cycle_events(repo: Path) -> list[dict[str, str]]:
    """(event, saturation, trigger) of every cycle commit, oldest first."""
    fmt = ("%x1e%(trailers:key=Skill-Event,valueonly,separator=)%x1f%(trailers:key=Skill-Saturation,valueonly,separator=)"
           "%x1f%(trailers:key=Skill-Trigger,valueonly,separator=)")
    out = []
    for chunk in git(repo, "log", "--reverse", f"--format={fmt}").split("\x1e")[1:]:
        event, saturation, trigger = (part.strip() for part in chunk.split("\x1f"))
        if trigger:
            out.append({"event": event, "saturation": saturation})
    return out


@pytest.mark.parametrize("seed", [7, 2026])
def test_many_cycles_on_generated_traces_stay_valid_and_saturate(sg, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    rng = random.Random(seed)
    clock = Clock(monkeypatch)
    repo = make_repo(tmp_path / "repo", clock)
    batches = 8
    for number in range(batches + 3):
        if number < batches:
            records = random_batch(rng, clock, number)
        else:
            records = good_batch(clock, f"quiet{number}", n=4, skill="explore-codebase")
        feed(repo, f"{number}.jsonl", records)
        before = int(git(repo, "rev-list", "--count", "HEAD"))
        clock.tick(hours=1)
        result = sg(repo, "cycle", "--on-propose", "auto", "--now", clock.iso)
        assert result.code == 0, result
        made = int(git(repo, "rev-list", "--count", "HEAD")) - before
        assert made in (0, 1), result
        if made:
            assert git(repo, "log", "-1", "--format=%(trailers:key=Skill-Trigger,valueonly)").strip()
            assert git(repo, "log", "-1", "--format=%ae").strip() == "yoyo-bot@example.com"
        assert git(repo, "status", "--porcelain") == ""
    verify = sg(repo, "verify")
    assert verify.code == 0, verify
    history = cycle_events(repo)
    assert len(history) >= 8
    streak = 0
    for event in history:
        streak = streak + 1 if event["event"] == "no-op" else 0
        assert (event["saturation"] == "true") == (streak >= 3), history
    assert [e["event"] for e in history[-3:]] == ["no-op"] * 3
    assert history[-1]["saturation"] == "true"
