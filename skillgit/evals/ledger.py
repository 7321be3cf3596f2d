"""The promotion ledger of a skill, read from git history: every gate decision with its figures.

Accepted: `refine` (and `create`) events about the skill that carry `Skill-Eval-Summary`.
Rejected: `refused` events about the skill (with their `Skill-Reason`, and the summary when the
gate produced one). Oldest first, like an append-only ledger. Nothing is stored outside git.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from skillgit import trailers as T
from skillgit.errors import SkillgitError
from skillgit.evals.summary import EvalSummary, Figures, GateSummary, parse_summary
from skillgit.jsontypes import JSONObject

if TYPE_CHECKING:
    from skillgit.events import Event
    from skillgit.workspace import Workspace

ACCEPTING = ("refine", "create")


@dataclass(frozen=True)
class Decision:
    commit: str
    time: datetime
    author: str
    event: str
    accepted: bool
    summary: str | None
    figures: EvalSummary | GateSummary | None
    """The summary parsed (the gate's format or the earlier one); None when absent or unreadable."""
    reason: str | None
    version: str | None

    @property
    def decision(self) -> str:
        return "accepted" if self.accepted else "rejected"

    def to_json(self) -> JSONObject:
        return {"commit": self.commit, "time": self.time.isoformat(), "author": self.author, "event": self.event,
                "decision": self.decision, "summary": self.summary, "figures": _figures_json(self.figures),
                "reason": self.reason, "version": self.version}

    def line(self) -> str:
        head = f"{self.commit[:12]}  {self.time:%Y-%m-%d %H:%M}  {self.decision:<8}  {self.event:<7}"
        text = f"{head}  {self.summary or '(no eval summary)'}"
        if not self.accepted and self.reason:
            text += f"\n{'':14}reason: {self.reason}"
        return text


def ledger(ws: Workspace, name: str, events: Sequence[Event] | None = None) -> list[Decision]:
    """Every gate decision about skill `name` reachable from HEAD, oldest first (from `events`, newest
    first as `ws.events()` gives them, when the caller has read them already)."""
    from skillgit.model.skill import check_name

    check_name(name)
    out = []
    for e in reversed(ws.events() if events is None else events):
        if e.skill != name:
            continue
        summary = e.trailers.get(T.EVAL_SUMMARY)
        if e.kind in ACCEPTING and summary is not None:
            accepted = True
        elif e.kind == "refused":
            accepted = False
        else:
            continue
        out.append(Decision(e.commit, e.time, f"{e.author_name} <{e.author_email}>", e.kind or "", accepted, summary,
                            _figures(summary), e.trailers.get(T.REASON), e.trailers.get(T.VERSION)))
    return out


def _figures(summary: str | None) -> EvalSummary | GateSummary | None:
    if summary is None:
        return None
    try:
        return parse_summary(summary)
    except SkillgitError:
        return None


def _figures_json(f: EvalSummary | GateSummary | None) -> JSONObject | None:
    if f is None:
        return None
    if isinstance(f, GateSummary):
        def part(x: Figures | None) -> JSONObject | None:
            return None if x is None else {"champion": x.before, "challenger": x.after, "delta": x.delta,
                                           "interval": [x.low, x.high], "n": x.n, "trials": x.trials}
        train: JSONObject | None = None if f.train is None else {"state": f.train, "n": f.train_n, "trials": f.train_trials,
                                               "figures": part(f.train_figures)}
        return {"train": train, "holdout": part(f.holdout), "runs": f.runs}
    holdout: JSONObject | None = None
    if f.has_holdout:
        delta = None if f.holdout_delta is None else round(f.holdout_delta, 4)
        holdout = {"champion": f.holdout_before, "challenger": f.holdout_after, "delta": delta,
                   "n": f.holdout_n, "margin": f.margin}
    return {"train": {"better": f.better, "worse": f.worse, "tie": f.tie}, "holdout": holdout}
