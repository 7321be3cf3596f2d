"""The gate as a function: train A/B, the holdout bake-off (margin, ties, min_pass, min_blocker), and
what a proposer may see. Scripted runner: tests/samples/evals/runner_quality.py."""

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
    RUNNER,
    add_evals,
    head_skill,
    with_markers,
)

from skillgit.config import Config
from skillgit.errors import SealMismatch
from skillgit.evals.gate import compare, gate, proposer_view
from skillgit.evals.material import NoEvals, NoRunner, SkillMaterial
from skillgit.evals.model import CaseResult
from skillgit.evals.summary import EvalSummary
from skillgit.workspace import Workspace

CANARY = "CANARY-7f3a9c21"


def run_gate(repo: Path, config: Config | None = None, runner: str | None = RUNNER, **markers: int):  # type: ignore[no-untyped-def]
    ws = Workspace.open(repo)
    return gate(ws, "social", with_markers(head_skill(repo), **markers), runner=runner, config=config)


@pytest.mark.parametrize("champion, challenger, verdict", [
    (CaseResult("c", False), CaseResult("c", True), "better"),
    (CaseResult("c", True), CaseResult("c", False), "worse"),
    (CaseResult("c", True), CaseResult("c", True), "tie"),
    (CaseResult("c", False), CaseResult("c", False, error="runner crashed"), "tie"),
])
def test_a_train_case_is_better_worse_or_tied_by_pass_and_fail(champion: CaseResult, challenger: CaseResult,
                                                              verdict: str) -> None:
    assert compare(champion, challenger) == verdict


def test_a_real_improvement_is_accepted_with_train_and_holdout_figures(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo, quality=1, holdout_quality=1)
    before = snapshot(managed_repo)
    result = run_gate(managed_repo, quality=2, holdout_quality=2)
    assert result.accepted and result.reason is None
    assert [(c.case_id, c.verdict) for c in result.train] == [("easy", "tie"), ("medium", "better"), ("hard", "tie")]
    assert result.summary == EvalSummary(1, 0, 2, 0.2, 0.6, 5, 0.05)
    assert result.summary.format() == "train 1 better 0 worse 2 tie; holdout 0.2->0.6 n=5 margin 0.05"
    assert snapshot(managed_repo) == before  # the gate itself never writes


def test_better_on_train_but_worse_on_holdout_is_rejected_with_both_figures(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo, quality=1, holdout_quality=2)
    result = run_gate(managed_repo, quality=2, holdout_quality=1)
    assert not result.accepted
    assert result.summary.format() == "train 1 better 0 worse 2 tie; holdout 0.6->0.2 n=5 margin 0.05"
    assert result.reason == "holdout 0.6->0.2 n=5: delta -0.4 < margin 0.05; challenger 0.2 < min_pass 0.6"


def test_a_holdout_tie_is_rejected(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo, quality=1, holdout_quality=2)
    result = run_gate(managed_repo, quality=2, holdout_quality=2)
    assert not result.accepted
    assert result.holdout is not None and result.holdout.delta == 0
    assert "a tie (delta 0); the champion keeps ties" in (result.reason or "")


def test_a_train_tie_is_rejected_without_running_the_holdout(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo, quality=1)
    result = run_gate(managed_repo, quality=1, security=9)
    assert not result.accepted and result.holdout is None
    assert result.summary.format() == "train 0 better 0 worse 3 tie"
    assert result.reason == "train 0 better 0 worse 3 tie: no case improved; the gate needs 0 worse and at least 1 better"


def test_a_train_regression_is_rejected(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo, quality=2)
    result = run_gate(managed_repo, quality=1, holdout_quality=5)
    assert not result.accepted and result.holdout is None
    assert result.summary.format() == "train 0 better 1 worse 2 tie"
    assert "1 worse (medium)" in (result.reason or "")


def test_the_margin_comes_from_the_lock(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo, quality=1, holdout_quality=1, seal_args=("--margin", "0.5"))
    result = run_gate(managed_repo, quality=2, holdout_quality=2)
    assert not result.accepted
    assert result.summary.format().endswith("holdout 0.2->0.6 n=5 margin 0.5")
    assert "delta +0.4 < margin 0.5" in (result.reason or "")


def test_a_challenger_under_min_pass_is_rejected_even_with_a_gain(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo, quality=0, holdout_quality=0)
    result = run_gate(managed_repo, quality=1, holdout_quality=1)
    assert not result.accepted
    assert result.reason == "challenger 0.2 < min_pass 0.6"


def test_margin_and_min_pass_fall_back_to_the_config_when_the_lock_has_none(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo, quality=1, holdout_quality=1)
    lock = managed_repo / EVAL_DIR / "holdout.lock.json"
    data = json.loads(lock.read_text())
    del data["margin"], data["min_pass"]
    lock.write_text(json.dumps(data))
    git(managed_repo, "commit", "-q", "-am", "Lock without numbers")
    config = Config.from_text("holdout: {margin: 0.45, min_pass: 0.1}\n")
    result = run_gate(managed_repo, config, quality=2, holdout_quality=2)
    assert not result.accepted and "margin 0.45" in (result.reason or "")


def _judged_holdout(sg, repo: Path) -> Config:  # type: ignore[no-untyped-def]
    """An OrchestKit-style holdout: no graders, scored 0–10 by the rubric the lock names."""
    shutil.copy(EVALS / "rubric.json", repo / "skills/social/rubric.json")
    add_evals(sg, repo, evals=None, holdout=None, quality=5)
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
    assert result.accepted, result.reason
    assert result.holdout is not None and result.holdout.judged
    assert result.train == []  # a holdout-only skill (OrchestKit's layout): the bake-off decides
    assert result.summary.format() == "train 0 better 0 worse 0 tie; holdout 7->8.2 n=3 margin 0.5"
    assert result.holdout.per_dimension == {"correctness": (5.0, 7.0), "security": (10.0, 10.0)}


def test_a_dimension_under_its_min_blocker_rejects_whatever_the_composite(sg, managed_repo: Path) -> None:
    config = _judged_holdout(sg, managed_repo)
    result = run_gate(managed_repo, config, quality=10, security=3)
    # composite 0.6*10 + 0.4*3 = 7.2: above min_pass 7, but security 3 is under its min_blocker 4
    assert not result.accepted
    assert "under min_blocker: security 3 < min_blocker 4" in (result.reason or "")


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
        assert result.holdout is not None  # the holdout ran, with the canary in its cases
        request = {"view": proposer_view(ws, "social"), "feedback": result.proposer_feedback()}
        assert CANARY not in json.dumps(request)
        assert CANARY not in json.dumps(result.to_json()) and CANARY not in "\n".join(result.lines())
