"""Turn a runner's stdout into sessions.

When the trace adapter registry (`skillgit.traces.registry`) is installed, the output is handed to
the first adapter whose `sniff` accepts it, so a runner may print any supported trace format.
The native session JSON below is always understood, registry or not: one JSON object (pretty
printed or on one line) per session:

    {"id": "run-1", "outcome": "success", "final_message": "…", "turns": 3,
     "started": "2026-01-01T10:00:00Z", "ended": "2026-01-01T10:00:05Z",
     "tool_calls": [{"name": "Bash", "args": {"command": "pytest"}, "ok": true}],
     "skills": [{"name": "guard-tests", "how": "invoked"}]}
"""

from __future__ import annotations

import importlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from skillgit.traces.session import Session, SkillUse, ToolCall

SESSION_KEYS = ("tool_calls", "final_message", "outcome")
HOW = ("invoked", "stamped", "read", "keyword")
HEAD_BYTES = 64 * 1024


def parse_trace(path: Path, source: str) -> tuple[list[Session], str | None]:
    """The sessions in the trace file at `path`, or a message saying why it is not a trace."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [], f"cannot read the runner output ({exc.strerror})"
    if not raw.strip():
        return [], "runner printed nothing on stdout; it must print the trace of its run"
    native, problem = _native(raw, source)
    if native:
        return native, None
    via_registry = _registry(path, raw[:HEAD_BYTES])
    if via_registry is not None:
        return via_registry
    return [], problem


def _registry(path: Path, head: bytes) -> tuple[list[Session], str | None] | None:
    """Sessions read by the first trace adapter that recognises the file; None when none does."""
    try:
        registry = importlib.import_module("skillgit.traces.registry")
    except ModuleNotFoundError as exc:
        if exc.name != "skillgit.traces.registry":
            raise
        return None
    for name, adapter in getattr(registry, "ADAPTERS", {}).items():
        if not adapter.sniff(path, head):
            continue
        report = registry.new_report() if hasattr(registry, "new_report") else None
        sessions = list(adapter.read(path, report))
        if not sessions:
            return [], f"runner output looks like a {name} trace but holds no session; check the runner"
        return sessions, None
    return None


def _native(raw: bytes, source: str) -> tuple[list[Session], str]:
    text = raw.decode("utf-8", "replace").strip()
    first = text.splitlines()[0][:80]
    garbage = f"runner output is not a trace in any supported format (starts with {first!r}); print one session JSON object"
    try:
        objects: list[Any] = [json.loads(text)]
    except ValueError:
        objects = []
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                objects.append(json.loads(line))
            except ValueError:
                return [], garbage
    sessions = []
    for i, obj in enumerate(objects):
        if not isinstance(obj, dict) or not any(k in obj for k in SESSION_KEYS):
            return [], garbage
        session, problem = session_from_json(obj, f"{source}#{i + 1}")
        if session is None:
            return [], problem
        sessions.append(session)
    return sessions, ""


def session_from_json(obj: dict[str, Any], origin: str) -> tuple[Session | None, str]:
    """A Session from the native JSON form, or None and what is wrong with it."""
    calls = obj.get("tool_calls") or []
    if not isinstance(calls, list):
        return None, "runner session: `tool_calls` must be a list of {name, args, ok}"
    tool_calls = []
    for i, call in enumerate(calls):
        if not isinstance(call, dict) or not isinstance(call.get("name"), str) or not call["name"]:
            return None, f"runner session: tool_calls[{i}] needs a string `name`"
        args = call.get("args")
        tool_calls.append(ToolCall(
            name=call["name"],
            args=args if isinstance(args, dict) else ({} if args is None else {"value": args}),
            ok=call.get("ok") if isinstance(call.get("ok"), bool) else None,
            ts=_time(call.get("ts")),
            duration_ms=_int(call.get("duration_ms")),
            error=call.get("error") if isinstance(call.get("error"), str) else None,
            exit_code=_int(call.get("exit_code")),
        ))
    skills = []
    for i, use in enumerate(obj.get("skills") or []):
        if isinstance(use, str):
            use = {"name": use}
        if not isinstance(use, dict) or not isinstance(use.get("name"), str):
            return None, f"runner session: skills[{i}] needs a string `name`"
        how = use.get("how") if use.get("how") in HOW else "invoked"
        version = use.get("version") if isinstance(use.get("version"), str) else None
        skills.append(SkillUse(use["name"], how, version))
    outcome = obj.get("outcome")
    if outcome not in ("success", "failure", None):
        return None, f"runner session: outcome {outcome!r} is not 'success', 'failure' or null"
    final = obj.get("final_message")
    meta = obj.get("meta")
    return Session(
        id=str(obj.get("id") or origin),
        source="runner",
        origin=origin,
        started=_time(obj.get("started")),
        ended=_time(obj.get("ended")),
        outcome=outcome,
        tool_calls=tuple(tool_calls),
        skills=tuple(skills),
        final_message=final if isinstance(final, str) else None,
        turns=_int(obj.get("turns")) or 0,
        meta=meta if isinstance(meta, dict) else {},
    ), ""


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
