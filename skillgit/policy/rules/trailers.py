"""SG001 (valid trailer block by event type) and SG005 (Skill-Expected where required, absent elsewhere):
the trailer schema of every event type lives here, in the two rules."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from skillgit import trailers as T
from skillgit.errors import TrailerError
from skillgit.events import EVENT_TYPES, MUTATING, NO_VERSION, version_value
from skillgit.model.expected import parse_expected
from skillgit.model.skill import name_is_safe
from skillgit.policy.model import Change, Rule, Violation
from skillgit.policy.rules.common import ACTIVE, ATTIC, skill_blob, skill_file, skill_version

if TYPE_CHECKING:
    from skillgit.config import Config
    from skillgit.trailers import Message, Trailers

_OID = r"(?:[0-9a-f]{7,40}|[0-9a-f]{64})"
_VERSION = re.compile(rf"^(?P<before>{_OID})\.\.(?P<after>{_OID})$")
_COMMITS = re.compile(r"^[0-9a-f]{7,40}(?:[ ,]+[0-9a-f]{7,40})*$")
_COMMIT_SPAN = re.compile(r"^(?P<target>[0-9a-f]{7,40})\.\.(?P<last>[0-9a-f]{7,40})(?: \((?P<note>[^()]*)\))?$")
_SCORE_DELTA = re.compile(r"^-?\d+(?:\.\d+)?\s*->\s*-?\d+(?:\.\d+)?$")
MULTI_KEYS = (T.NAME, T.VERSION)
"""Keys a maintainer's `manual` event repeats, once per skill it changes, in the same order."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an event's trailers; `rule` is SG001 or SG005."""

    rule: str
    key: str
    message: str


def check_trailers(message: Message) -> list[Problem]:
    """Every problem with a message's governed trailers: SG001's (the block, by event type), then SG005's
    (Skill-Expected)."""
    return [*trailer_problems(message), *expected_problems(message)]


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
        out = [Violation(self.id, self.name, p.message, _FIX, commit=change.commit) for p in trailer_problems(change.message)]
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
        return [Violation(self.id, self.name, p.message, _FIX_EXPECTED, commit=change.commit)
                for p in expected_problems(change.message)]


@lru_cache(maxsize=64)
def trailer_problems(message: Message) -> tuple[Problem, ...]:
    """SG001's problems with a message's governed trailers, remembered for the last messages (the hooks
    and `verify` ask for each more than once)."""
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
    return out




def expected_problems(message: Message) -> list[Problem]:
    """SG005's problems: a checkable `Skill-Expected` on refine and create, none on other events (a message
    that is no valid event is SG001's)."""
    tr = message.trailers
    event = tr.get(T.EVENT)
    if event not in EVENT_TYPES:
        return []
    expected = tr.get(T.EXPECTED)
    if event in ("refine", "create"):
        if expected is None:
            return [Problem("SG005", T.EXPECTED, f"a `{event}` event needs a checkable `Skill-Expected` prediction")]
        problem = _expected_problem(expected)
        if problem is not None:
            return [Problem("SG005", T.EXPECTED, problem)]
    elif expected is not None:
        return [Problem("SG005", T.EXPECTED, f"`Skill-Expected` is only for refine and create, not `{event}`; remove it")]
    return []


@lru_cache(maxsize=256)
def _expected_problem(text: str) -> str | None:
    """Why `text` is not a checkable prediction (None: it is), kept by text (the values repeat)."""
    try:
        parse_expected(text)
    except TrailerError as exc:
        return str(exc).rstrip(".")
    return None


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
