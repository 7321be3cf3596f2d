"""Grading past Skill-Expected predictions: hit, miss, pending, unmeasured — never judged early."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from evidence_support import (
    DAY172,
    bash,
    dated_repo,
    ingest,
    needs_corpus,
    refine,
    session,
    t,
    yoyo_day,
)

from skillgit.evidence.expectations import Grade, grade_expectations
from skillgit.evidence.session import Learning
from skillgit.workspace import Workspace

EVENT = "2026-03-01"


def refined(tmp_path: Path, expected: str, name: str = "release") -> tuple[Workspace, str]:
    repo = dated_repo(tmp_path)
    text = (repo / "skills" / name / "SKILL.md").read_text(encoding="utf-8")
    commit = refine(repo, name, text + "\nCheck the tree is clean first.\n", EVENT, expected)
    return Workspace.open(repo), commit


def grade(ws: Workspace, sessions: list, learnings: list = (), **kw: object) -> Grade:
    (g,) = grade_expectations(ws, sessions, learnings, **kw)  # type: ignore[arg-type]
    return g


def used(sid: str, day: str, outcome: str = "success", skill: str = "release") -> object:
    return session(sid, [bash("echo")], skill=skill, start=day, outcome=outcome)


WIN_RATE = "win_rate >= 0.5 within 2 sessions; else split the procedure into a helper script"


def test_a_sessions_horizon_is_pending_until_that_many_sessions_ran_after_the_event(tmp_path: Path) -> None:
    ws, commit = refined(tmp_path, WIN_RATE)
    g = grade(ws, [used("s1", "2026-03-02")])
    assert (g.commit, g.skill, g.status, g.sessions, g.value) == (commit, "release", "pending", 1, None)
    assert g.reason == "1 of 2 sessions so far"


def test_a_sessions_horizon_counts_the_sessions_that_did_not_use_the_skill(tmp_path: Path) -> None:
    ws, _ = refined(tmp_path, WIN_RATE)
    g = grade(ws, [used("s1", "2026-03-02"), used("other", "2026-03-03", skill="social"), used("s3", "2026-03-04", "failure")])
    assert (g.status, g.value, g.sessions, g.until) == ("hit", 1.0, 1, t("2026-03-03"))
    assert g.reason == "win_rate = 1 over 2 session(s), 1 using the skill"


def test_a_use_prediction_misses_when_the_horizon_passes_without_a_use(tmp_path: Path) -> None:
    ws, _ = refined(tmp_path, "uses >= 1 within 10 sessions; else broaden the description")
    others = [used(f"o{i}", f"2026-03-{i + 2:02d}", skill="social") for i in range(13)]
    g = grade(ws, others)
    assert (g.status, g.value, g.sessions, g.until) == ("miss", 0.0, 0, t("2026-03-11"))
    assert grade(ws, others[:9]).status == "pending"


def test_a_sessions_horizon_is_judged_over_exactly_the_first_n_sessions(tmp_path: Path) -> None:
    ws, _ = refined(tmp_path, WIN_RATE)
    later = [used(f"s{i}", f"2026-03-1{i}", "failure") for i in range(3, 7)]
    g = grade(ws, [used("s1", "2026-03-02"), used("s2", "2026-03-03", "failure"), *later])
    assert (g.status, g.value, g.sessions, g.until) == ("hit", 0.5, 2, t("2026-03-03"))


def test_a_prediction_that_does_not_hold_is_a_miss(tmp_path: Path) -> None:
    ws, _ = refined(tmp_path, WIN_RATE)
    g = grade(ws, [used("s1", "2026-03-02", "failure"), used("s2", "2026-03-03", "failure")])
    assert (g.status, g.value) == ("miss", 0.0)


def test_sessions_before_the_event_do_not_count_and_weak_matches_are_not_uses(tmp_path: Path) -> None:
    ws, _ = refined(tmp_path, WIN_RATE)
    before = used("old", "2026-02-15")
    weak = session("kw", [bash("cargo publish --dry-run")], start="2026-03-05")
    assert grade(ws, [before, used("s1", "2026-03-02")]).status == "pending"
    g = grade(ws, [before, used("s1", "2026-03-02"), weak])
    assert (g.status, g.value, g.sessions) == ("hit", 1.0, 1)


def test_a_days_horizon_is_never_judged_before_the_traces_reach_its_end(tmp_path: Path) -> None:
    ws, _ = refined(tmp_path, "uses >= 2 within 7 days; else widen the keywords")
    early = [used("s1", "2026-03-02"), used("s2", "2026-03-03")]
    pending = grade(ws, early)
    assert (pending.status, pending.sessions, pending.until) == ("pending", 2, t(EVENT) + timedelta(days=7))
    after = grade(ws, [*early, used("late", "2026-03-20")])
    assert (after.status, after.value, after.sessions) == ("hit", 2.0, 2)  # the session after the horizon is not counted


def test_a_days_horizon_can_be_judged_against_an_explicit_now(tmp_path: Path) -> None:
    ws, _ = refined(tmp_path, "uses >= 3 within 7 days; else widen the keywords")
    g = grade(ws, [used("s1", "2026-03-02")], now=t("2026-04-01"))
    assert (g.status, g.value) == ("miss", 1.0)


def test_without_any_session_a_prediction_is_unmeasured(tmp_path: Path) -> None:
    ws, _ = refined(tmp_path, WIN_RATE)
    g = grade(ws, [])
    assert g.status == "unmeasured" and "skillgit ingest" in g.reason


def test_a_skill_with_no_evidence_channel_is_unmeasured_not_pending(tmp_path: Path) -> None:
    ws, _ = refined(tmp_path, "uses >= 1 within 3 sessions; else add keywords", name="research")
    g = grade(ws, [session("s1", [bash("ls")], start="2026-03-02")])
    assert g.status == "unmeasured" and "no evidence channel" in g.reason


def test_a_pattern_metric_without_learnings_is_unmeasured(tmp_path: Path) -> None:
    ws, _ = refined(tmp_path, "pattern:release.dirty_tree <= 0 within 2 sessions; else add a clean-tree check")
    g = grade(ws, [used("s1", "2026-03-02"), used("s2", "2026-03-03")])
    assert g.status == "unmeasured" and "none were ingested" in g.reason


def test_a_pattern_metric_counts_learnings_with_that_key_inside_the_horizon(tmp_path: Path) -> None:
    ws, _ = refined(tmp_path, "pattern:release.dirty_tree <= 0 within 2 sessions; else add a clean-tree check")
    learnings = [
        Learning("dirty again", ts=t("2026-03-02T12:00"), pattern_key="release.dirty_tree"),
        Learning("before the event", ts=t("2026-02-20"), pattern_key="release.dirty_tree"),
        Learning("after the horizon", ts=t("2026-03-09"), pattern_key="release.dirty_tree"),
    ]
    g = grade(ws, [used("s1", "2026-03-02"), used("s2", "2026-03-03")], learnings)
    assert (g.status, g.value) == ("miss", 1.0)


def test_complaints_inside_the_horizon_are_counted(tmp_path: Path) -> None:
    ws, _ = refined(tmp_path, "complaints <= 0 within 2 sessions; else add a Pitfalls entry")
    learnings = [Learning("tree dirty", ts=t("2026-03-02T12:00"), skill="release")]
    assert grade(ws, [used("s1", "2026-03-02"), used("s2", "2026-03-03")], learnings).status == "miss"
    assert grade(ws, [used("s1", "2026-03-02"), used("s2", "2026-03-03")]).status == "hit"


def test_predictions_can_be_filtered_by_skill(tmp_path: Path) -> None:
    ws, _ = refined(tmp_path, WIN_RATE)
    assert grade_expectations(ws, [], skill="social") == []
    assert len(grade_expectations(ws, [], skill="release")) == 1


@needs_corpus
def test_expectations_command_grades_from_ingested_sessions(tmp_path: Path, sg) -> None:  # type: ignore[no-untyped-def]
    ws, commit = refined(tmp_path, "uses >= 1 within 1 sessions; else broaden the keywords", name="family")
    repo = ws.repo.root
    pending = sg(repo, "expectations")
    assert pending.code == 0 and "unmeasured" in pending.out and "skillgit ingest" in pending.err
    line = {"ts": "2026-08-19T16:50:00", "tool": "bash", "args": {"command": "sed -n 1,40p skills/family/SKILL.md"},
            "success": True, "duration_ms": 2}
    yoyo_day(tmp_path / "t", DAY172, extra=[line])
    ingest(repo, tmp_path / "t")
    (row,) = json.loads(sg(repo, "expectations", "--json").out)
    assert (row["commit"], row["skill"], row["status"], row["value"], row["sessions"]) == (commit, "family", "hit", 1.0, 1)
    text = sg(repo, "expectations", "--skill", "family")
    assert f"{commit[:12]}  family" in text.out and "hit" in text.out and "uses >= 1 within 1 sessions" in text.out
