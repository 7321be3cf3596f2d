"""Normalized session records: what every trace adapter produces and every grader reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, TypedDict

from skillgit.frozenrecord import Record
from skillgit.jsontypes import JSON

Outcome = Literal["success", "failure"]
SkillHow = Literal["invoked", "stamped", "read", "keyword"]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


COMMAND_KEYS = ("command", "cmd", "path", "pattern", "query", "skill", "url")
"""The arguments `ToolCall.command` shows, the first one set."""


@dataclass(frozen=True, eq=False, repr=False)
class ToolCall(Record):
    """One tool call in a session. `ok` is None when the trace does not say."""

    name: str
    args: Mapping[str, JSON] = field(default_factory=dict)
    ok: bool | None = None
    ts: datetime | None = None
    duration_ms: int | None = None
    error: str | None = None
    exit_code: int | None = None

    @property
    def command(self) -> str:
        """A one-line rendering of the call, e.g. `bash: cargo test -p foo`."""
        return render_command(self.name, self.args)


def render_command(name: str, args: Mapping[str, JSON], keys: Sequence[str] = COMMAND_KEYS) -> str:
    """`ToolCall.command` of a call `name` with `args`, looking at `keys` (a tail of `COMMAND_KEYS` skips
    those already known to give nothing)."""
    for key in keys:
        value = args.get(key)
        if value is None:
            continue
        if isinstance(value, list):
            value = " ".join(str(v) for v in value)
        if isinstance(value, str) and value:
            return f"{name}: {value}"
    return name


@dataclass(frozen=True, eq=False, repr=False)
class SkillUse(Record):
    """Evidence that a session used a skill. `version` is a blob id or sha256 when stamped.

    `full_name` keeps a plugin-namespaced reference as written (`superpowers:brainstorming`) when
    `name` is only its last part (`brainstorming`).
    """

    name: str
    how: SkillHow
    version: str | None = None
    full_name: str | None = None


@dataclass(frozen=True, eq=False, repr=False)
class Session(Record):
    """One agent run. `origin` is `file:line` of the record that started it."""

    id: str
    source: str
    origin: str
    started: datetime | None = None
    ended: datetime | None = None
    outcome: Outcome | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    skills: tuple[SkillUse, ...] = ()
    final_message: str | None = None
    turns: int = 0
    meta: Mapping[str, JSON] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class SessionSummary(Record):
    """What metrics need of a session, without its tool calls: one session of the evidence store, or
    `attribution.summarize(session)` of one in memory."""

    id: str
    started: datetime | None
    ended: datetime | None
    outcome: Outcome | None
    calls: int
    failed_calls: int
    """Tool calls that failed (`ok` False)."""
    texts: bool
    """Some tool call has string arguments (where keywords could appear)."""
    row: int = 0
    """The store's row of the session (0: not from the store)."""


@dataclass(frozen=True, eq=False, repr=False)
class Learning(Record):
    """A learning/complaint record (yoyo `memory/learnings.jsonl`)."""

    title: str
    ts: datetime | None = None
    type: str | None = None
    source: str | None = None
    context: str = ""
    takeaway: str = ""
    pattern_key: str | None = None
    skill: str | None = None
    origin: str = ""
    skills: tuple[str, ...] = ()
    day: int | None = None


def call_text(call: ToolCall) -> str:
    """Every string argument of a call (lists joined), one per line: what reads and keywords are matched in."""
    values = call.args.values()
    for value in values:
        if type(value) is not str:
            break
    else:  # all of them strings, as most are
        return "\n".join(values)  # type: ignore[arg-type]  # every one a str, as just seen
    parts: list[str] = []
    for value in values:
        if type(value) is str or isinstance(value, str):
            parts.append(value)
        elif isinstance(value, list):
            parts.append(" ".join(str(v) for v in value if isinstance(v, (str, int, float))))
    return "\n".join(parts)


def merge_subagents(parent: Session, subs: list[Session]) -> Session:
    """`parent` with the tool calls and skills of its subagent sessions `subs` merged in."""
    calls = list(parent.tool_calls)
    skills = list(parent.skills)
    for sub in subs:
        calls.extend(sub.tool_calls)
        skills.extend(use for use in sub.skills if use not in skills)
    calls.sort(key=lambda c: c.ts or _EPOCH)
    times = [t for s in (parent, *subs) for t in (s.started, s.ended) if t is not None]
    meta = dict(parent.meta)
    subagents: list[JSON] = [sub.id for sub in subs]
    meta["subagents"] = subagents
    return Session(
        id=parent.id,
        source=parent.source,
        origin=parent.origin,
        started=min(times) if times else None,
        ended=max(times) if times else None,
        outcome=parent.outcome,
        tool_calls=tuple(calls),
        skills=tuple(skills),
        final_message=parent.final_message,
        turns=parent.turns,
        meta=meta,
    )


Run = tuple[str, str, str, str, bool | None, int, int]
"""A retry run (see `Facts`): tool, failing form, first call, last call, whether the last one worked, failed
calls, calls."""


class Facts(TypedDict):
    """What the patterns need of one session (`diagnosis.facts_of`), plain JSON data, so the evidence store keeps it
    (its tuples are JSON arrays there):

        n        its tool calls
        runs     retry runs: [tool, failing form (the last failed call), first call, last call, whether the
                 last one worked, failed calls, calls]
        reverts  [path, the failed call before the revert or null] for each edit reverted
        failed   [position, tool, command, first line of the error or null] for each failed call
        worked   {tool: {command: last position}} for the calls that worked
        docs     the position of the last call that read docs (README*, docs/, *.md …; -1: none)
        own      {skill: the position of the last call that named a file of the skill or invoked it}
    """

    n: int
    runs: list[Run]
    reverts: list[tuple[str, str | None]]
    failed: list[tuple[int, str, str, str | None]]
    worked: dict[str, dict[str, int]]
    docs: int
    own: dict[str, int]
