"""SG001 (valid trailer block by event type) and SG005 (Skill-Expected where required, absent elsewhere)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from skillgit import trailers as T
from skillgit.events import MUTATING, NO_VERSION, check_trailers, version_value
from skillgit.model.skill import name_is_safe
from skillgit.policy.model import Change, Rule, Violation
from skillgit.policy.rules.common import ACTIVE, ATTIC, skill_blob, skill_file, skill_version

if TYPE_CHECKING:
    from skillgit.config import Config


def touches_managed(change: Change, config: Config) -> bool:
    """Some file of the change lies under a skill root or the attic."""
    layout = config.layout
    return any(layout.roots_of(f.path) for f in change.files)


class EventTrailers(Rule):
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
        if change.merge and not is_event:
            return [Violation(self.id, self.name, merge_note(change, config), _FIX_MERGE, commit=change.commit)]
        out = [
            Violation(self.id, self.name, p.message, _FIX, commit=change.commit)
            for p in check_trailers(change.message)
            if p.rule == self.id
        ]
        if not out:
            out.extend(self._version(change, config))
        return out

    def _version(self, change: Change, config: Config) -> list[Violation]:
        """`Skill-Version` names the SKILL.md blobs the change really has before and after."""
        assert change.message is not None
        trailers = change.message.trailers
        kind, names, stamps = trailers.get(T.EVENT), trailers.get_all(T.NAME), trailers.get_all(T.VERSION)
        if kind not in MUTATING or not names or not stamps or len(names) != len(stamps) or not all(map(name_is_safe, names)):
            return []
        if change.tree_files is None:
            return []  # nothing to compare with (a change built without lookups)
        old = trailers.get(T.RENAMED_FROM) if kind == "rename" else None
        out = []
        for name, stamped in zip(names, stamps):
            before_name = old if old and name_is_safe(old) else name
            sides = []
            for after, value in zip((False, True), stamped.split("..")):
                who = name if after else before_name
                active = skill_blob(change, config, who, ACTIVE, after=after)
                if active is not None:
                    sides.append(_same_version(value, active, change))
                elif value.strip("0"):
                    sides.append(_same_version(value, skill_blob(change, config, who, ATTIC, after=after), change))
                else:
                    sides.append(True)  # `0000000`: no active copy on that side
            if all(sides):
                continue
            true = version_value(*skill_version(change, config, name, before_name))
            out.append(Violation(
                self.id, self.name,
                f"`{T.VERSION}: {stamped}` does not match the change: the SKILL.md of `{name}` is {_shown(true, sides)}",
                f"Write `{T.VERSION}: {true}` (the commit-msg hook rewrites it on `git commit --amend`).",
                path=skill_file(config, name, ACTIVE, change), commit=change.commit,
            ))
        return out


class ExpectedPrediction(Rule):
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


def _same_version(value: str, oid: str | None, change: Change) -> bool:
    """`value` (a Skill-Version side) names blob `oid` (None: no file): all zeros for none, else a
    prefix of the blob id (7+ hex digits) or the sha256 of its bytes."""
    if oid is None or not value.strip("0"):
        return oid is None and not value.strip("0")
    if len(value) == 64:
        return hashlib.sha256(change.read_blob(oid)).hexdigest() == value
    return len(value) >= 7 and oid.startswith(value)


def _shown(true: str, sides: list[bool]) -> str:
    """`<id> before and <id> after` for the sides that do not match."""
    values = true.split("..")
    parts = [f"{'absent' if v == NO_VERSION else v} {w}" for w, v, ok in zip(("before", "after"), values, sides) if not ok]
    return " and ".join(parts)


def merge_note(change: Change, config: Config) -> str:
    """What a merge that changes managed paths by itself changes, for messages."""
    layout = config.layout
    paths = [f.path for f in change.files if layout.roots_of(f.path)]
    shown = ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
    return (f"the merge changes {shown} by itself (its tree differs there from a clean re-merge of its parents) "
            "and has no trailer block")


_FIX_MERGE = (
    "Merge without changing skill files (commit skill edits, conflict resolutions included, as their own events "
    "before or after the merge), or let the commit-msg hook add `manual` trailers to a maintainer's merge."
)
_FIX = "Commit skill changes through skillgit (or let the commit-msg hook add the trailers); see docs/trailers.md."
_FIX_EXPECTED = (
    "Write `Skill-Expected: <metric> <op> <number> within <N> sessions|days; else <fallback>` on refine/create only."
)
