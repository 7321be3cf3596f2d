"""Turn a runner's stdout into sessions.

The output may be any trace format the adapters in `skillgit.evidence.adapters.registry` read (skillgit's
native session JSONL, yoyo audit lines, OTLP JSON, Codex rollouts, Claude Code transcripts): the
first adapter whose `sniff` accepts it reads it. For the simplest runners, one bare session
object is accepted too: the native session fields without `kind`/`source`, on one line or pretty
printed:

    {"id": "run-1", "outcome": "success", "final_message": "…", "turns": 3,
     "tool_calls": [{"name": "Bash", "args": {"command": "pytest"}, "ok": true}],
     "skills": [{"name": "guard-tests", "how": "invoked"}]}
"""

from __future__ import annotations

import json
from pathlib import Path

from skillgit.evidence.adapters.native import session_from_dict
from skillgit.evidence.adapters.registry import HEAD_BYTES, ReadReport, detect
from skillgit.evidence.session import Session

#: A bare session object has at least one of these keys (and no `kind`).
SESSION_KEYS = ("tool_calls", "final_message", "outcome")


def parse_trace(path: Path, source: str) -> tuple[list[Session], str | None]:
    """The sessions in the trace file at `path`, or a message saying why it is not a trace.

    `source` becomes the origin of a bare session object (e.g. `runner:<case id>`).
    """
    try:
        with open(path, "rb") as f:
            head = f.read(HEAD_BYTES)
    except OSError as exc:
        return [], f"cannot read the runner output ({exc.strerror})"
    if not head.strip():
        return [], "runner printed nothing on stdout; it must print the trace of its run"
    bare = _bare_session(path, head, source)
    if bare is not None:
        return bare
    adapter = detect(path, head)
    if adapter is None:
        first = head.decode("utf-8", "replace").strip().splitlines()[0][:80]
        return [], (
            f"runner output is not a trace in any supported format (starts with {first!r}); "
            "print one session JSON object"
        )
    report = ReadReport()
    sessions = [r for r in adapter.read(path, report) if isinstance(r, Session)]
    if not sessions:
        why = f" ({report.examples[0]})" if report.examples else ""
        return [], f"runner output looks like a {adapter.name} trace but holds no session{why}; check the runner"
    return sessions, None


def _bare_session(path: Path, head: bytes, source: str) -> tuple[list[Session], str | None] | None:
    """A single native session object without `kind`, or None when the output is something else."""
    if not head.lstrip().startswith(b"{"):
        return None
    try:
        obj: object = json.loads(path.read_bytes())
    except (ValueError, OSError):
        first = head.lstrip().split(b"\n", 1)[0]
        try:
            obj = json.loads(first)
        except ValueError:
            return None
        if isinstance(obj, dict) and "kind" not in obj and any(k in obj for k in SESSION_KEYS):
            return [], "runner output holds more than one JSON value; a runner must print the trace of exactly one run"
        return None
    if not isinstance(obj, dict) or "kind" in obj or not any(k in obj for k in SESSION_KEYS):
        return None
    record = {"id": source, "source": "runner", "origin": source, **obj}
    try:
        return [session_from_dict(record)], None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return [], f"runner printed a session object that does not fit the session format ({exc}); see docs/evals.md"
