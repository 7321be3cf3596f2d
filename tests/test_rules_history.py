"""SG009 (no thrashing) and SG010 (bootstrap order), derived from real commit history."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
from conftest import git
from rulekit import (
    check,
    commit,
    message,
    new_skill,
    pending,
    refine_message,
    skill_text,
    with_lines,
    write,
)

from skillgit import trailers as T

TRIGGER = (T.TRIGGER, "5 new sessions since the last cycle")


def cycle_refine(repo: Path, skill: str, *, agent: bool = True) -> str:
    write(repo, {f"skills/{skill}/SKILL.md": with_lines(skill_text(repo, skill), 1, word="Cycle")})
    return commit(repo, refine_message(skill, TRIGGER), agent=agent)


def cycle_no_op(repo: Path) -> str:
    return commit(repo, message("no-op", None, TRIGGER), agent=True, allow_empty=True)


def agent_refine_of(repo: Path, skill: str):  # type: ignore[no-untyped-def]
    write(repo, {f"skills/{skill}/SKILL.md": with_lines(skill_text(repo, skill), 2, word="Next")})
    return pending(repo, refine_message(skill, TRIGGER))


# -- SG009 no-thrashing --------------------------------------------------------------------------


def test_sg009_allows_the_first_refine_after_init(managed_repo: Path) -> None:
    assert check("SG009", agent_refine_of(managed_repo, "social"), repo=managed_repo) == []


def test_sg009_refuses_refining_a_skill_refined_in_the_last_cycles(managed_repo: Path) -> None:
    init = git(managed_repo, "rev-parse", "HEAD").strip()
    cycle_refine(managed_repo, "social")
    cycle_no_op(managed_repo)
    found = check("SG009", agent_refine_of(managed_repo, "social"), repo=managed_repo)
    assert [v.render() for v in found] == [
        (f"skills/social: `social` was changed since the init event {init[:12]} (fewer than 3 cycle events since); "
        "refining it again now is thrashing (SG009 no-thrashing). Refine another skill or record a no-op; `social` "
        "can be refined once 3 cycle events have passed without a change to it (policy.thrash_cycles).")
    ]


def test_sg009_counts_the_third_most_recent_cycle_event_itself(managed_repo: Path) -> None:
    refine = cycle_refine(managed_repo, "social")
    cycle_no_op(managed_repo)
    cycle_no_op(managed_repo)
    found = check("SG009", agent_refine_of(managed_repo, "social"), repo=managed_repo)
    assert [v.message for v in found] == [
        f"`social` was changed since {refine[:12]}, the 3rd most recent cycle event; refining it again now is thrashing"
    ]


def test_sg009_allows_the_refine_once_three_cycles_passed(managed_repo: Path) -> None:
    cycle_refine(managed_repo, "social")
    for _ in range(3):
        cycle_no_op(managed_repo)
    assert check("SG009", agent_refine_of(managed_repo, "social"), repo=managed_repo) == []


def test_sg009_sees_a_maintainers_plain_commit_that_is_not_an_event(managed_repo: Path) -> None:
    write(managed_repo, {"skills/social/SKILL.md": with_lines(skill_text(managed_repo, "social"), 1, word="Hand")})
    commit(managed_repo, "Fix a typo in the social skill\n")
    change = agent_refine_of(managed_repo, "social")
    assert [v.rule for v in check("SG009", change, repo=managed_repo)] == ["SG009"]
    # without the lookup only event commits are visible, and this one is not an event
    assert check("SG009", dataclasses.replace(change, skills_changed_since=None), repo=managed_repo) == []


def test_sg009_falls_back_to_event_history_without_the_lookup(managed_repo: Path) -> None:
    refine = cycle_refine(managed_repo, "social", agent=False)
    change = dataclasses.replace(agent_refine_of(managed_repo, "social"), skills_changed_since=None)
    assert [v.message.split(" since ")[0] for v in check("SG009", change, repo=managed_repo)] == [
        f"`social` was changed (last by {refine[:12]}, a refine event)"
    ]


def test_sg009_ignores_changes_to_other_skills(managed_repo: Path) -> None:
    cycle_refine(managed_repo, "release")
    assert check("SG009", agent_refine_of(managed_repo, "social"), repo=managed_repo) == []


def test_sg009_does_not_count_new_eval_cases_or_a_sealed_holdout(sg, managed_repo: Path) -> None:
    from gate_helpers import EVAL_DIR, EVALS

    (managed_repo / EVAL_DIR).mkdir(parents=True)
    shutil.copy(EVALS / "gate_evals.yaml", managed_repo / EVAL_DIR / "evals.yaml")
    assert sg(managed_repo, "record", "social", "-m", "Eval cases for social").code == 0
    shutil.copy(EVALS / "gate_holdout.jsonl", managed_repo / EVAL_DIR / "holdout.jsonl")
    assert sg(managed_repo, "holdout", "seal", "social").code == 0
    assert check("SG009", agent_refine_of(managed_repo, "social"), repo=managed_repo) == []
    # verify walks the same history commit by commit and agrees
    refine = commit(managed_repo, refine_message("social", TRIGGER), agent=True)
    report = json.loads(sg(managed_repo, "verify", "--format", "json").out)
    assert [v for v in report["violations"] if v["rule"] == "SG009" and v["commit"] == refine] == []


def test_sg009_counts_a_change_to_what_the_agent_reads_made_with_the_evals(sg, managed_repo: Path) -> None:
    evals = managed_repo / "skills/social/evals"
    evals.mkdir(parents=True)
    shutil.copy(Path(__file__).parent / "samples/evals/gate_evals.yaml", evals / "evals.yaml")
    (managed_repo / "skills/social/reference.md").write_text("Check the thread before replying.\n")
    assert sg(managed_repo, "record", "social", "-m", "Eval cases and a reference note").code == 0
    assert [v.rule for v in check("SG009", agent_refine_of(managed_repo, "social"), repo=managed_repo)] == ["SG009"]


# -- SG010 bootstrap -----------------------------------------------------------------------------


def agent_create(repo: Path, name: str = "lint"):  # type: ignore[no-untyped-def]
    write(repo, {f"skills/{name}/SKILL.md": new_skill(name)})
    return pending(repo, message("create", name, TRIGGER))


def agent_retire(repo: Path, name: str = "blindspot"):  # type: ignore[no-untyped-def]
    git(repo, "mv", f"skills/{name}", f"skills_attic/{name}")
    return pending(repo, message("retire", name, TRIGGER))


def test_sg010_refuses_a_create_as_the_agents_first_real_event(managed_repo: Path) -> None:
    found = check("SG010", agent_create(managed_repo), repo=managed_repo)
    assert [v.render() for v in found] == [
        ("skills/lint: this `create` would be the agent's 1st real event; a `create` is allowed from the 2nd "
        "(policy.bootstrap_create_from) (SG010 bootstrap). Start with a refine (or no-ops, which do not count) "
        "until 1 real event has landed.")
    ]


def test_sg010_allows_a_create_as_the_second_real_event(managed_repo: Path) -> None:
    cycle_refine(managed_repo, "social")
    assert check("SG010", agent_create(managed_repo), repo=managed_repo) == []


def test_sg010_does_not_count_no_ops_refusals_or_a_maintainers_events(managed_repo: Path) -> None:
    cycle_no_op(managed_repo)
    commit(managed_repo, message("refused", "social", TRIGGER, (T.REASON, "thrashing")), agent=True, allow_empty=True)
    write(managed_repo, {"skills/family/SKILL.md": with_lines(skill_text(managed_repo, "family"), 1)})
    commit(managed_repo, refine_message("family"))
    assert [v.rule for v in check("SG010", agent_create(managed_repo), repo=managed_repo)] == ["SG010"]


@pytest.mark.parametrize(("refines", "allowed"), [(1, False), (2, True)])
def test_sg010_allows_a_retire_from_the_third_real_event(managed_repo: Path, refines: int, allowed: bool) -> None:
    for _ in range(refines):
        cycle_refine(managed_repo, "social")
    found = check("SG010", agent_retire(managed_repo), repo=managed_repo)
    assert (found == []) is allowed
    if not allowed:
        assert found[0].message.startswith("this `retire` would be the agent's 2nd real event; a `retire` is allowed from the 3rd")


def test_sg010_refuses_a_meta_suggestion_as_the_first_real_event(managed_repo: Path) -> None:
    change = pending(managed_repo, message("meta-suggestion", None, TRIGGER))
    assert [v.rule for v in check("SG010", change, repo=managed_repo)] == ["SG010"]


def test_sg010_always_allows_a_refine(managed_repo: Path) -> None:
    assert check("SG010", agent_refine_of(managed_repo, "social"), repo=managed_repo) == []
