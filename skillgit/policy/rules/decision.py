"""SG013 (eval decision): a gate summary follows from the per-case counts recorded with it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from skillgit import trailers as T
from skillgit.errors import SkillgitError
from skillgit.policy.model import Change, Option, Rule, Violation
from skillgit.policy.rules.common import ACTIVE, event_kind, event_skill, skill_dir
from skillgit.policy.rules.evals import HOLDOUT_MARGIN, HOLDOUT_MIN_PASS, _side

if TYPE_CHECKING:
    from skillgit.config import Config

ACCEPTING = ("refine", "create")
JUDGE_SCALE = 10.0


class EvalDecision(Rule):
    """SG013: an event whose `Skill-Eval-Summary` is in the gate's format carries the per-case
    counts in its body, and recomputing the decision from them — with the config (in `verify`, the
    base's) and the holdout's lock at the commit — gives the same summary and the same decision:
    accepted for a `refine`/`create`, not accepted for a `refused` event; and no more runs than
    `eval.max_runs`."""

    id = "SG013"
    name = "eval-decision"
    agent_only = False
    options = (
        Option("eval.alpha", "number", 0.05, "The most a gate decision may accept a candidate that is not better than "
               "the champion by the margin (split over its looks)."),
        Option("eval.min_effect", "number", 0.12, "The smallest improvement worth accepting (0-1 scale): a decision is "
               "rejected once its interval lies below it; `eval power` sizes decisions for it."),
        Option("eval.max_regression", "number", 0.1, "The largest regression tolerated on the train cases, as a whole "
               "and per suite (0-1 scale)."),
        Option("eval.trials", "integer", 4, "Runs of each case per version in one round of a gate decision (fewer when "
               "the budget would not allow 4 rounds)."),
        Option("eval.max_runs", "integer", 400, "Agent runs one gate decision may make (champion runs served from the "
               "run cache not counted); inconclusive beyond."),
        HOLDOUT_MARGIN,
        HOLDOUT_MIN_PASS,
    )

    def check(self, change: Change, config: Config) -> list[Violation]:
        text = change.message.trailers.get(T.EVAL_SUMMARY) if change.message is not None else None
        name = event_skill(change)
        if text is None or change.message is None or name is None:
            return []
        # the eval modules are loaded only when a change carries a summary (not on every verify or hook)
        from skillgit.evals.summary import GateSummary, is_gate_summary

        if not is_gate_summary(text):
            return []
        from skillgit.evals.counts import parse_counts
        from skillgit.evals.decision import assess, design_from_config, summary_of
        from skillgit.evals.seal import read_lock

        kind = event_kind(change)
        path = f"{skill_dir(config, name, ACTIVE)}/SKILL.md"
        fix = "Record the gate's decision as `skillgit promote` writes it, with the config the range starts from."
        try:
            summary = GateSummary.parse(text)
            counts = parse_counts(change.message.body, "the commit body")
        except SkillgitError as exc:
            return [self._v(change, path, str(exc).rstrip("."), fix)]
        if counts is None:
            return [self._v(change, path, "the eval summary is in the gate's format but the body has no per-case counts",
                            "Promote with `skillgit promote`, which writes the counts the summary rests on.")]
        margin, min_pass = float(config.holdout.margin), None
        holdout = [c for c in counts.cases if c.part == "holdout"]
        if holdout:
            side = _side(change, config, name, "after")
            lock = None
            if side.lock is not None:
                try:
                    lock = read_lock(side.lock, side.lock_path)
                except SkillgitError:
                    lock = None  # SG011/SG012 report an unreadable lock
            min_pass = float(config.holdout.min_pass)
            if lock is not None:
                margin = lock.margin if lock.margin is not None else margin
                min_pass = lock.min_pass if lock.min_pass is not None else min_pass
        scale = JUDGE_SCALE if counts.scored_holdout else 1.0
        design = design_from_config(config, cases=len(counts.cases), confirming=len(holdout) or len(counts.cases),
                                    margin=margin, min_pass=min_pass, scale=scale)
        assessment = assess(design, counts.cases, scored_holdout=counts.scored_holdout, dimensions=counts.dimensions)
        expected = summary_of(assessment, summary.runs).format()
        out = []
        if expected != summary.format():
            out.append(self._v(change, path, f"the eval summary `{summary.format()}` does not follow from the counts in the "
                                             f"body, which give `{expected}`", fix))
        if kind in ACCEPTING and assessment.outcome != "accepted":
            out.append(self._v(change, path, f"this `{kind}` carries an eval decision that the counts make "
                                             f"{assessment.outcome}, not accepted", fix))
        if kind == "refused" and assessment.outcome == "accepted":
            out.append(self._v(change, path, "this `refused` event's counts make the candidate accepted", fix))
        if summary.runs > int(config.eval.max_runs):
            out.append(self._v(change, path, f"the decision made {summary.runs} runs, more than eval.max_runs "
                                             f"{config.eval.max_runs}", fix))
        return out

    def _v(self, change: Change, path: str, message: str, fix: str) -> Violation:
        return Violation(self.id, self.name, message, fix, path=path, commit=change.commit)
