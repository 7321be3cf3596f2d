"""SG013 (eval decision): a gate summary follows from the per-case counts in the event's body —
recomputed from real `skillgit promote` commits, edited afterwards the way a forger (or a loosened
config) would."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import git
from gate_helpers import EXPECTED, RUNNER, add_evals, candidate
from rulekit import check, commit, pending, refine_message, skill_text, with_lines, write

from skillgit import trailers as T
from skillgit.evals.counts import HEADER

COUNTS = f"{HEADER}\n" + "".join(f'  train "basics" "c{i}": 0/4 -> 4/4\n' for i in range(3))
TRAIN_ONLY = "train ok 0.00->1.00 +1.00 [+0.66,+1.00] n=3×4; runs 24"


def promote(sg, repo: Path, tmp: Path, name: str = "a.md", *extra: str, **markers: int):  # type: ignore[no-untyped-def]
    path = candidate(repo, tmp, name, **markers)
    return sg(repo, "promote", "social", "--candidate", str(path), "--expected", EXPECTED, "--runner", RUNNER, *extra)


def verify(sg, repo: Path, *args: str) -> tuple[int, list[dict[str, str]]]:  # type: ignore[no-untyped-def]
    result = sg(repo, "verify", "--format", "json", *args)
    return result.code, [v for v in json.loads(result.out)["violations"] if v["rule"] == "SG013"]


def amend(repo: Path, edit) -> str:  # type: ignore[no-untyped-def]
    """Rewrite HEAD's message with `edit` (no hooks), as a hand edit after the gate would."""
    text = edit(git(repo, "log", "-1", "--format=%B"))
    git(repo, "commit", "-q", "--amend", "--allow-empty", "--no-verify", "-F", "-", input=text)
    return git(repo, "rev-parse", "HEAD").strip()


def refine_with(repo: Path, summary: str, body: str):  # type: ignore[no-untyped-def]
    write(repo, {"skills/social/SKILL.md": with_lines(skill_text(repo, "social"), 2)})
    msg = refine_message("social", summary=summary)
    title, rest = msg.split("\n\n", 1)
    return pending(repo, f"{title}\n\n{body}\n\n{rest}" if body else msg)


def test_sg013_passes_what_the_gate_recorded(sg, managed_repo: Path, tmp_path: Path) -> None:
    add_evals(sg, managed_repo, quality=1, holdout_quality=1)
    assert promote(sg, managed_repo, tmp_path, quality=2, holdout_quality=2).code == 0
    assert promote(sg, managed_repo, tmp_path, "b.md", quality=3, holdout_quality=0).code == 1
    assert verify(sg, managed_repo) == (0, [])


def test_sg013_verify_flags_a_summary_that_does_not_follow_from_the_recorded_counts(
    sg, managed_repo: Path, tmp_path: Path
) -> None:
    add_evals(sg, managed_repo, quality=1, holdout_quality=1)
    assert promote(sg, managed_repo, tmp_path, quality=2, holdout_quality=2).code == 0
    forged = amend(managed_repo, lambda m: m.replace("holdout 0.20->0.60 +0.40 [+0.14,+0.66]",
                                                     "holdout 0.20->0.70 +0.50 [+0.25,+0.75]"))
    code, found = verify(sg, managed_repo)
    assert code == 1
    assert [(v["commit"], v["path"]) for v in found] == [(forged, "skills/social/SKILL.md")]
    assert found[0]["message"] == (
        "the eval summary `train ok n=3×4; holdout 0.20->0.70 +0.50 [+0.25,+0.75] n=5×4; runs 64` does not follow "
        "from the counts in the body, which give `train ok n=3×4; holdout 0.20->0.60 +0.40 [+0.14,+0.66] n=5×4; runs 64`")


def test_sg013_verify_flags_counts_edited_so_that_they_no_longer_make_the_refine_accepted(
    sg, managed_repo: Path, tmp_path: Path
) -> None:
    add_evals(sg, managed_repo, quality=1, holdout_quality=1)
    assert promote(sg, managed_repo, tmp_path, quality=2, holdout_quality=2).code == 0
    amend(managed_repo, lambda m: m.replace("  holdout: 0/4 -> 4/4", "  holdout: 0/4 -> 0/4"))
    code, found = verify(sg, managed_repo)
    assert code == 1
    assert [v["message"].split(", which give")[0].endswith("does not follow from the counts in the body") for v in found] == [
        True, False]
    assert found[1]["message"] == "this `refine` carries an eval decision that the counts make inconclusive, not accepted"


def test_sg013_recomputes_with_the_config_the_range_starts_from(sg, managed_repo: Path, tmp_path: Path) -> None:
    add_evals(sg, managed_repo, quality=1, holdout_quality=1)
    base = git(managed_repo, "rev-parse", "HEAD").strip()
    config = managed_repo / "skillgit.yaml"
    config.write_text(config.read_text().replace("eval:\n", "eval:\n  alpha: 0.4\n  min_effect: 0.01\n"))
    git(managed_repo, "commit", "-q", "-am", "Loosen the gate")
    assert promote(sg, managed_repo, tmp_path, quality=1, holdout_quality=2, security=4).code == 0
    assert verify(sg, managed_repo, f"{base}..HEAD~1") == (0, [])
    code, found = verify(sg, managed_repo, f"{base}..HEAD")
    assert code == 1 and found and "does not follow from the counts" in found[0]["message"]


def test_sg013_flags_a_gate_summary_without_counts(managed_repo: Path) -> None:
    found = check("SG013", refine_with(managed_repo, TRAIN_ONLY, ""), repo=managed_repo)
    assert [v.render() for v in found] == [
        "skills/social/SKILL.md: the eval summary is in the gate's format but the body has no per-case counts "
        "(SG013 eval-decision). Promote with `skillgit promote`, which writes the counts the summary rests on."]


def test_sg013_accepts_a_summary_that_follows_from_its_counts(managed_repo: Path) -> None:
    assert check("SG013", refine_with(managed_repo, TRAIN_ONLY, COUNTS), repo=managed_repo) == []


def test_sg013_ignores_a_summary_in_the_earlier_format(managed_repo: Path) -> None:
    assert check("SG013", refine_with(managed_repo, "train 1 better 0 worse 2 tie", ""), repo=managed_repo) == []


def test_sg013_flags_a_refused_event_whose_counts_accept_the_candidate(managed_repo: Path) -> None:
    msg = T.format_message("skillgit: refused social", [
        (T.EVENT, "refused"), (T.NAME, "social"), (T.REASON, "rejected by hand"), (T.EVAL_SUMMARY, TRAIN_ONLY)])
    title, rest = msg.split("\n\n", 1)
    found = check("SG013", pending(managed_repo, f"{title}\n\n{COUNTS}\n{rest}"), repo=managed_repo)
    assert [v.message for v in found] == ["this `refused` event's counts make the candidate accepted"]


def test_sg013_flags_more_runs_than_max_runs_and_unreadable_counts(managed_repo: Path) -> None:
    over = TRAIN_ONLY.replace("runs 24", "runs 401")
    assert [v.message for v in check("SG013", refine_with(managed_repo, over, COUNTS), repo=managed_repo)] == [
        "the decision made 401 runs, more than eval.max_runs 400"]
    broken = COUNTS.replace("0/4 -> 4/4", "5/4 -> 4/4", 1)
    found = check("SG013", refine_with(managed_repo, TRAIN_ONLY, broken), repo=managed_repo)
    assert len(found) == 1 and re.match(r"the commit body, line \d+: `5/4` is not passes/runs", found[0].message)


def test_sg013_holds_for_the_refused_commit_of_an_inconclusive_decision(sg, managed_repo: Path, tmp_path: Path) -> None:
    add_evals(sg, managed_repo, quality=1, holdout_quality=1, seal_args=("--margin", "0.5"))
    assert promote(sg, managed_repo, tmp_path, "a.md", "--budget", "150", quality=2, holdout_quality=2).code == 1
    assert verify(sg, managed_repo) == (0, [])
    commit(managed_repo, git(managed_repo, "log", "-1", "--format=%B").replace("Skill-Event: refused", "Skill-Event: refine"),
           allow_empty=True)
    assert verify(sg, managed_repo)[1][-1]["message"] == (
        "this `refine` carries an eval decision that the counts make inconclusive, not accepted")
