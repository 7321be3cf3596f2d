"""Metrics per skill and per version; the flaws of yoyo's scoring loop, fixed and shown."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
from conftest import CORPUS, CORPUS_FIX, FIXTURES, require
from evidence_support import (
    DAY172,
    YOYO,
    add_skill,
    bash,
    claude_session,
    codex_rollout,
    dated_repo,
    ingest,
    otlp_trace,
    session,
    skill_text,
    yoyo_day,
)

from skillgit.config import Config
from skillgit.evidence.metrics import (
    Weights,
    blended,
    compute_metrics,
    ema,
    is_complaint,
    per_version,
)
from skillgit.evidence.session import Learning
from skillgit.evidence.store import load_learnings, load_sessions
from skillgit.workspace import Workspace

BRAINSTORMING = CORPUS / "skills" / "obra__superpowers" / "skills" / "brainstorming" / "SKILL.md"
DEFAULTS = Weights.from_config(Config.defaults())


@pytest.fixture
def evidence(tmp_path: Path) -> Path:
    """Four complete sessions (Claude Code, OTLP, Codex, a yoyo day) and the corpus + fixture learnings."""
    require((CORPUS / "traces").is_dir(), f"traces/ of {CORPUS_FIX}")
    repo = dated_repo(tmp_path)
    text = BRAINSTORMING.read_text(encoding="utf-8")
    add_skill(repo, "brainstorming", text, "2026-02-01")
    add_skill(repo, "brainstorming", text + "\n## Pitfalls\n\n- One question at a time.\n", "2026-03-01")
    add_skill(repo, "communicate", skill_text("communicate"), "2026-02-01")
    traces = tmp_path / "traces"
    claude_session(traces / "claude.jsonl", skill="superpowers:brainstorming", start="2026-03-10T10:00",
                   command="npm test", error="Exit code 1\nnpm ERR! Test failed.")
    otlp_trace(traces / "otlp.jsonl", skill="brainstorming", start="2026-03-12T10:00")
    codex_rollout(traces / "rollout-1.jsonl", start="2026-03-14T10:00",
                  commands=[("cat skills/release/SKILL.md", 0), ("cargo publish --dry-run", 1)])
    yoyo_day(traces, DAY172)
    (traces / "memory").mkdir()
    shutil.copyfile(YOYO / "yyds-harness__memory__learnings.jsonl", traces / "memory" / "learnings.jsonl")
    shutil.copyfile(FIXTURES / "repo" / "memory" / "learnings.jsonl", traces / "fixture-learnings.jsonl")
    ingest(repo, traces)
    return repo


def metrics_of(repo: Path, config: Config | None = None) -> dict:
    ws = Workspace.open(repo)
    return compute_metrics(ws, load_sessions(ws.repo), load_learnings(ws.repo), config)


def test_four_complete_sessions_give_these_metrics(evidence: Path) -> None:
    m = metrics_of(evidence)
    b, r, c = m["brainstorming"], m["release"], m["communicate"]
    assert (b.uses, b.wins, b.failures, b.win_rate, b.failure_rate, b.mention_rate, b.complaints) == (2, 1, 2, 0.5, 1.0, 0.5, 0)
    # one window of 4 sessions from the prior 0.5: blended = .5*.5 + .3*1 + .2*.5 = .65
    assert b.score == pytest.approx(0.3 * 0.65 + 0.7 * 0.5) and b.status == "measured"
    # release: its frontmatter score 0.5 is the start; one complaint (pattern_key release.dirty_tree) in one use
    assert (r.uses, r.wins, r.failures, r.failure_rate, r.complaints, r.mention_rate) == (1, 0, 1, 1.0, 1, 0.25)
    assert r.score == pytest.approx(0.3 * (0.2 * 0.25) + 0.7 * 0.5)
    assert (c.uses, c.wins, c.failures, c.win_rate) == (1, 1, 0, 1.0)
    assert c.score == pytest.approx(0.3 * (0.5 + 0.3 + 0.2 * 0.25) + 0.7 * 0.5)
    assert all(x.sessions_considered == 4 for x in m.values())


def test_a_skill_no_session_used_is_unused_and_decays(evidence: Path) -> None:
    family = metrics_of(evidence)["family"]
    assert (family.status, family.uses, family.score, family.unused_sessions) == ("unused", 0, pytest.approx(0.35), 4)


def test_complaints_come_from_pattern_keys_and_skill_fields_never_from_prose(evidence: Path) -> None:
    m = metrics_of(evidence)
    assert m["skill-evolve"].complaints == 4  # pattern_key skill-evolve.keyword_noise
    assert m["family"].complaints == 0 and m["social"].complaints == 0
    # yoyo counted a complaint when the prose mentioned the skill: the corpus learnings would blame these skills
    learnings = load_learnings(Workspace.open(evidence).repo)
    prose = {name: sum(name in f"{x.title} {x.context} {x.takeaway}".lower() for x in learnings) for name in ("release", "family", "social")}
    assert prose == {"release": 2, "family": 3, "social": 1}


@pytest.mark.parametrize(
    ("learning", "tied"),
    [
        (Learning("t", pattern_key="release"), True),
        (Learning("t", pattern_key="release.dirty_tree"), True),
        (Learning("t", pattern_key="releases.dirty_tree"), False),
        (Learning("t", pattern_key="pre-release.x"), False),
        (Learning("t", skill="release"), True),
        (Learning("t", skills=("social", "release")), True),
        (Learning("release went wrong", context="the release skill failed", takeaway="fix release"), False),
    ],
    ids=["key-equals", "key-prefix", "longer-name", "name-inside-key", "skill-field", "skills-list", "prose-only"],
)
def test_a_learning_is_a_complaint_about_a_skill_only_by_its_tags(learning: Learning, tied: bool) -> None:
    assert is_complaint(learning, "release") is tied


def test_an_unused_skill_scores_zero_evidence_not_the_yoyo_0_3() -> None:
    assert blended(0.0, 0, 0, 0.0, DEFAULTS) == 0.0


def test_several_cycles_of_decay_take_an_unused_skill_below_the_retire_threshold() -> None:
    retire = Config.defaults().cycle.retire_max_score
    scores, score = [], DEFAULTS.prior
    for _ in range(4):
        score = ema(score, blended(0.0, 0, 0, 0.0, DEFAULTS), DEFAULTS)
        scores.append(round(score, 6))
    assert scores == [0.35, 0.245, 0.1715, 0.12005]
    assert scores[1] < retire


def test_the_default_retire_threshold_is_reachable_from_the_prior_by_the_formula() -> None:
    # unused: score_n = prev_weight**n * prior, so it passes below retire_max_score after
    # n = log(retire / prior) / log(prev_weight) windows — finite whenever prev_weight < 1
    retire = Config.defaults().cycle.retire_max_score
    n = math.floor(math.log(retire / DEFAULTS.prior) / math.log(DEFAULTS.prev)) + 1
    assert n == 2 and DEFAULTS.prior * DEFAULTS.prev**n < retire


def test_the_yoyo_formula_holds_an_unused_skill_at_0_3_forever() -> None:
    def yoyo_blended(wins: int, uses: int, complaints: int, mention: float) -> float:
        win_rate = wins / uses if uses else 0.0
        complaint_free = 1 - complaints / uses if uses else 1.0  # no uses read as "no complaints": 1
        return 0.5 * win_rate + 0.3 * complaint_free + 0.2 * mention

    score, lowest = 0.5, 0.5
    for _ in range(500):
        score = 0.3 * yoyo_blended(0, 0, 0, 0.0) + 0.7 * score
        lowest = min(lowest, score)
    assert score == pytest.approx(0.3) and not lowest < 0.3  # `score < 0.3` (yoyo's retire rule) never fires


def test_ten_sessions_without_a_use_are_two_windows_below_the_retire_threshold(tmp_path: Path) -> None:
    repo = dated_repo(tmp_path)
    ws = Workspace.open(repo)
    sessions = [session(f"s{i}", [bash("ls")], skill="release", start=f"2026-03-{i + 10:02d}") for i in range(10)]
    m = compute_metrics(ws, sessions)
    assert (m["family"].windows, m["family"].score) == (2, pytest.approx(0.245))
    assert m["family"].score < ws.config.cycle.retire_max_score


def test_without_any_evidence_channel_a_skill_is_unmeasured_and_keeps_its_prior(tmp_path: Path) -> None:
    repo = dated_repo(tmp_path)
    m = compute_metrics(Workspace.open(repo), [])
    assert {x.status for x in m.values()} == {"unmeasured"}
    assert m["social"].score == 0.59 and m["family"].score == 0.5


def test_sessions_with_tool_calls_but_no_skill_evidence_leave_keywordless_skills_unmeasured(tmp_path: Path) -> None:
    repo = dated_repo(tmp_path)
    m = compute_metrics(Workspace.open(repo), [session("s1", [bash("ls")], start="2026-03-01")])
    assert m["research"].status == "unmeasured"  # no keywords, no skill use visible anywhere
    assert m["family"].status == "unused"  # has keywords, and there were tool arguments to match


def test_mention_rate_is_the_share_of_sessions_in_the_window_that_used_the_skill(tmp_path: Path) -> None:
    repo = dated_repo(tmp_path)
    sessions = [session(f"s{i}", skill="release" if i < 2 else "social", start=f"2026-03-0{i + 1}") for i in range(5)]
    m = compute_metrics(Workspace.open(repo), sessions)
    assert (m["release"].mention_rate, m["social"].mention_rate, m["family"].mention_rate) == (0.4, 0.6, 0.0)


def test_keyword_matches_are_weak_and_counted_only_with_count_weak(tmp_path: Path) -> None:
    repo = dated_repo(tmp_path)
    sessions = [session("s1", [bash("cargo publish --dry-run")], start="2026-03-01")]
    ws = Workspace.open(repo)
    plain = compute_metrics(ws, sessions)["release"]
    assert (plain.uses, plain.weak_uses, plain.status) == (0, 1, "unused")
    counted = compute_metrics(ws, sessions, config=Config.from_text("metrics: {count_weak: true}"))["release"]
    assert (counted.uses, counted.weak_uses) == (1, 0)


def test_more_complaints_than_uses_floor_the_complaint_term_at_zero() -> None:
    assert blended(1.0, 3, 1, 0.0, DEFAULTS) == 0.5


def test_failure_rate_is_sessions_with_a_failed_call_over_uses(tmp_path: Path) -> None:
    repo = dated_repo(tmp_path)
    sessions = [
        session("s1", [bash("a", ok=False), bash("b", ok=False)], skill="release", start="2026-03-01"),
        session("s2", [bash("a")], skill="release", start="2026-03-02"),
    ]
    r = compute_metrics(Workspace.open(repo), sessions)["release"]
    assert (r.failures, r.failure_rate) == (2, 0.5)


def test_per_version_metrics_split_sessions_by_the_version_in_effect(tmp_path: Path) -> None:
    repo = dated_repo(tmp_path)
    v1 = add_skill(repo, "notes", skill_text("notes"), "2026-02-01")
    v2 = add_skill(repo, "notes", skill_text("notes", body="Do the thing twice.\n"), "2026-03-01")
    sessions = [
        session("a", skill="notes", start="2026-02-10", outcome="failure"),
        session("b", skill="notes", start="2026-02-11", outcome="failure"),
        session("c", skill="notes", start="2026-03-10"),
        session("d", skill="notes", start="2026-03-11"),
        session("e", skill="notes", start="2026-03-12", outcome="failure"),
    ]
    by_blob = per_version(Workspace.open(repo), "notes", sessions)
    assert list(by_blob) == [v1, v2]
    assert (by_blob[v1].uses, by_blob[v1].win_rate) == (2, 0.0)
    assert (by_blob[v2].uses, by_blob[v2].win_rate) == (3, pytest.approx(2 / 3))


def test_status_and_versions_show_uses_win_rate_and_score(evidence: Path, sg) -> None:  # type: ignore[no-untyped-def]
    status = sg(evidence, "status")
    assert "brainstorming" in status.out and "uses=2 win_rate=0.5 score=0.545" in status.out
    data = {row["name"]: row for row in json.loads(sg(evidence, "status", "--json").out)["skills"]}
    assert (data["family"]["uses"], data["family"]["evidence"]) == (0, "unused")
    versions = sg(evidence, "versions", "brainstorming")
    assert versions.code == 0
    lines = [line for line in versions.out.splitlines() if line.startswith("v")]
    assert "uses=0" in lines[0] and "uses=2 win_rate=0.5" in lines[1]


def test_metrics_prints_a_row_per_skill_and_json(evidence: Path, sg) -> None:  # type: ignore[no-untyped-def]
    text = sg(evidence, "metrics")
    assert text.code == 0 and "brainstorming" in text.out and "4 session(s)" in text.out
    rows = json.loads(sg(evidence, "metrics", "release", "--json").out)
    assert [(r["skill"], r["uses"], r["complaints"], r["status"]) for r in rows] == [("release", 1, 1, "measured")]
    by_version = json.loads(sg(evidence, "metrics", "brainstorming", "--by-version", "--json").out)
    assert [(r["versions"], r["uses"]) for r in by_version] == [(["v1"], 0), (["v2"], 2)]


def test_metrics_before_any_ingest_says_to_run_ingest(tmp_path: Path, sg) -> None:  # type: ignore[no-untyped-def]
    result = sg(dated_repo(tmp_path), "metrics")
    assert result.code == 0 and "run `skillgit ingest" in result.err and "unmeasured" in result.out


def test_metrics_of_an_unknown_skill_is_a_usage_error(tmp_path: Path, sg) -> None:  # type: ignore[no-untyped-def]
    result = sg(dated_repo(tmp_path), "metrics", "nope")
    assert result.code == 2 and result.err == (
        "skillgit: no sessions ingested yet; run `skillgit ingest PATH…` first (until then every skill is unmeasured).\n"
        "skillgit: no skill `nope` at HEAD; known skills: blindspot, explore-codebase, family, old-deploy, release, research, "
        "skill-evolve, social.\n")


def test_a_versions_sessions_are_its_uses_and_the_timed_sessions_of_its_spans_in_timeline_order() -> None:
    """`_span_positions` (a byte a session marks them) gives what the union of sets it replaced gave."""
    import random
    import tracemalloc
    from datetime import UTC, datetime, timedelta

    from skillgit.evidence.metrics import _span_positions
    from skillgit.evidence.rows import micros
    from skillgit.evidence.timeline import Timeline

    rng = random.Random(5)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    times = sorted([None] * 30 + [micros(start + timedelta(minutes=rng.randrange(5000))) for _ in range(3000)],
                   key=lambda t: t or 0)
    timeline = Timeline.stored((row, t, rng.random() < 0.5, 0) for row, t in enumerate(times))
    for _ in range(50):
        uses = sorted(rng.sample(range(len(timeline)), rng.randrange(300)))
        ranges: list[tuple[datetime, datetime | None]] = []
        for _ in range(rng.randrange(4)):
            first = start + timedelta(minutes=rng.randrange(-100, 5100))
            ranges.append((first, None if rng.random() < 0.3 else first + timedelta(minutes=rng.randrange(3000))))
        inside = set(uses)
        for first, end in ranges:
            low, high = timeline.span(first, end)
            inside.update(p for p in range(low, high) if timeline.timed[p])  # the sessions that ran in [first, end)
        assert list(_span_positions(timeline, uses, ranges)) == sorted(inside)
    tracemalloc.start()
    try:
        order = _span_positions(timeline, [], [(start, None)])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(order) == 3000 and peak < 12 * len(timeline), peak  # a byte a session, eight for each one kept


def test_a_skills_uses_in_a_timeline_are_read_back_in_position_order_with_their_strength_and_version() -> None:
    import random

    from skillgit.evidence.timeline import UsesAt

    rng = random.Random(9)
    uses = [(p, rng.choice(("explicit", "stamped", "read", "weak")), rng.choice((None, "a" * 40, "b" * 40)))
            for p in rng.sample(range(100_000), 2000)]
    found = UsesAt(uses)
    assert list(found) == sorted(uses, key=lambda u: u[0]) and len(found) == 2000
    assert list(found.positions("a" * 40, weak=False)) == sorted(
        p for p, strength, version in uses if version == "a" * 40 and strength != "weak")
