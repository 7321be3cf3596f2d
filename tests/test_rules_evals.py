"""SG011 (holdout sealed) and SG012 (eval gate), with OrchestKit's real sealed holdout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CORPUS, CORPUS_FIX, git, needs
from rulekit import (
    check,
    commit,
    message,
    pending,
    refine_message,
    skill_text,
    with_lines,
    write,
)

from skillgit import trailers as T
from skillgit.evals.seal import read_lock, seal

PEERS = CORPUS / "peers"
HOLDOUT = PEERS / "yonatangross__orchestkit__src__skills__assess__evals__holdout.jsonl"
LOCK = PEERS / "yonatangross__orchestkit__src__skills__assess__evals__holdout.lock.json"
H, L = "skills/social/evals/holdout.jsonl", "skills/social/evals/holdout.lock.json"
MANUAL = message("manual", "social", (T.VERSION, "1111111..1111111"))

pytestmark = needs(HOLDOUT.exists(), f"{HOLDOUT.relative_to(CORPUS)} of {CORPUS_FIX}")


@pytest.fixture
def sealed_repo(managed_repo: Path) -> Path:
    """The managed repo with OrchestKit's holdout and lock (n=7, margin 0.5, min_pass 7.0) under social."""
    write(managed_repo, {H: HOLDOUT.read_bytes(), L: LOCK.read_bytes()})
    commit(managed_repo, MANUAL)
    return managed_repo


def extra_case() -> bytes:
    return HOLDOUT.read_bytes() + b'{"id":"h8","target":"pass","expected":{"composite_min":1}}\n'


# -- SG011 holdout-sealed ------------------------------------------------------------------------


def test_sg011_refuses_a_holdout_edit_without_a_re_seal(sealed_repo: Path) -> None:
    write(sealed_repo, {H: extra_case()})
    found = check("SG011", pending(sealed_repo, "Add a holdout case\n", agent=False), repo=sealed_repo)
    assert len(found) == 1
    assert found[0].path == H
    assert found[0].message.startswith("the holdout no longer matches its lock (holdout.lock.json was not updated): digest sha256:")


def test_sg011_accepts_a_maintainers_manual_re_seal(sealed_repo: Path) -> None:
    data = extra_case()
    write(sealed_repo, {H: data, L: seal(data, margin=0.5, min_pass=7.0).dumps()})
    assert check("SG011", pending(sealed_repo, MANUAL, agent=False), repo=sealed_repo) == []


def test_sg011_refuses_a_re_seal_outside_a_manual_event(sealed_repo: Path) -> None:
    data = extra_case()
    write(sealed_repo, {H: data, L: seal(data, margin=0.5, min_pass=7.0).dumps()})
    found = check("SG011", pending(sealed_repo, "Grow the holdout\n", agent=False), repo=sealed_repo)
    assert [v.message for v in found] == [
        ("the holdout seal of `social` changes in a commit that is not a skill event by a maintainer; "
        "only a maintainer's manual event may re-seal")
    ]


def test_sg011_refuses_an_agent_re_seal_even_as_a_manual_event(sealed_repo: Path) -> None:
    data = extra_case()
    write(sealed_repo, {H: data, L: seal(data, margin=0.5, min_pass=7.0).dumps()})
    assert [v.rule for v in check("SG011", pending(sealed_repo, MANUAL, agent=True), repo=sealed_repo)] == ["SG011"]


def test_sg011_refuses_lowering_the_margin_in_the_lock(sealed_repo: Path) -> None:
    lock = json.loads(LOCK.read_text(encoding="utf-8"))
    lock["margin"] = 0.0
    write(sealed_repo, {L: json.dumps(lock)})
    found = check("SG011", pending(sealed_repo, "Tune the gate\n", agent=False), repo=sealed_repo)
    assert [v.path for v in found] == [L]


def test_sg011_accepts_reordered_holdout_lines(sealed_repo: Path) -> None:
    lines = HOLDOUT.read_bytes().splitlines(keepends=True)
    write(sealed_repo, {H: b"".join(reversed(lines))})
    assert check("SG011", pending(sealed_repo, "Reorder\n", agent=False), repo=sealed_repo) == []


def test_sg011_refuses_a_lock_that_does_not_match(sealed_repo: Path) -> None:
    lock = json.loads(LOCK.read_text(encoding="utf-8"))
    lock["hash"] = "sha256:" + "0" * 64
    write(sealed_repo, {L: json.dumps(lock)})
    found = check("SG011", pending(sealed_repo, MANUAL, agent=False), repo=sealed_repo)
    assert [v.path for v in found] == [H] and "vs sealed sha256:0000000000" in found[0].message


def test_sg011_refuses_a_new_holdout_without_a_lock(managed_repo: Path) -> None:
    write(managed_repo, {H: HOLDOUT.read_bytes()})
    found = check("SG011", pending(managed_repo, MANUAL, agent=False), repo=managed_repo)
    assert [v.message for v in found] == ["the holdout has no holdout.lock.json after the change"]


def test_sg011_accepts_a_first_seal_in_a_manual_event(managed_repo: Path) -> None:
    write(managed_repo, {H: HOLDOUT.read_bytes(), L: LOCK.read_bytes()})
    assert check("SG011", pending(managed_repo, MANUAL, agent=False), repo=managed_repo) == []


def test_sg011_accepts_retiring_a_skill_with_its_sealed_holdout(sealed_repo: Path) -> None:
    git(sealed_repo, "mv", "skills/social", "skills_attic/social")
    change = pending(sealed_repo, message("retire", "social", (T.VERSION, "1111111..0000000")), agent=False)
    assert check("SG011", change, repo=sealed_repo) == []


def test_sg011_reports_an_unreadable_lock(sealed_repo: Path) -> None:
    write(sealed_repo, {L: "{not json"})
    found = check("SG011", pending(sealed_repo, MANUAL, agent=False), repo=sealed_repo)
    assert [v.render() for v in found] == [
        (f"{L}: line 1: not valid JSON (Expecting property name enclosed in double quotes) (SG011 holdout-sealed). "
        "Restore the sealed holdout, or have a maintainer re-seal it with `skillgit holdout seal social` "
        "(a manual event that updates holdout and lock together).")
    ]


# -- SG012 eval-gate -----------------------------------------------------------------------------


def refine_with(repo: Path, summary: str | None):  # type: ignore[no-untyped-def]
    write(repo, {"skills/social/SKILL.md": with_lines(skill_text(repo, "social"), 2)})
    return pending(repo, refine_message("social", summary=summary))


def test_sg012_refuses_an_agent_refine_without_an_eval_summary(managed_repo: Path) -> None:
    found = check("SG012", refine_with(managed_repo, None), repo=managed_repo)
    assert [v.render() for v in found] == [
        ("skills/social/SKILL.md: the agent refine of `social` has no `Skill-Eval-Summary` trailer (SG012 eval-gate). "
        "Run the eval gate on the candidate and add its result, e.g. "
        "`Skill-Eval-Summary: train ok n=6×8; holdout 0.58->0.81 +0.23 [+0.09,+0.37] n=10×12; runs 176`.")
    ]


@pytest.mark.parametrize(("summary", "expected"), [
    ("train 2 better 1 worse 0 tie", ["the eval summary shows 1 train regression(s) (`train 2 better 1 worse 0 tie`)"]),
    ("train 0 better 0 worse 3 tie", ["the eval summary shows no train improvement (`train 0 better 0 worse 3 tie`)"]),
    ("looks better", ["Skill-Eval-Summary: `looks better` is not `train B better W worse T tie`"]),
])
def test_sg012_refuses_an_insufficient_eval_summary(managed_repo: Path, summary: str, expected: list[str]) -> None:
    assert [v.message for v in check("SG012", refine_with(managed_repo, summary), repo=managed_repo)] == expected


def test_sg012_accepts_train_wins_when_the_skill_has_no_holdout(managed_repo: Path) -> None:
    assert check("SG012", refine_with(managed_repo, "train 1 better 0 worse 4 tie"), repo=managed_repo) == []


@pytest.mark.parametrize(("summary", "expected"), [
    ("train 1 better 0 worse 0 tie", ["the skill has a sealed holdout but the eval summary has no holdout result"]),
    ("train 1 better 0 worse 0 tie; holdout 7.1->7.4 n=7 margin 0.5",
     ["the holdout delta 7.1->7.4 (+0.3) is below the margin 0.5 (ties reject)"]),
    ("train 1 better 0 worse 0 tie; holdout 7.1->7.7 n=7 margin 0.1",
     ["the eval summary uses margin 0.1 but the lock requires 0.5"]),
    ("train 1 better 0 worse 0 tie; holdout 6.0->6.9 n=7 margin 0.5",
     ["the candidate's holdout score 6.9 is below min_pass 7"]),
    ("train 1 better 0 worse 0 tie; holdout 7.1->7.7 n=5 margin 0.5",
     ["the eval summary has n=5 but the lock seals n=7 cases"]),
])
def test_sg012_refuses_a_holdout_result_that_misses_the_lock(sealed_repo: Path, summary: str, expected: list[str]) -> None:
    assert [v.message for v in check("SG012", refine_with(sealed_repo, summary), repo=sealed_repo)] == expected


def test_sg012_accepts_a_holdout_win_by_the_margin(sealed_repo: Path) -> None:
    summary = "train 1 better 0 worse 0 tie; holdout 7.1->7.6 n=7 margin 0.5"
    assert check("SG012", refine_with(sealed_repo, summary), repo=sealed_repo) == []


def test_sg012_fails_closed_when_the_holdout_does_not_match_its_lock(sealed_repo: Path) -> None:
    write(sealed_repo, {H: HOLDOUT.read_bytes()[:-200] + b"\n"})
    commit(sealed_repo, "Trim the holdout\n")
    found = check("SG012", refine_with(sealed_repo, "train 1 better 0 worse 0 tie; holdout 7.1->7.7 n=7 margin 0.5"),
                  repo=sealed_repo)
    assert [v.message for v in found] == ["the holdout does not match its lock, so its result cannot be trusted (fail closed)"]


@pytest.mark.parametrize(("summary", "expected"), [
    ("train ok 0.33->1.00 +0.67 [+0.32,+1.00] n=3×4; runs 24", []),
    ("train open 0.33->0.60 +0.27 [-0.05,+0.59] n=3×4; runs 24",
     ["the eval summary's train guard is `open`, not `ok` (`train open 0.33->0.60 +0.27 [-0.05,+0.59] n=3×4; runs 24`)",
      "the train interval [-0.05,+0.59] does not clear the margin 0.05"]),
    ("train ok 0.33->0.60 +0.27 [+0.04,+0.50] n=3×4; runs 24",
     ["the train interval [+0.04,+0.5] does not clear the margin 0.05"]),
    ("train ok n=3×4; holdout 0.2->0.6 +0.4 [+0.15,+0.65] n=5×4; runs 64",
     ["the eval summary reports a holdout result but `social` has no skills/social/evals/holdout.jsonl"]),
])
def test_sg012_reads_the_gates_format_on_a_train_only_skill(managed_repo: Path, summary: str, expected: list[str]) -> None:
    assert [v.message for v in check("SG012", refine_with(managed_repo, summary), repo=managed_repo)] == expected


@pytest.mark.parametrize(("summary", "expected"), [
    ("train ok n=3×4; holdout 5.00->8.00 +3.00 [+0.55,+5.45] n=7×4; runs 80", []),
    ("train ok n=3×4; runs 24", ["Skill-Eval-Summary: without a holdout the train part carries the figures"]),
    ("train ok n=3×4; holdout 5.00->8.00 +3.00 [+0.45,+5.55] n=7×4; runs 80",
     ["the holdout interval [+0.45,+5.55] does not clear the margin 0.5"]),
    ("train worse n=3×4; holdout 5.00->6.90 +1.90 [+0.55,+3.25] n=5×4; runs 80",
     ["the eval summary's train guard is `worse`, not `ok` (`train worse n=3×4; holdout 5.00->6.90 +1.90 "
      "[+0.55,+3.25] n=5×4; runs 80`)",
      "the eval summary has n=5 but the lock seals n=7 cases",
      "the candidate's holdout score 6.9 is below min_pass 7"]),
])
def test_sg012_reads_the_gates_format_against_the_lock(sealed_repo: Path, summary: str, expected: list[str]) -> None:
    assert [v.message for v in check("SG012", refine_with(sealed_repo, summary), repo=sealed_repo)] == expected


def test_the_corpus_lock_is_what_the_rules_read(sealed_repo: Path) -> None:
    lock = read_lock(LOCK.read_bytes())
    assert (lock.n, lock.margin, lock.min_pass) == (7, 0.5, 7.0)
