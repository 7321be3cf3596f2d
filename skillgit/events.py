"""Events are commits: event types, the trailer schema per type, and the Event record read back from git."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property, lru_cache

from skillgit import trailers as T
from skillgit.errors import TrailerError
from skillgit.model.expected import parse_expected
from skillgit.model.skill import name_is_safe
from skillgit.trailers import Message, Trailers

MUTATING = ("create", "refine", "retire", "revive", "rollback", "manual", "rename")
NON_MUTATING = ("init", "no-op", "refused", "meta-suggestion")
EVENT_TYPES = MUTATING + NON_MUTATING
CYCLE_EVENTS = ("refine", "create", "retire", "no-op", "refused", "meta-suggestion")
"""Event types the cycle may write (what counts as "a cycle event" for cooldown and SG009)."""

NO_VERSION = "0000000"
_OID = r"(?:[0-9a-f]{7,40}|[0-9a-f]{64})"
_VERSION = re.compile(rf"^(?P<before>{_OID})\.\.(?P<after>{_OID})$")
_COMMITS = re.compile(r"^[0-9a-f]{7,40}(?:[ ,]+[0-9a-f]{7,40})*$")
_COMMIT_SPAN = re.compile(r"^(?P<target>[0-9a-f]{7,40})\.\.(?P<last>[0-9a-f]{7,40})(?: \((?P<note>[^()]*)\))?$")
MULTI_KEYS = (T.NAME, T.VERSION)
"""Keys a maintainer's `manual` event repeats, once per skill it changes, in the same order."""
_SCORE_DELTA = re.compile(r"^-?\d+(?:\.\d+)?\s*->\s*-?\d+(?:\.\d+)?$")
_REVERT = re.compile(r"^This reverts commit ([0-9a-f]{7,40})\.?\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an event's trailers; `rule` is SG001 or SG005."""

    rule: str
    key: str
    message: str


def check_trailers(message: Message) -> list[Problem]:
    """Every problem with a message's governed trailers, by event type (SG001) and Skill-Expected (SG005)."""
    return list(_problems(message))


@lru_cache(maxsize=64)
def _problems(message: Message) -> tuple[Problem, ...]:
    """`check_trailers`, remembered for the last messages (SG001 and SG005 both ask for each)."""
    problems: list[Problem] = []
    tr = message.trailers
    for line, key in message.forged:
        problems.append(Problem(
            "SG001", key,
            f"governed key `{key}` on message line {line} is outside the final trailer block (a forged trailer); remove it from the body",
        ))
    seen: dict[str, int] = {}
    for key, value in tr.items:
        canon = T.canonical_key(key)
        if canon is None and key.lower().startswith("skill-"):
            problems.append(Problem("SG001", key, f"`{key}` is not a skillgit trailer key; use one of {', '.join(T.KEYS)}"))
        elif canon:
            seen[canon] = seen.get(canon, 0) + 1
            problem = T.value_problem(value)
            if problem is not None:
                problems.append(Problem("SG001", canon, f"`{canon}`: {problem}; write one short line, as skillgit does"))
    event = tr.get(T.EVENT)
    for key, count in seen.items():
        if count > 1 and not (event == "manual" and key in MULTI_KEYS):
            problems.append(Problem("SG001", key, f"`{key}` appears {count} times; keep exactly one"))
    if event == "manual" and seen.get(T.NAME, 0) > 1 and seen.get(T.NAME) != seen.get(T.VERSION):
        problems.append(Problem("SG001", T.VERSION, f"a `manual` event for {seen[T.NAME]} skills needs one `{T.VERSION}` "
                                                    f"per `{T.NAME}`, in the same order (found {seen.get(T.VERSION, 0)})"))
    names = tr.get_all(T.NAME)
    if len(set(names)) != len(names):
        problems.append(Problem("SG001", T.NAME, f"`{T.NAME}` names the same skill twice; name each skill once"))
    if event is None:
        problems.append(Problem("SG001", T.EVENT, "no `Skill-Event` trailer; add `Skill-Event: <type>` to the final trailer block"))
        return tuple(problems)
    if event not in EVENT_TYPES:
        problems.append(Problem("SG001", T.EVENT, f"`Skill-Event: {event}` is not an event type; use one of {', '.join(EVENT_TYPES)}"))
        return tuple(problems)
    problems.extend(_check_by_type(event, tr))
    return tuple(problems)


def _check_by_type(event: str, tr: Trailers) -> list[Problem]:
    out: list[Problem] = []

    def need(key: str, why: str) -> None:
        if tr.get(key) is None:
            out.append(Problem("SG001", key, f"a `{event}` event needs `{key}` ({why})"))

    def forbid(key: str) -> None:
        if tr.get(key) is not None:
            out.append(Problem("SG001", key, f"`{key}` does not belong on a `{event}` event; remove it"))

    name = tr.get(T.NAME)
    if event in MUTATING:
        need(T.NAME, "the one skill it mutates")
        need(T.VERSION, "`<blob-before>..<blob-after>`")
    elif event in ("init", "no-op"):
        forbid(T.NAME)
    for each in tr.get_all(T.NAME):
        if not name_is_safe(each):
            out.append(Problem("SG001", T.NAME, f"`Skill-Name: {each}` is not a valid skill name ([a-z0-9-])"))
    for version in tr.get_all(T.VERSION):
        if event not in MUTATING:
            forbid(T.VERSION)
            break
        if not _VERSION.match(version):
            out.append(Problem("SG001", T.VERSION, f"`Skill-Version: {version}` must be `<blob-before>..<blob-after>` (`{NO_VERSION}` for none)"))
    if event == "rename":
        need(T.RENAMED_FROM, "the skill's name before")
        old = tr.get(T.RENAMED_FROM)
        if old is not None and not name_is_safe(old):
            out.append(Problem("SG001", T.RENAMED_FROM, f"`{T.RENAMED_FROM}: {old}` is not a valid skill name ([a-z0-9-])"))
        elif old is not None and old == name:
            out.append(Problem("SG001", T.RENAMED_FROM, f"`{T.RENAMED_FROM}` names `{old}`, the new name too; a rename changes the name"))
    elif tr.get(T.RENAMED_FROM) is not None:
        forbid(T.RENAMED_FROM)
    if event == "rollback":
        need(T.ROLLBACK_OF, "the commit id(s) it undoes")
    elif tr.get(T.ROLLBACK_OF) is not None:
        forbid(T.ROLLBACK_OF)
    rollback_of = tr.get(T.ROLLBACK_OF)
    if rollback_of is not None and not (_COMMITS.match(rollback_of) or _COMMIT_SPAN.match(rollback_of)):
        out.append(Problem("SG001", T.ROLLBACK_OF, f"`Skill-Rollback-Of: {rollback_of}` must be commit ids, or "
                                                   "`<target>..<last> (…)` for every change after the version restored"))
    if event == "refused":
        need(T.REASON, "why the change was refused")
    if event == "no-op":
        need(T.TRIGGER, "the evidence the cycle considered")
    saturation = tr.get(T.SATURATION)
    if saturation is not None and (event != "no-op" or saturation != "true"):
        out.append(Problem("SG001", T.SATURATION, "`Skill-Saturation: true` may only appear on a no-op event"))
    delta = tr.get(T.SCORE_DELTA)
    if delta is not None and not _SCORE_DELTA.match(delta):
        out.append(Problem("SG001", T.SCORE_DELTA, f"`Skill-Score-Delta: {delta}` must look like `0.42 -> 0.47`"))
    parent = tr.get(T.PARENT_EVENT)
    if parent is not None and not re.fullmatch(r"[0-9a-f]{7,40}", parent):
        out.append(Problem("SG001", T.PARENT_EVENT, f"`Skill-Parent-Event: {parent}` must be a commit id"))
    expected = tr.get(T.EXPECTED)
    if event in ("refine", "create"):
        if expected is None:
            out.append(Problem("SG005", T.EXPECTED, f"a `{event}` event needs a checkable `Skill-Expected` prediction"))
        else:
            try:
                parse_expected(expected)
            except TrailerError as exc:
                out.append(Problem("SG005", T.EXPECTED, str(exc).rstrip(".")))
    elif expected is not None:
        out.append(Problem("SG005", T.EXPECTED, f"`Skill-Expected` is only for refine and create, not `{event}`; remove it"))
    return out


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
    revert_of = None
    match = _REVERT.search(text)
    if match and message.title.startswith('Revert "'):
        revert_of = match.group(1)
        if kind is None:
            kind = "rollback"
    when = datetime.fromtimestamp(timestamp, tz=UTC)
    return Event(commit, parents, author_name, author_email, when, message, kind, revert_of, committer_email)
