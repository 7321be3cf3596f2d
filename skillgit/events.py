"""Events are commits: the event types and the Event record read back from git (the trailer schema of each
type is checked by rules SG001 and SG005, `skillgit.policy.rules.trailers`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property

from skillgit import trailers as T
from skillgit.trailers import Message, Trailers

MUTATING = ("create", "refine", "retire", "revive", "rollback", "manual", "rename")
NON_MUTATING = ("init", "no-op", "refused", "meta-suggestion")
EVENT_TYPES = MUTATING + NON_MUTATING
CYCLE_EVENTS = ("refine", "create", "retire", "no-op", "refused", "meta-suggestion")
"""Event types the cycle may write (what counts as "a cycle event" for cooldown and SG009)."""

NO_VERSION = "0000000"
_REVERT = re.compile(r"^This reverts commit ([0-9a-f]{7,40})\.?\s*$", re.MULTILINE)

EVENT_GREP = ("-E", "-i", "--grep=^skill-event[[:space:]]*:", "--grep=^This reverts commit ")
"""`git log` options that keep the commits that may be events: a Skill-Event trailer, or a `git revert`."""


def revert_target(message: str) -> str | None:
    """The commit id named by `This reverts commit X.` in a `Revert "…"` message (`git revert`'s), if any."""
    if not message.lstrip().startswith('Revert "'):
        return None
    match = _REVERT.search(message)
    return match.group(1) if match else None


def version_value(before: str | None, after: str | None) -> str:
    return f"{before or NO_VERSION}..{after or NO_VERSION}"


def title_for(event: str, skill: str | None) -> str:
    return f"skillgit: {event} {skill}" if skill else f"skillgit: {event}"


@dataclass(frozen=True)
class Event:
    """A commit read back as an event (or a plain `git revert` of one, seen as a rollback)."""

    commit: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    time: datetime
    message: Message
    kind: str | None
    """The event type; None for a commit that is not an event."""
    revert_of: str | None = None
    committer_email: str = ""
    """The committer's e-mail ("" when not read): an agent commit is one whose author or committer is the agent."""

    @cached_property
    def skill(self) -> str | None:
        return self.message.trailers.get(T.NAME)

    @cached_property
    def skills(self) -> tuple[str, ...]:
        """Every skill the event names (a maintainer's `manual` event may name several)."""
        return tuple(self.message.trailers.get_all(T.NAME))

    @cached_property
    def renamed_from(self) -> str | None:
        """The skill's name before a `rename` event."""
        return self.message.trailers.get(T.RENAMED_FROM) if self.kind == "rename" else None

    def about(self, name: str) -> bool:
        """The event names skill `name` (among several, or as the name a rename started from)."""
        return name in self.skills or self.renamed_from == name

    @property
    def trailers(self) -> Trailers:
        return self.message.trailers

    @cached_property
    def is_cycle(self) -> bool:
        """Made by `skillgit cycle`: cycle events carry `Skill-Trigger`."""
        return self.kind in CYCLE_EVENTS and self.trailers.get(T.TRIGGER) is not None

    def to_json(self) -> dict[str, object]:
        return {
            "commit": self.commit,
            "time": self.time.isoformat(),
            "author": f"{self.author_name} <{self.author_email}>",
            "event": self.kind,
            "skill": self.skill,
            **({"skills": list(self.skills)} if len(self.skills) > 1 else {}),
            **({"renamed_from": self.renamed_from} if self.renamed_from else {}),
            "title": self.message.title,
            "trailers": {k: v for k, v in self.message.trailers.governed()},
            **({"revert_of": self.revert_of} if self.revert_of else {}),
        }


def event_from_commit(
    commit: str, parents: tuple[str, ...], author_name: str, author_email: str, timestamp: int, text: str,
    committer_email: str = "",
) -> Event:
    message = T.parse_message(text)
    kind = message.trailers.get(T.EVENT)
    revert_of = revert_target(text)
    if revert_of is not None and kind is None:
        kind = "rollback"
    when = datetime.fromtimestamp(timestamp, tz=UTC)
    return Event(commit, parents, author_name, author_email, when, message, kind, revert_of, committer_email)
