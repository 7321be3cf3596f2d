"""The gate as a function: rounds of repeated runs, the train guard and the holdout confirmation
(margin, min_effect, min_pass, min_blocker), the run cache, the budget, and what a proposer may see.
Scripted runner: tests/samples/evals/runner_quality.py (deterministic: a case passes on every run
or on none)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import git, snapshot
from gate_helpers import (
    EVAL_DIR,
    EVALS,
    JUDGE,
    PY,
    RUNNER,
    add_evals,
    head_skill,
    with_markers,
)

from skillgit.config import Config
from skillgit.errors import SealMismatch, UsageError
from skillgit.evals.cache import FILE, RunCache
from skillgit.evals.gate import gate, proposer_view
from skillgit.evals.material import NoEvals, NoRunner, SkillMaterial
from skillgit.workspace import Workspace

CANARY = "CANARY-7f3a9c21"


def run_gate(repo: Path, config: Config | None = None, runner: str | None = RUNNER, budget: int | None = None,
             **markers: int):  # type: ignore[no-untyped-def]
    ws = Workspace.open(repo)
    return gate(ws, "social", with_markers(head_skill(repo), **markers), runner=runner, config=config, budget=budget)


def counting_runner(port: int) -> str:
    """The scripted runner, reporting each run's version and case on the test's channel."""
    return f"{PY} {EVALS / 'runner_logging.py'} {port}"


def test_a_deterministic_runner_gets_its_decision_in_the_first_round(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo, quality=1, holdout_quality=1)
    before = snapshot(managed_repo)
    result = run_gate(managed_repo, quality=2, holdout_quality=2)
    assert result.accepted and result.reason is None, result.lines()
    # One round: 3 train + 5 holdout cases, 4 runs each on the candidate and on the (uncached) champion.
    assert (result.looks, result.runs, result.cached) == (1, 64, 0)
    assert result.summary.format() == "train ok n=3×4; holdout 0.20->0.60 +0.40 [+0.14,+0.66] n=5×4; runs 64"
    assert [(c.case, c.champion.total, c.candidate.total) for c in result.counts.cases if c.part == "train"] == [
        ("easy", 4, 4), ("medium", 0, 4), ("hard", 0, 0)]
    assert snapshot(managed_repo) == before  # the gate itself never writes to the work tree


def test_better_on_train_but_worse_on_holdout_is_rejected_in_the_first_round(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo, quality=1, holdout_quality=2)
    result = run_gate(managed_repo, quality=2, holdout_quality=1)
    assert result.outcome == "rejected" and result.looks == 1
    assert result.summary.format() == "train ok n=3×4; holdout 0.60->0.20 -0.40 [-0.66,-0.14] n=5×4; runs 64"
    assert result.reason == "holdout 0.60->0.20 -0.40 [-0.66,-0.14] n=5×4: the interval is below min_effect 0.12"


def test_a_holdout_tie_is_rejected_once_the_interval_is_below_min_effect(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo, quality=1, holdout_quality=2)
    result = run_gate(managed_repo, quality=2, holdout_quality=2)
    assert result.outcome == "rejected"
    assert result.looks == 3  # until the interval is narrow enough to lie below min_effect
    assert result.reason == "holdout 0.60->0.60 +0.00 [-0.10,+0.10] n=5×12: the interval is below min_effect 0.12"
    assert result.summary.format().startswith("train ok n=3×4; holdout")  # the train guard settled in round 1


def test_a_train_regression_beyond_the_tolerance_is_rejected_whatever_the_holdout(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo, quality=2)
    result = run_gate(managed_repo, quality=1, holdout_quality=5)
    assert result.outcome == "rejected"
    assert result.reason is not None and result.reason.startswith("train 0.67->0.33 -0.33 [")
    assert result.reason.endswith("n=3×8: worse than the tolerated regression -0.1")
    assert result.summary.train == "worse"


def test_a_train_only_skill_confirms_on_its_train_cases(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo, holdout=None, quality=1)
    result = run_gate(managed_repo, quality=3)
    assert result.accepted, result.lines()
    assert result.summary.format() == "train ok 0.33->1.00 +0.67 [+0.32,+1.00] n=3×4; runs 24"


def test_a_candidate_that_cannot_clear_the_margin_of_the_lock_runs_until_the_budget_and_is_inconclusive(
    sg, managed_repo: Path
) -> None:
    add_evals(sg, managed_repo, quality=1, holdout_quality=1, seal_args=("--margin", "0.5"))
    result = run_gate(managed_repo, budget=150, quality=2, holdout_quality=2)
    assert result.outcome == "inconclusive" and not result.accepted
    # Round 1: 64 runs; then the holdout alone, 20 candidate + 20 champion runs a round.
    assert (result.looks, result.runs) == (3, 144)
    assert result.reason is not None
    assert result.reason.startswith("inconclusive after 144 runs (the budget of 150 agent runs): holdout 0.20->0.60 ")
    assert result.reason.endswith("the lower end must pass the margin 0.5, or the upper end fall below min_effect "
                                  "0.12; not accepted")


def test_a_budget_that_fits_no_full_round_gets_a_last_smaller_round(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo, quality=1, holdout_quality=1, seal_args=("--margin", "0.5"))
    result = run_gate(managed_repo, budget=160, quality=2, holdout_quality=2)
    # As with a budget of 150 up to 144 runs; the 16 left do not fit a full round of the holdout
    # (20 + 20) but do fit 1 more run per case on both versions: 10 runs, one more look.
    assert result.outcome == "inconclusive"
    assert (result.looks, result.runs) == (4, 154)
    assert result.summary.holdout is not None and result.summary.holdout.trials == 13
    assert result.reason is not None and result.reason.startswith("inconclusive after 154 runs (the budget of 160 agent runs)")


def test_the_budget_must_fit_the_first_round(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo, quality=1, holdout_quality=1)
    with pytest.raises(UsageError, match="does not fit the first round"):
        run_gate(managed_repo, budget=40, quality=2, holdout_quality=2)


def test_a_challenger_under_min_pass_is_rejected_even_with_a_significant_gain(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo, quality=0, holdout_quality=0)
    result = run_gate(managed_repo, quality=1, holdout_quality=1)
    assert result.outcome == "rejected"
    assert result.reason is not None and result.reason.endswith(": challenger 0.20 < min_pass 0.6")


def test_margin_and_min_pass_fall_back_to_the_config_when_the_lock_has_none(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo, quality=1, holdout_quality=1)
    lock = managed_repo / EVAL_DIR / "holdout.lock.json"
    data = json.loads(lock.read_text())
    del data["margin"], data["min_pass"]
    lock.write_text(json.dumps(data))
    git(managed_repo, "commit", "-q", "-am", "Lock without numbers")
    config = Config.from_text("holdout: {margin: 0.45, min_pass: 0.1}\n")
    result = run_gate(managed_repo, config, budget=100, quality=2, holdout_quality=2)
    assert result.outcome == "inconclusive" and "margin 0.45" in (result.reason or "")


def _judged_holdout(sg, repo: Path, champion_quality: int = 5) -> Config:  # type: ignore[no-untyped-def]
    """An OrchestKit-style holdout: no graders, scored 0–10 by the rubric the lock names."""
    shutil.copy(EVALS / "rubric.json", repo / "skills/social/rubric.json")
    add_evals(sg, repo, evals=None, holdout=None, quality=champion_quality)
    lines = [{"id": f"j{i}", "prompt": f"Judged task {i}.", "level": 1} for i in range(1, 4)]
    (repo / EVAL_DIR / "holdout.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    skeleton = {"schema": "ork-holdout/1.0", "rubric": "src/skills/social/rubric.json"}
    (repo / EVAL_DIR / "holdout.lock.json").write_text(json.dumps(skeleton))
    assert sg(repo, "holdout", "seal", "social", "--margin", "0.5", "--min-pass", "7").code == 0
    return Config.from_text(f"eval: {{judge: {json.dumps(JUDGE)}}}\n")


def test_a_judged_holdout_is_scored_0_to_10_with_the_locks_rubric(sg, managed_repo: Path) -> None:
    config = _judged_holdout(sg, managed_repo)
    result = run_gate(managed_repo, config, quality=7)
    # rubric: correctness 0.6, security 0.4; champion 0.6*5+0.4*10 = 7.0, challenger 0.6*7+4 = 8.2
    assert result.accepted, result.lines()
    assert result.assessment.train is None  # a holdout-only skill (OrchestKit's layout): the holdout decides
    assert result.summary.format() == "holdout 7.00->8.20 +1.20 [+0.63,+1.77] n=3×4; runs 24"
    assert [(d.name, d.champion, d.candidate) for d in result.counts.dimensions] == [("security", 10.0, 10.0)]


def test_a_dimension_under_its_min_blocker_rejects_whatever_the_composite(sg, managed_repo: Path) -> None:
    config = _judged_holdout(sg, managed_repo, champion_quality=1)
    result = run_gate(managed_repo, config, quality=10, security=3)
    # champion 0.6*1+0.4*10 = 4.6; challenger 0.6*10 + 0.4*3 = 7.2: a clear gain over min_pass 7,
    # but security 3 is under its min_blocker 4
    assert result.outcome == "rejected"
    assert (result.reason or "").endswith("under min_blocker: security 3 < min_blocker 4")


def test_the_champions_runs_are_cached_and_served_to_the_next_decision(sg, managed_repo: Path, channel) -> None:  # type: ignore[no-untyped-def]
    add_evals(sg, managed_repo, quality=1, holdout_quality=1)
    runner = counting_runner(channel.port)
    first = run_gate(managed_repo, runner=runner, quality=2, holdout_quality=2)
    assert first.accepted and (first.runs, first.cached) == (64, 0), first.lines()
    assert (managed_repo / ".git" / "skillgit" / FILE).is_file()
    assert sum(m["version"] == first.champion for m in channel.of("run")) == 32
    seen = len(channel.of("run"))
    second = run_gate(managed_repo, runner=runner, quality=3, holdout_quality=3)
    assert second.accepted and second.champion == first.champion
    assert second.cached == 32  # every champion run of the first decision, from the cache
    # Only the holdout gets fresh champion runs (2 a case); the train cases are served entirely.
    champion_runs = [m["case"] for m in channel.of("run")[seen:] if m["version"] == first.champion]
    assert sorted(set(champion_runs)) == ["h1", "h2", "h3", "h4", "h5"] and len(champion_runs) == 10
    assert second.runs == 32 + 10
    with RunCache.open(Workspace.open(managed_repo).repo) as cache:
        # 32 + 10 champion runs, and the 32 + 32 runs of the two accepted candidates
        assert cache.stats() == {"runs": 106, "versions": 3, "cases": 24}


def test_an_accepted_candidates_runs_are_the_new_champions_first_record(sg, managed_repo: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                         channel) -> None:
    from gate_helpers import EXPECTED, candidate

    add_evals(sg, managed_repo, quality=1, holdout_quality=1)
    path = candidate(managed_repo, tmp_path, quality=2, holdout_quality=2)
    promote = ("promote", "social", "--candidate", str(path), "--expected", EXPECTED, "--runner", RUNNER, "--json")
    assert sg(managed_repo, *promote).code == 0
    assert git(managed_repo, "rev-parse", "HEAD:skills/social/SKILL.md").strip() == json.loads(
        sg(managed_repo, "eval", "ledger", "social", "--json").out)[-1]["version"].split("..")[1]
    other = run_gate(managed_repo, runner=counting_runner(channel.port), quality=3, holdout_quality=5)
    assert other.cached == 0  # another runner command: another cache key
    second = run_gate(managed_repo, quality=3, holdout_quality=5)
    assert (second.looks, second.cached, second.runs) == (1, 32, 32 + 10)


def test_a_rejected_candidates_runs_are_not_kept(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo, quality=1, holdout_quality=2)
    rejected = run_gate(managed_repo, quality=2, holdout_quality=1)
    assert rejected.outcome == "rejected"
    with RunCache.open(Workspace.open(managed_repo).repo) as cache:
        assert cache.stats()["versions"] == 1  # the champion's runs only


def test_a_changed_runner_command_does_not_reuse_the_cached_runs(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo, quality=1, holdout_quality=1)
    assert run_gate(managed_repo, quality=2, holdout_quality=2).cached == 0
    other = f"{RUNNER} --unused-flag"
    assert run_gate(managed_repo, runner=other, quality=3, holdout_quality=3).cached == 0
    assert run_gate(managed_repo, runner=other, quality=2, holdout_quality=2).cached == 32


def test_runner_errors_count_as_fails_and_are_not_cached(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo, holdout=None, quality=1)
    result = run_gate(managed_repo, runner=f"{PY} {EVALS / 'runner_crash.py'}", budget=60, quality=3)
    assert result.outcome in ("rejected", "inconclusive") and result.errors == result.runs
    with RunCache.open(Workspace.open(managed_repo).repo) as cache:
        assert cache.stats()["runs"] == 0


def test_a_python_callable_runner_is_not_cached(sg, managed_repo: Path) -> None:
    from skillgit.evals.gate import CommandRunner

    add_evals(sg, managed_repo, quality=1, holdout_quality=1)

    def runner(cases, **kwargs):  # type: ignore[no-untyped-def]
        return CommandRunner(RUNNER, 60.0, managed_repo)(cases, **kwargs)

    ws = Workspace.open(managed_repo)
    for _ in range(2):
        result = gate(ws, "social", with_markers(head_skill(managed_repo), quality=2, holdout_quality=2), runner=runner)
        assert result.accepted and result.cached == 0


def test_a_skill_without_evals_or_holdout_has_no_gate(managed_repo: Path) -> None:
    with pytest.raises(NoEvals) as info:
        run_gate(managed_repo, quality=2)
    assert info.value.exit_code == 2


def test_no_configured_runner_is_a_usage_error(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo)
    with pytest.raises(NoRunner, match="eval.runner"):
        run_gate(managed_repo, Config.defaults(), runner=None, quality=2)


def test_an_edited_holdout_stops_the_gate_before_anything_runs(sg, managed_repo: Path, tmp_path: Path) -> None:
    add_evals(sg, managed_repo)
    path = managed_repo / EVAL_DIR / "holdout.jsonl"
    path.write_bytes(path.read_bytes()[:-1] + b' \n')
    marker = tmp_path / "ran"
    with pytest.raises(SealMismatch):
        run_gate(managed_repo, runner=f"touch {marker}; false", quality=2)
    assert not marker.exists()


def test_a_runner_never_sees_the_evals_directory(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo)
    with SkillMaterial(Workspace.open(managed_repo), "social") as material:
        assert (material.checkout.path / "evals" / "holdout.jsonl").is_file()
        runner_dir = material.runner_dir(b"x")
        assert sorted(p.name for p in runner_dir.iterdir()) == ["SKILL.md"]
        assert (runner_dir / "SKILL.md").read_bytes() == b"x"


# -- what a proposer may see ----------------------------------------------------------------------


def test_the_proposer_view_has_the_skill_and_train_cases_and_nothing_of_the_holdout(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo, holdout="gate_holdout_canary.jsonl")
    view = proposer_view(Workspace.open(managed_repo), "social")
    assert view["skill_md"] == head_skill(managed_repo).decode()
    assert [c["id"] for c in view["train_cases"]] == ["easy", "medium", "hard"]
    assert view["train_cases"][0]["graders"] == [{"type": "outcome", "expect": "success"}]
    assert view["files"] == ["SKILL.md", "evals/evals.yaml"]
    assert CANARY not in json.dumps(view)


def test_a_canary_in_the_holdout_never_reaches_what_a_proposer_receives(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo, holdout="gate_holdout_canary.jsonl", quality=1, holdout_quality=1)
    ws = Workspace.open(managed_repo)
    assert CANARY in (managed_repo / EVAL_DIR / "holdout.jsonl").read_text()
    for markers in ({"quality": 2, "holdout_quality": 2}, {"quality": 2, "holdout_quality": 0}):
        result = gate(ws, "social", with_markers(head_skill(managed_repo), **markers), runner=RUNNER)
        assert result.assessment.holdout is not None  # the holdout ran, with the canary in its cases
        request = {"view": proposer_view(ws, "social"), "feedback": result.proposer_feedback()}
        assert CANARY not in json.dumps(request)
        assert CANARY not in json.dumps(result.to_json()) and CANARY not in "\n".join(result.lines())
        assert CANARY not in result.counts_block()
        assert "holdout" not in json.dumps(result.proposer_feedback()["summary"])


def test_a_holdout_case_may_share_its_id_with_a_train_case(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo, holdout=None, quality=1)
    lines = (EVALS / "gate_holdout.jsonl").read_text().replace('"id": "h1"', '"id": "easy"')
    (managed_repo / EVAL_DIR / "holdout.jsonl").write_text(lines)
    assert sg(managed_repo, "holdout", "seal", "social").code == 0
    result = run_gate(managed_repo, quality=2, holdout_quality=2)
    assert result.summary.format() == "train ok n=3×4; holdout 0.20->0.60 +0.40 [+0.14,+0.66] n=5×4; runs 64"
    again = run_gate(managed_repo, quality=2, holdout_quality=3)
    # the second decision: train cases served from the cache, holdout cases 2 fresh champion runs each
    assert [(c.part, c.champion.runs) for c in again.counts.cases] == [("train", 4)] * 3 + [("holdout", 6)] * 5
