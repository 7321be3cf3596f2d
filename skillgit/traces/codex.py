"""Codex CLI rollouts (`~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl`).

Lines are `{"timestamp", "type", "payload"}`: `session_meta` (id, cwd, cli_version …),
`response_item` (`function_call`, `custom_tool_call`, `local_shell_call`, their `*_output`s and
`message`s), `event_msg` (`exec_command_end`, `task_complete`, `turn_aborted` …). Older rollouts
that write the items bare (no envelope) are read too.

A call's exit code comes from its output: `Process exited with code N`, `Exit code: N`, or the
JSON form's `metadata.exit_code`, or an `exec_command_end` event; `ok` is `exit_code == 0` (or the
output's `success` flag). Outcome rule, as for Claude Code: the last signal decides — a call result
(ok = success, failed = failure), an aborted turn or an error event (failure). No signal: unknown.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from skillgit.traces.lines import (
    ERROR_MAX_CHARS,
    ReadReport,
    clip,
    clip_args,
    parse_time,
    read_file_session,
    tool_call,
)
from skillgit.traces.session import Learning, Session

_CALLS = frozenset({"function_call", "custom_tool_call", "local_shell_call"})
_OUTPUTS = frozenset({"function_call_output", "custom_tool_call_output"})
_META_KEYS = ("cwd", "cli_version", "originator", "model_provider", "source")


class CodexAdapter:
    name = "codex"

    def sniff(self, path: Path, head: bytes) -> bool:
        if b'"session_meta"' in head or b'"response_item"' in head:
            return True
        return path.name.startswith("rollout-") and (b'"instructions"' in head or b'"function_call"' in head)

    def read(self, path: Path, report: ReadReport) -> Iterator[Session | Learning]:
        yield from read_file_session(path, report, _Rollout(path))


ADAPTER = CodexAdapter()


class _Rollout:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.records = 0
        self.id: str | None = None
        self.meta: dict[str, Any] = {}
        self.calls: list[list[Any]] = []
        self.by_id: dict[str, list[Any]] = {}
        self.first: str | None = None
        self.last: str | None = None
        self.turns = 0
        self.text: str | None = None
        self.signal: str | None = None

    def add(self, rec: dict[str, Any]) -> None:
        payload = rec.get("payload")
        kind = rec.get("type")
        if type(payload) is not dict:
            payload, kind = rec, ("response_item" if kind in _CALLS or kind in _OUTPUTS or kind == "message" else kind)
            if "instructions" in rec and "id" in rec:
                kind = "session_meta"
        self.records += 1
        ts = rec.get("timestamp")
        if type(ts) is str:
            if self.first is None or ts < self.first:
                self.first = ts
            if self.last is None or ts > self.last:
                self.last = ts
        else:
            ts = None
        if kind == "response_item":
            self._item(payload, ts)
        elif kind == "event_msg":
            self._event(payload)
        elif kind == "session_meta":
            if type(payload.get("id")) is str and self.id is None:
                self.id = payload["id"]
            for key in _META_KEYS:
                if type(payload.get(key)) is str:
                    self.meta[key] = payload[key]
        elif kind == "turn_context" and type(payload.get("model")) is str:
            self.meta["model"] = payload["model"]

    def _item(self, item: dict[str, Any], ts: str | None) -> None:
        itype = item.get("type")
        if itype in _CALLS:
            self._call(item, itype, ts)
        elif itype in _OUTPUTS:
            call = self.by_id.get(item.get("call_id"))  # type: ignore[arg-type]
            if call is None:
                call = self._new("unknown", {}, item.get("call_id"), ts)
            _apply_output(call, item.get("output"))
            if call[2] is not None:
                self.signal = "success" if call[2] else "failure"
        elif itype == "message" and item.get("role") == "assistant":
            self.turns += 1
            for part in item.get("content") or []:
                if type(part) is dict and type(part.get("text")) is str:
                    self.text = part["text"]

    def _call(self, item: dict[str, Any], itype: str, ts: str | None) -> None:
        name = item.get("name")
        if itype == "local_shell_call":
            action = item.get("action") or {}
            args: dict[str, Any] = {"command": action.get("command")} if type(action) is dict else {}
            name = "local_shell"
        elif itype == "custom_tool_call":
            raw = item.get("input")
            args = {"input": raw} if type(raw) is str else {}
        else:
            args = _parse_args(item.get("arguments"))
        if type(name) is not str:
            raise TypeError("a tool call needs a string `name`")
        self._new(name, clip_args(args), item.get("call_id") or item.get("id"), ts)

    def _new(self, name: str, args: dict[str, Any], call_id: Any, ts: str | None) -> list[Any]:
        call = [name, args, None, ts, None, None, None]
        self.calls.append(call)
        if type(call_id) is str:
            self.by_id[call_id] = call
        return call

    def _event(self, payload: dict[str, Any]) -> None:
        etype = payload.get("type")
        if etype == "exec_command_end":
            call = self.by_id.get(payload.get("call_id"))  # type: ignore[arg-type]
            code = payload.get("exit_code")
            if call is not None and type(code) is int:
                call[6] = code
                call[2] = code == 0
                self.signal = "success" if code == 0 else "failure"
        elif etype == "task_complete" and type(payload.get("last_agent_message")) is str:
            self.text = payload["last_agent_message"]
        elif etype == "agent_message" and type(payload.get("message")) is str:
            self.text = payload["message"]
        elif etype in ("turn_aborted", "error", "stream_error"):
            self.signal = "failure"

    def session(self) -> Session:
        return Session(
            id=self.id or self.path.stem,
            source="codex",
            origin=f"{self.path}:1",
            started=parse_time(self.first),
            ended=parse_time(self.last),
            outcome=self.signal,  # type: ignore[arg-type]
            tool_calls=tuple(
                tool_call(c[0], c[1], c[2], parse_time(c[3]), c[4], c[5], c[6])
                for c in self.calls
            ),
            final_message=self.text,
            turns=self.turns,
            meta=self.meta,
        )


def _parse_args(raw: Any) -> dict[str, Any]:
    if type(raw) is dict:
        return raw
    if type(raw) is not str or not raw:
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {"arguments": raw}
    return parsed if type(parsed) is dict else {"arguments": raw}


def _apply_output(call: list[Any], output: Any) -> None:
    """Fill ok / duration / error / exit code of `call` from a Codex tool output."""
    text = ""
    success = None
    if type(output) is dict:
        success = output.get("success")
        output = output.get("content")
    if type(output) is str and output.startswith("{"):
        try:
            parsed = json.loads(output)
        except ValueError:
            parsed = None
        if type(parsed) is dict:
            meta = parsed.get("metadata")
            if type(meta) is dict:
                if type(meta.get("exit_code")) is int:
                    call[6] = meta["exit_code"]
                if type(meta.get("duration_seconds")) in (int, float):
                    call[4] = int(meta["duration_seconds"] * 1000)
            output = parsed.get("output", output)
    if type(output) is str:
        text = output
        if call[6] is None:
            call[6] = _exit_code(text)
        if call[4] is None:
            call[4] = _wall_time(text)
    if call[6] is not None:
        call[2] = call[6] == 0
    elif type(success) is bool:
        call[2] = success
    if call[2] is False:
        call[5] = clip(text, ERROR_MAX_CHARS) if text else None


def _exit_code(text: str) -> int | None:
    text = text[:400]  # the header Codex puts before the command's own output
    for marker in ("Process exited with code ", "Exit code: "):
        at = text.find(marker)
        if at >= 0:
            digits = text[at + len(marker):at + len(marker) + 12].split(None, 1)
            if digits and digits[0].lstrip("-").isdigit():
                return int(digits[0])
    return None


def _wall_time(text: str) -> int | None:
    at = text.find("Wall time: ")
    if at < 0:
        return None
    words = text[at + 11:at + 40].split(None, 1)
    try:
        return int(float(words[0]) * 1000) if words else None
    except ValueError:
        return None
