"""skillgit's own normalized session JSONL (`skillgit/schemas/session.schema.json`).

One JSON object a line, each with a `kind`: an optional first `header`
(`{"kind": "header", "format": "skillgit-sessions", "version": 1}`), then `session` and `learning`
records. Fields at their default (null, empty, 0) may be left out. `skillgit ingest --export` writes
it, an agent runtime may write it directly, and the same dict form is what the trace store keeps.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from skillgit.evidence.adapters.lines import Batch, LineAdapter, ReadReport
from skillgit.evidence.session import Learning, Session, SkillUse, ToolCall
from skillgit.jsontypes import JSONObject

FORMAT = "skillgit-sessions"
VERSION = 1
HEADER = {"kind": "header", "format": FORMAT, "version": VERSION}
_KINDS = (b'"header"', b'"session"', b'"learning"')


class NativeAdapter(LineAdapter):
    name = "skillgit"

    def sniff(self, path: Path, head: bytes) -> bool:
        first = head.lstrip().split(b"\n", 1)[0]
        if not first.startswith(b"{") or b'"kind"' not in first:
            return False
        try:
            obj = json.loads(first)
        except (ValueError, RecursionError):
            return first.replace(b" ", b"").startswith(b'{"kind":') and any(k in first for k in _KINDS)
        return isinstance(obj, dict) and obj.get("kind") in ("header", "session", "learning")

    def reader(self, path: Path) -> _Records:
        return _Records()


ADAPTER = NativeAdapter()


class _Records:
    """Each line is a record of its own: a flush gives the records read since the last one."""

    documents = False

    def __init__(self) -> None:
        self.pending: list[Session | Learning] = []

    def __getstate__(self) -> dict[str, Any]:
        return {"pending": []}  # what is pending is delivered by the flush that follows

    def add(self, number: int, obj: dict[str, Any]) -> None:
        kind = obj.get("kind", "session")
        try:
            if kind == "session":
                self.pending.append(session_from_dict(obj))
            elif kind == "learning":
                self.pending.append(learning_from_dict(obj))
            elif kind != "header":
                raise ValueError(f"unknown kind {kind!r}")
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(_explain(exc)) from None

    def flush(self, report: ReadReport) -> Batch:
        records, self.pending = self.pending, []
        return Batch(records)


def write_jsonl(out: IO[str], records: Iterable[Session | Learning]) -> int:
    """Write the header and `records` as native JSONL; returns the number of records written."""
    out.write(json.dumps(HEADER) + "\n")
    count = 0
    for record in records:
        data = session_to_dict(record) if isinstance(record, Session) else learning_to_dict(record)
        out.write(json.dumps(data, separators=(",", ":")) + "\n")
        count += 1
    return count


# -- dict form (shared with the store) --------------------------------------------------------


def session_to_dict(session: Session) -> JSONObject:
    out: JSONObject = {"kind": "session", "id": session.id, "source": session.source, "origin": session.origin}
    if session.started is not None:
        out["started"] = session.started.isoformat()
    if session.ended is not None:
        out["ended"] = session.ended.isoformat()
    if session.outcome is not None:
        out["outcome"] = session.outcome
    if session.turns:
        out["turns"] = session.turns
    if session.final_message is not None:
        out["final_message"] = session.final_message
    if session.tool_calls:
        out["tool_calls"] = [_call_to_dict(call) for call in session.tool_calls]
    if session.skills:
        out["skills"] = [_skill_to_dict(use) for use in session.skills]
    if session.meta:
        out["meta"] = dict(session.meta)
    return out


def _call_to_dict(call: ToolCall) -> JSONObject:
    out: JSONObject = {"name": call.name}
    if call.args:
        out["args"] = call.args if type(call.args) is dict else dict(call.args)
    if call.ok is not None:
        out["ok"] = call.ok
    if call.ts is not None:
        out["ts"] = call.ts.isoformat()
    if call.duration_ms is not None:
        out["duration_ms"] = call.duration_ms
    if call.error is not None:
        out["error"] = call.error
    if call.exit_code is not None:
        out["exit_code"] = call.exit_code
    return out


def _skill_to_dict(use: SkillUse) -> JSONObject:
    out: JSONObject = {"name": use.name, "how": use.how}
    if use.version is not None:
        out["version"] = use.version
    if use.full_name is not None:
        out["full_name"] = use.full_name
    return out


def session_from_dict(data: Mapping[str, Any]) -> Session:
    """A Session from its dict form; TypeError/ValueError/KeyError on a wrong shape."""
    calls = data.get("tool_calls") or []
    skills = data.get("skills") or []
    meta = data.get("meta") or {}
    if type(calls) is not list or type(skills) is not list or type(meta) is not dict:
        raise TypeError("tool_calls and skills must be lists, meta an object")
    outcome = data.get("outcome")
    if outcome not in (None, "success", "failure"):
        raise ValueError(f"outcome {outcome!r} is not success, failure or null")
    turns = data.get("turns", 0)
    if type(turns) is not int:
        raise TypeError("turns must be an integer")
    return Session(
        id=_text(data["id"], "id"),
        source=_text(data["source"], "source"),
        origin=_text(data.get("origin", ""), "origin"),
        started=_time(data.get("started")),
        ended=_time(data.get("ended")),
        outcome=outcome,
        tool_calls=tuple(_call_from_dict(call) for call in calls),
        skills=tuple(_skill_from_dict(use) for use in skills),
        final_message=_opt_text(data.get("final_message"), "final_message"),
        turns=turns,
        meta=meta,
    )


def _call_from_dict(data: Any) -> ToolCall:
    args = data.get("args") or {}
    ok = data.get("ok")
    duration = data.get("duration_ms")
    exit_code = data.get("exit_code")
    if type(args) is not dict or ok not in (None, True, False):
        raise TypeError("tool call args must be an object and ok a boolean")
    if duration is not None and type(duration) is not int or exit_code is not None and type(exit_code) is not int:
        raise TypeError("duration_ms and exit_code must be integers")
    return ToolCall(
        name=_text(data["name"], "tool_calls[].name"),
        args=args,
        ok=ok,
        ts=_time(data.get("ts")),
        duration_ms=duration,
        error=_opt_text(data.get("error"), "error"),
        exit_code=exit_code,
    )


def _skill_from_dict(data: Any) -> SkillUse:
    how = data["how"]
    if how not in ("invoked", "stamped", "read", "keyword"):
        raise ValueError(f"skill how {how!r} is not invoked, stamped, read or keyword")
    return SkillUse(
        name=_text(data["name"], "skills[].name"),
        how=how,
        version=_opt_text(data.get("version"), "version"),
        full_name=_opt_text(data.get("full_name"), "full_name"),
    )


def learning_to_dict(learning: Learning) -> JSONObject:
    out: JSONObject = {"kind": "learning", "title": learning.title}
    if learning.ts is not None:
        out["ts"] = learning.ts.isoformat()
    for key in ("type", "source", "pattern_key", "skill", "day"):
        value = getattr(learning, key)
        if value is not None:
            out[key] = value
    if learning.context:
        out["context"] = learning.context
    if learning.takeaway:
        out["takeaway"] = learning.takeaway
    if learning.skills:
        out["skills"] = list(learning.skills)
    if learning.origin:
        out["origin"] = learning.origin
    return out


def learning_from_dict(data: Mapping[str, Any]) -> Learning:
    skills = data.get("skills") or []
    day = data.get("day")
    if type(skills) is not list or not all(type(s) is str for s in skills):
        raise TypeError("skills must be a list of strings")
    if day is not None and type(day) is not int:
        raise TypeError("day must be an integer")
    return Learning(
        title=_text(data["title"], "title"),
        ts=_time(data.get("ts")),
        type=_opt_text(data.get("type"), "type"),
        source=_opt_text(data.get("source"), "source"),
        context=_text(data.get("context", ""), "context"),
        takeaway=_text(data.get("takeaway", ""), "takeaway"),
        pattern_key=_opt_text(data.get("pattern_key"), "pattern_key"),
        skill=_opt_text(data.get("skill"), "skill"),
        origin=_text(data.get("origin", ""), "origin"),
        skills=tuple(skills),
        day=day,
    )


def _text(value: Any, key: str) -> str:
    if type(value) is not str:
        raise TypeError(f"{key} must be a string")
    return value


def _opt_text(value: Any, key: str) -> str | None:
    return None if value is None else _text(value, key)


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    if type(value) is not str:
        raise TypeError("times must be ISO 8601 strings")
    return datetime.fromisoformat(value)


def _explain(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return str(exc)
