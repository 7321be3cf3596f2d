"""`skillgit promote` and `refine --gate`: the gate's decision becomes exactly one commit (or none)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import git, snapshot, trailers_of
from gate_helpers import (
    EVAL_DIR,
    EXPECTED,
    RUNNER,
    SKILL,
    add_evals,
    candidate,
    changed_files,
    configure_runner,
    head,
    set_markers,
)

CANARY = "CANARY-7f3a9c21"


def promote(sg, repo: Path, path: Path | str, *extra: str):  # type: ignore[no-untyped-def]
    return sg(repo, "promote", "social", "--candidate", str(path), "--expected", EXPECTED, "--runner", RUNNER, *extra)


ACCEPTED = "train ok n=3×4; holdout 0.20->0.60 +0.40 [+0.14,+0.66] n=5×4; runs 64"
COUNTS_HEADER = "Eval counts per case, champion -> candidate (passes/runs; judge scores: sum/runs/sum of squares):"


def test_a_real_improvement_is_promoted_as_a_refine_with_the_summary_trailer_and_the_counts(
    sg, managed_repo: Path, tmp_path: Path
) -> None:
    repo = managed_repo
    add_evals(sg, repo, quality=1, holdout_quality=1)
    before = git(repo, "rev-parse", f"HEAD:{SKILL}").strip()
    path = candidate(repo, tmp_path, quality=2, holdout_quality=2)
    result = promote(sg, repo, path)
    assert result.code == 0, result
    after = git(repo, "rev-parse", f"HEAD:{SKILL}").strip()
    assert trailers_of(repo) == [
        ("Skill-Event", "refine"), ("Skill-Name", "social"), ("Skill-Version", f"{before}..{after}"),
        ("Skill-Expected", EXPECTED), ("Skill-Eval-Summary", ACCEPTED),
    ]
    body = git(repo, "log", "-1", "--format=%b")
    assert COUNTS_HEADER in body
    assert '  train "basics" "medium": 0/4 -> 4/4' in body
    assert body.count("  holdout: ") == 5 and "  holdout: 0/4 -> 4/4" in body
    assert (repo / SKILL).read_bytes() == path.read_bytes()
    assert changed_files(repo) == [SKILL]
    assert git(repo, "status", "--porcelain") == ""
    assert f"accepted: {ACCEPTED}" in result.out
    assert sg(repo, "verify").code == 0


def test_better_on_train_but_worse_on_holdout_makes_a_refused_commit_with_the_numbers(
    sg, managed_repo: Path, tmp_path: Path
) -> None:
    repo = managed_repo
    add_evals(sg, repo, quality=1, holdout_quality=2)
    parent, skill_before = head(repo), (repo / SKILL).read_bytes()
    result = promote(sg, repo, candidate(repo, tmp_path, quality=2, holdout_quality=1))
    assert result.code == 1, result
    assert git(repo, "rev-parse", "HEAD~1").strip() == parent
    assert changed_files(repo) == []  # an empty commit
    assert trailers_of(repo) == [
        ("Skill-Event", "refused"), ("Skill-Name", "social"),
        ("Skill-Reason", "holdout 0.60->0.20 -0.40 [-0.66,-0.14] n=5×4: the interval is below min_effect 0.12"),
        ("Skill-Eval-Summary", "train ok n=3×4; holdout 0.60->0.20 -0.40 [-0.66,-0.14] n=5×4; runs 64"),
    ]
    assert (repo / SKILL).read_bytes() == skill_before
    body = git(repo, "log", "-1", "--format=%b")
    assert body.startswith("The eval gate rejected candidate ")
    assert '  train "basics" "medium": 0/4 -> 4/4' in body and "  holdout: 4/4 -> 0/4" in body
    assert sg(repo, "verify").code == 0


def test_a_tie_everywhere_is_refused_once_the_holdout_interval_falls_below_min_effect(
    sg, managed_repo: Path, tmp_path: Path
) -> None:
    add_evals(sg, managed_repo, quality=1, holdout_quality=2)
    result = promote(sg, managed_repo, candidate(managed_repo, tmp_path, quality=1, holdout_quality=2, security=5))
    assert result.code == 1, result
    pairs = dict(trailers_of(managed_repo))
    assert pairs["Skill-Reason"] == "holdout 0.60->0.60 +0.00 [-0.10,+0.10] n=5×12: the interval is below min_effect 0.12"
    assert pairs["Skill-Eval-Summary"].startswith("train open n=3×12; holdout 0.60->0.60 ")


def test_an_inconclusive_decision_becomes_a_refused_event_saying_so(sg, managed_repo: Path, tmp_path: Path) -> None:
    add_evals(sg, managed_repo, quality=1, holdout_quality=1, seal_args=("--margin", "0.5"))
    result = promote(sg, managed_repo, candidate(managed_repo, tmp_path, quality=2, holdout_quality=2), "--budget", "150")
    assert result.code == 1, result
    pairs = dict(trailers_of(managed_repo))
    assert pairs["Skill-Event"] == "refused"
    assert pairs["Skill-Reason"].startswith("inconclusive after 144 runs (the budget of 150 agent runs): holdout ")
    assert pairs["Skill-Reason"].endswith("; not accepted")
    assert pairs["Skill-Eval-Summary"].endswith("; runs 144")
    assert git(managed_repo, "log", "-1", "--format=%b").startswith("The eval gate could not decide on candidate ")
    assert "inconclusive: inconclusive after 144 runs" in result.out
    assert sg(managed_repo, "verify").code == 0


@pytest.mark.parametrize("how", ["uncommitted", "committed"])
def test_an_edited_holdout_gives_exit_3_and_no_commit(sg, managed_repo: Path, tmp_path: Path, how: str) -> None:
    repo = managed_repo
    add_evals(sg, repo, quality=1, holdout_quality=1)
    path = repo / EVAL_DIR / "holdout.jsonl"
    path.write_bytes(path.read_bytes().replace(b'"level": 4', b'"level": 1'))
    if how == "committed":
        git(repo, "commit", "-q", "--no-verify", "-am", "Make h5 easier")
    cand = candidate(repo, tmp_path, quality=2, holdout_quality=2)
    before = snapshot(repo)
    result = promote(sg, repo, cand)
    assert result.code == 3, result
    assert "skills/social/evals/holdout.jsonl" in result.err
    assert result.err.rstrip().endswith("`skillgit holdout seal social`.")
    assert snapshot(repo) == before


def test_a_skill_without_evals_gives_exit_2_and_no_commit(sg, managed_repo: Path, tmp_path: Path) -> None:
    cand = candidate(managed_repo, tmp_path, quality=2)
    before = snapshot(managed_repo)
    result = promote(sg, managed_repo, cand)
    assert result.code == 2
    assert result.err == ("skillgit: no evals for skill `social`: neither skills/social/evals/evals.yaml nor a sealed "
                          f"skills/social/evals/holdout.jsonl exists at {before[0][:12]}; write eval cases (docs/evals.md) first.\n")
    assert snapshot(managed_repo) == before


def test_the_candidate_may_be_a_revision(sg, managed_repo: Path) -> None:
    repo = managed_repo
    add_evals(sg, repo, quality=1, holdout_quality=1)
    git(repo, "switch", "-q", "-c", "proposal")
    set_markers(repo, quality=2, holdout_quality=2)
    git(repo, "commit", "-q", "-am", "Proposal")
    proposal = (repo / SKILL).read_bytes()
    git(repo, "switch", "-q", "main")
    result = promote(sg, repo, "proposal")
    assert result.code == 0, result
    assert (repo / SKILL).read_bytes() == proposal


def test_the_candidate_may_be_the_skills_own_edited_file_in_the_work_tree(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo, quality=1, holdout_quality=1)
    set_markers(managed_repo, quality=2, holdout_quality=2)
    result = promote(sg, managed_repo, managed_repo / SKILL)
    assert result.code == 0, result
    assert dict(trailers_of(managed_repo))["Skill-Event"] == "refine"
    assert git(managed_repo, "status", "--porcelain") == ""


def test_an_invalid_candidate_is_refused_before_anything_runs(sg, managed_repo: Path, tmp_path: Path) -> None:
    add_evals(sg, managed_repo)
    bad = tmp_path / "bad.md"
    bad.write_text("no frontmatter here\n")
    before = snapshot(managed_repo)
    result = promote(sg, managed_repo, bad)
    assert result.code == 2
    assert "not a valid skill" in result.err
    assert snapshot(managed_repo) == before


def test_promote_json_reports_the_decision_and_no_holdout_content(sg, managed_repo: Path, tmp_path: Path) -> None:
    add_evals(sg, managed_repo, holdout="gate_holdout_canary.jsonl", quality=1, holdout_quality=2)
    result = promote(sg, managed_repo, candidate(managed_repo, tmp_path, quality=2, holdout_quality=0), "--json")
    assert result.code == 1
    data = json.loads(result.out)
    assert (data["accepted"], data["outcome"], data["event"]) == (False, "rejected", "refused")
    assert data["holdout"]["n"] == 3 and data["holdout"]["candidate"] == 0.0
    assert data["design"]["looks"] == 20 and data["design"]["trials"] == 4
    assert CANARY not in result.out + result.err
    assert CANARY not in git(managed_repo, "log", "-1", "--format=%B")


# -- refine --gate ------------------------------------------------------------------------------


def test_refine_gate_commits_a_work_tree_edit_that_passes_with_its_summary(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo, quality=1, holdout_quality=1)
    set_markers(managed_repo, quality=2, holdout_quality=2)
    configure_runner(managed_repo, RUNNER)
    result = sg(managed_repo, "refine", "social", "--gate", "--expected", EXPECTED)
    assert result.code == 0, result
    trailers = dict(trailers_of(managed_repo))
    assert trailers["Skill-Event"] == "refine"
    assert trailers["Skill-Eval-Summary"] == ACCEPTED
    assert COUNTS_HEADER in git(managed_repo, "log", "-1", "--format=%b")
    assert git(managed_repo, "status", "--porcelain") == ""


def test_refine_gate_records_a_rejection_and_keeps_the_edit_in_the_work_tree(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo, quality=1, holdout_quality=2)
    configure_runner(managed_repo, RUNNER)
    set_markers(managed_repo, quality=2, holdout_quality=1)
    edited = (managed_repo / SKILL).read_bytes()
    result = sg(managed_repo, "refine", "social", "--gate", "--expected", EXPECTED)
    assert result.code == 1, result
    assert dict(trailers_of(managed_repo))["Skill-Event"] == "refused"
    assert changed_files(managed_repo) == []
    assert (managed_repo / SKILL).read_bytes() == edited
    assert git(managed_repo, "status", "--porcelain").split() == ["M", SKILL]


def test_refine_gate_refuses_a_given_eval_summary(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo)
    set_markers(managed_repo, quality=2)
    result = sg(managed_repo, "refine", "social", "--gate", "--expected", EXPECTED, "--eval-summary", "train 1 better 0 worse 0 tie")
    assert result.code == 2
    assert "--gate writes Skill-Eval-Summary itself" in result.err
