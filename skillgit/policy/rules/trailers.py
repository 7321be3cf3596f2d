"""SG001 (valid trailer block by event type) and SG005 (Skill-Expected where required, absent elsewhere)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from skillgit.events import check_trailers
from skillgit.policy.model import Change, Violation

if TYPE_CHECKING:
    from skillgit.config import Config


def touches_managed(change: Change, config: Config) -> bool:
    roots = (config.paths.skills.rstrip("/") + "/", config.paths.attic.rstrip("/") + "/")
    return any(f.path.startswith(roots) for f in change.files)


class EventTrailers:
    """SG001: an event commit (or a commit touching managed paths that is not a plain revert) has a
    valid trailer block for its event type."""

    id = "SG001"
    name = "event-trailers"
    agent_only = False

    def check(self, change: Change, config: Config) -> list[Violation]:
        if change.message is None:
            return []
        is_event = change.message.trailers.get("Skill-Event") is not None or bool(change.message.forged)
        if not is_event and (not touches_managed(change, config) or change.revert_of):
            return []
        return [
            Violation(self.id, self.name, p.message, _FIX, commit=change.commit)
            for p in check_trailers(change.message)
            if p.rule == self.id
        ]


class ExpectedPrediction:
    """SG005: `Skill-Expected` is a checkable prediction on refine/create and absent on other events."""

    id = "SG005"
    name = "expected-prediction"
    agent_only = False

    def check(self, change: Change, config: Config) -> list[Violation]:
        if change.message is None or change.message.trailers.get("Skill-Event") is None:
            return []
        return [
            Violation(self.id, self.name, p.message, _FIX_EXPECTED, commit=change.commit)
            for p in check_trailers(change.message)
            if p.rule == self.id
        ]


_FIX = "Commit skill changes through skillgit (or let the commit-msg hook add the trailers); see docs/trailers.md."
_FIX_EXPECTED = (
    "Write `Skill-Expected: <metric> <op> <number> within <N> sessions|days; else <fallback>` on refine/create only."
)
