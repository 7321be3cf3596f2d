"""yoyo audit logs: `sessions/<dir>/audit.jsonl` + `outcome.json`, and `memory/learnings.jsonl`.

A session is one `sessions/<dir>/`: every audit line is a tool call (`ts, tool, args, success,
duration_ms`), and `outcome.json` decides the outcome: success when `build_ok` and `test_ok` are
true, `reverted` is not, and `tasks_succeeded > 0` whenever `tasks_attempted > 0`. The raw outcome
goes to `meta["outcome"]`. The audit file is the session's source; its sibling outcome.json is read
with it (an outcome.json with no audit.jsonl beside it is a session without tool calls).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from skillgit.evidence.adapters.lines import (
    Batch,
    ReadReport,
    clip_args,
    parse_time,
    read_json_file,
    read_lines,
    stamp_version,
    tool_call,
)
from skillgit.evidence.session import Learning, Outcome, Session, SkillUse, ToolCall
from skillgit.safefile import open_regular

AUDIT = "audit.jsonl"
OUTCOME = "outcome.json"
LEARNINGS = "learnings.jsonl"
OUTCOME_KEPT_BYTES = 64 * 1024
"""An outcome.json up to this size is kept in an audit log's reader state (`_Audit.outcome`)."""
_OUTCOME_KEYS = ("build_ok", "test_ok", "tasks_attempted", "tasks_succeeded", "reverted")


class YoyoAdapter:
    name = "yoyo"

    def sniff(self, path: Path, head: bytes) -> bool:
        name = path.name
        if name == AUDIT:
            return b'"tool"' in head or not head.strip()
        if name == OUTCOME:
            return any(key.encode() in head for key in _OUTCOME_KEYS)
        if name == LEARNINGS:
            return True
        return _is_learnings(head) or _is_audit(head)

    def reader(self, path: Path) -> _Audit | _Learnings | None:
        """An audit log or a learnings file; None for an outcome.json (read whole)."""
        if path.name == OUTCOME:
            return None
        if path.name == AUDIT or path.name != LEARNINGS and not _is_learnings(_head(path)):
            return _Audit(path)
        return _Learnings(path)

    def read(self, path: Path, report: ReadReport) -> Iterator[Session | Learning]:
        reader = self.reader(path)
        if reader is not None:
            yield from read_lines(path, report, reader)
        elif not (path.parent / AUDIT).exists():
            yield _session(path, [], [], report, f"{path}:1")


ADAPTER = YoyoAdapter()


def _is_audit(head: bytes) -> bool:
    return b'"tool"' in head and b'"duration_ms"' in head and b'"success"' in head


def _is_learnings(head: bytes) -> bool:
    return b'"takeaway"' in head and b'"title"' in head


def _head(path: Path) -> bytes:
    try:
        with open_regular(path) as handle:
            return handle.read(8192)
    except OSError:
        return b""


class _Audit:
    """An audit log: every line a tool call of the folder's one session. A flush gives the session with the
    calls read since the last one (`Batch.kept`: the ones before stand); only their span is kept, and the
    bytes of outcome.json with its stat key (`outcome`): reading on while it is unchanged looks only at
    its stat, not at the file."""

    documents = False
    outcome: tuple[list[int], bytes] | None = None
    """outcome.json's stat key (size, mtime, inode) and bytes, as read last (a state made before it was kept has none)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.calls: list[ToolCall] = []
        self.given = 0
        self.span: tuple[datetime | None, datetime | None] = (None, None)
        self.skills: list[SkillUse] = []

    def __getstate__(self) -> dict[str, Any]:
        # the calls read since the last flush are delivered by the flush that follows
        return {**self.__dict__, "calls": [], "given": self.given + len(self.calls), "span": self._span(),
                "outcome": self._outcome()}

    def _outcome(self) -> tuple[list[int], bytes] | None:
        """outcome.json's stat key and bytes (kept while the key stays), when it is a regular file of at most
        `OUTCOME_KEPT_BYTES`; else None (then it is read as before)."""
        path = self.path.parent / OUTCOME
        try:
            st = os.stat(path)
        except (OSError, ValueError):
            return None
        key = [st.st_size, st.st_mtime_ns, st.st_ino]
        kept = self.outcome
        if kept is not None and kept[0] == key:
            return kept
        self.outcome = None
        if st.st_size > OUTCOME_KEPT_BYTES:
            return None
        try:
            with open_regular(path) as handle:
                data = handle.read(OUTCOME_KEPT_BYTES + 1)
        except OSError:
            return None
        if len(data) != st.st_size:  # written meanwhile
            return None
        self.outcome = (key, data)
        return self.outcome

    def _span(self) -> tuple[datetime | None, datetime | None]:
        stamps = [t for t in (*self.span, *(c.ts for c in self.calls)) if t is not None]
        return (min(stamps), max(stamps)) if stamps else (None, None)

    def add(self, number: int, rec: dict[str, Any]) -> None:
        get = rec.get
        tool, args, ok, duration, ts = get("tool"), get("args"), get("success"), get("duration_ms"), get("ts")
        if type(tool) is not str or (args is not None and type(args) is not dict):
            raise TypeError("`tool` must be a string and `args` an object")
        if ok is not None and type(ok) is not bool or duration is not None and type(duration) not in (int, float):
            raise TypeError("`success` must be a boolean and `duration_ms` a number")
        self.calls.append(tool_call(
            tool,
            clip_args(args) if args else {},
            ok,
            parse_time(ts) if ts is not None else None,
            duration if duration is None or type(duration) is int else int(duration),
        ))
        if "skill_version" in rec or "skillVersion" in rec:
            _stamp(rec, self.skills)

    def flush(self, report: ReadReport) -> Batch:
        """The folder's session, its outcome.json read along, with the calls read since the last flush."""
        span = self._span()
        kept = self._outcome()
        session = _session(self.path.parent / OUTCOME, self.calls, self.skills, report, f"{self.path}:1", span,
                           None if kept is None else kept[1])
        batch = Batch([session], frozenset(), {session.id: self.given} if self.given else {})
        self.span, self.given, self.calls = span, self.given + len(self.calls), []
        return batch


def _session(outcome_path: Path, calls: list[ToolCall], skills: list[SkillUse], report: ReadReport, origin: str,
             span: tuple[datetime | None, datetime | None] | None = None, data: bytes | None = None) -> Session:
    """The folder's session: `calls` (those after the ones given before), its outcome.json read along (its
    bytes: `data`, when read already); `span`: the first and last call times of all of them, the ones given
    before included (when not given: of `calls`)."""
    report.depends_on(outcome_path)
    if data is not None:
        raw = read_json_file(outcome_path, report, data)
    else:
        raw = read_json_file(outcome_path, report) if outcome_path.exists() else None
    outcome = None
    meta: dict[str, Any] = {"dir": outcome_path.parent.name}
    skills = list(skills)
    if raw is not None:
        meta["outcome"] = raw
        outcome = _outcome(raw, outcome_path, report)
        _stamp(raw, skills)
        if type(raw.get("day")) is int:
            meta["day"] = raw["day"]
    if span is None:
        times = [c.ts for c in calls if c.ts is not None]
        span = (min(times), max(times)) if times else (None, None)
    stamps = [t for t in span if t is not None]
    finished = parse_time(raw.get("ts")) if raw else None
    ends = stamps + [finished] if finished is not None else stamps
    return Session(
        id=outcome_path.parent.name,
        source="yoyo",
        origin=origin,
        started=min(stamps) if stamps else None,
        ended=max(ends) if ends else None,
        outcome=outcome,
        tool_calls=tuple(calls),
        skills=tuple(skills),
        meta=meta,
    )


def _outcome(raw: dict[str, Any], path: Path, report: ReadReport) -> Outcome | None:
    """success = build_ok and test_ok and not reverted and (tasks_succeeded > 0 if tasks_attempted > 0)."""
    if not any(key in raw for key in _OUTCOME_KEYS):
        return None
    flags = [raw.get("build_ok", True), raw.get("test_ok", True), raw.get("reverted", False)]
    counts = [raw.get("tasks_attempted", 0), raw.get("tasks_succeeded", 0)]
    if any(type(v) is not bool for v in flags) or any(type(v) is not int for v in counts):
        report.skip(path, 1, "wrong-type", "build_ok/test_ok/reverted must be booleans, tasks_* integers")
        return None
    build_ok, test_ok, reverted = flags
    attempted, succeeded = counts
    ok = build_ok and test_ok and not reverted and (succeeded > 0 or attempted <= 0)
    return "success" if ok else "failure"


def _stamp(rec: dict[str, Any], skills: list[SkillUse]) -> None:
    name, version = rec.get("skill"), stamp_version(rec)
    if type(name) is str and name and version:
        use = SkillUse(name=name, how="stamped", version=version)
        if use not in skills:
            skills.append(use)


class _Learnings:
    """A learnings file: each line a learning of its own; a flush gives those read since the last one."""

    documents = False

    def __init__(self, path: Path) -> None:
        self.path = path
        self.pending: list[Session | Learning] = []

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "pending": []}  # what is pending is delivered by the flush that follows

    def add(self, number: int, rec: dict[str, Any]) -> None:
        title = rec.get("title")
        skill = rec.get("skill")
        skills = rec.get("skills")
        text = [rec.get(k) for k in ("type", "source", "pattern_key", "context", "takeaway")]
        if type(title) is not str or any(v is not None and type(v) is not str for v in text):
            raise TypeError("`title` and the text fields must be strings")
        names = [s for s in skills if type(s) is str] if type(skills) is list else []
        if type(skill) is str and skill not in names:
            names.insert(0, skill)
        day = rec.get("day")
        self.pending.append(Learning(
            title=title,
            ts=parse_time(rec.get("ts")),
            type=text[0],
            source=text[1],
            context=text[3] or "",
            takeaway=text[4] or "",
            pattern_key=text[2],
            skill=names[0] if names else None,
            origin=f"{self.path}:{number}",
            skills=tuple(names),
            day=day if type(day) is int else None,
        ))

    def flush(self, report: ReadReport) -> Batch:
        records, self.pending = self.pending, []
        return Batch(records)
