"""Codex CLI: rollouts (`~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl`) and `codex exec --json` streams.

Rollout lines are `{"timestamp", "type", "payload"}` (older rollouts write the items bare):
`session_meta` (id, cwd, cli_version …), `turn_context` (model), `response_item` (`function_call`,
`custom_tool_call`, `local_shell_call`, `web_search_call`, their `*_output`s and `message`s),
`event_msg` (`exec_command_end`, `patch_apply_end`, `task_complete`, `turn_aborted`, `user_message`,
`agent_message`, and from 0.147 on `item_completed` with `CommandExecution`, `FileChange`,
`McpToolCall`, `WebSearch`, `UserMessage`, `AgentMessage` items). `codex exec --json` writes
`thread.started`, `turn.started|completed|failed`, `item.started|updated|completed` (items
`command_execution`, `file_change`, `mcp_tool_call`, `web_search`, `agent_message` …) and `error`.

- A command still running after its first output (`Process running with session ID N`) is completed
  by the `write_stdin` polls of that session: the polls are folded into the command (its exit code,
  output and wall time), they are not tool calls of their own.
- A call's exit code comes from its output: `Process exited with code N`, `Exit code: N`, the JSON
  form's `metadata.exit_code`, an `exec_command_end` event or an item's `exit_code`; `ok` is
  `exit_code == 0` (or the output's `success` flag). A failed call's `error` is its output (the part
  after `Output:`), so `diagnose` can say what failed.
- A call the approval policy or the sandbox refused (`exec command rejected by user`, `… rejected by
  user approval settings`, a `declined` command) failed: `ok` false, `error` the refusal as written.
- Web searches (`web_search_call`, `web_search` items) are calls of the tool `web_search`.
- The code-mode `exec` wrapper is replaced by the commands it ran (`CommandExecution` items).
- Skills: a `<skill><name>NAME</name>…` block Codex injects when a skill is selected (0.146 on, and
  `$skill` mentions before) is an invoked skill; reads of a SKILL.md stay ordinary calls (attribution).
- Outcome: `skillgit.evidence.adapters.outcome` (`task_complete` / `turn.completed` are completion records,
  `turn_aborted` / `turn.failed` / `error` explicit failures).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from skillgit.evidence.adapters.lines import (
    ERROR_MAX_CHARS,
    Batch,
    LineAdapter,
    ReadReport,
    clip,
    clip_args,
    loads_mended,
    parse_time,
    split_skill,
    tool_call,
)
from skillgit.evidence.adapters.outcome import Signals
from skillgit.evidence.session import Session, SkillUse

_CALLS = frozenset({"function_call", "custom_tool_call", "local_shell_call", "web_search_call"})
_OUTPUTS = frozenset({"function_call_output", "custom_tool_call_output"})
_META_KEYS = ("cwd", "cli_version", "originator", "model_provider", "source")
_POLL = "write_stdin"
_WRAPPERS = frozenset({"exec", "functions.exec"})
_RUNNING = "Process running with session ID "
_REFUSALS = ("rejected by user", "rejected by configuration", "rejected by policy", "sandbox denied",
             "aborted by user", "declined by user", "not approved")
_SKILL_BLOCK = re.compile(r"<skill>\s*<name>\s*([^<\s][^<]*?)\s*</name>")
_EXEC_EVENTS = ("thread.", "turn.", "item.")
# a call: [name, args, ok, ts, duration_ms, error, exit_code, children]
NAME, ARGS, OK, TS, DURATION, ERROR, CODE, CHILDREN = range(8)


class CodexAdapter(LineAdapter):
    name = "codex"

    def sniff(self, path: Path, head: bytes) -> bool:
        if b'"session_meta"' in head or b'"response_item"' in head:
            return True
        if b'"type":"thread.started"' in head.replace(b" ", b"") or b'"type":"turn.started"' in head.replace(b" ", b""):
            return True
        return path.name.startswith("rollout-") and (b'"instructions"' in head or b'"function_call"' in head)

    def reader(self, path: Path) -> _Rollout:
        return _Rollout(path)


ADAPTER = CodexAdapter()


class _Rollout:
    """Running state while one rollout or exec stream is read."""

    documents = False

    def __init__(self, path: Path) -> None:
        self.path = path
        self.records = 0
        self.id: str | None = None
        self.meta: dict[str, Any] = {}
        self.calls: list[list[Any]] = []
        self.by_id: dict[str, list[Any]] = {}
        self.polls: dict[str, list[Any]] = {}
        self.running: dict[str, list[Any]] = {}
        self.wrapper: list[Any] | None = None
        self.skills: list[SkillUse] = []
        self.first: str | None = None
        self.last: str | None = None
        self.turns = 0
        self.event_turns = 0
        self.text: str | None = None
        self.signals = Signals()

    # -- dispatch ---------------------------------------------------------------------------------

    def add(self, number: int, rec: dict[str, Any]) -> None:
        payload = rec.get("payload")
        kind = rec.get("type")
        if type(payload) is not dict:
            if type(kind) is str and kind.startswith(_EXEC_EVENTS):
                self.records += 1
                self._exec_event(kind, rec)
                return
            if kind == "error" and "message" in rec and "payload" not in rec:
                self.records += 1
                self.signals.failed()
                return
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
            self._event(payload, ts)
        elif kind == "session_meta":
            sid = payload.get("id") or payload.get("session_id")
            if type(sid) is str and self.id is None:
                self.id = sid
            for key in _META_KEYS:
                if type(payload.get(key)) is str:
                    self.meta[key] = payload[key]
        elif kind == "turn_context" and type(payload.get("model")) is str:
            self.meta["model"] = payload["model"]

    # -- rollout response items -------------------------------------------------------------------

    def _item(self, item: dict[str, Any], ts: str | None) -> None:
        itype = item.get("type")
        if itype in _CALLS:
            self.signals.activity()
            self._call(item, itype, ts)
        elif itype in _OUTPUTS:
            call_id = item.get("call_id")
            target = self.polls.pop(call_id, None) if type(call_id) is str else None
            if target is not None:
                _apply_output(target, item.get("output"), self.running)
                return
            call = self.by_id.get(call_id) if type(call_id) is str else None
            if call is None:
                call = self._new("unknown", {}, call_id, ts)
            if call is self.wrapper:
                self.wrapper = None
            _apply_output(call, item.get("output"), self.running)
        elif itype == "message":
            role = item.get("role")
            texts = [p["text"] for p in item.get("content") or [] if type(p) is dict and type(p.get("text")) is str]
            if role == "assistant":
                self.signals.activity()
                self.turns += 1
                if texts:
                    self.text = texts[-1]
            elif role == "user":
                self._user_text(texts)

    def _call(self, item: dict[str, Any], itype: str, ts: str | None) -> None:
        name = item.get("name")
        call_id = item.get("call_id") or item.get("id")
        if itype == "local_shell_call":
            action = item.get("action") or {}
            args: dict[str, Any] = {"command": action.get("command")} if type(action) is dict else {}
            name = "local_shell"
        elif itype == "web_search_call":
            action = item.get("action")
            query = action.get("query") if type(action) is dict else item.get("query")
            call = self._new("web_search", {"query": query} if type(query) is str else {}, call_id, ts)
            status = item.get("status")
            call[OK] = True if status == "completed" else False if status == "failed" else None
            return
        elif itype == "custom_tool_call":
            raw = item.get("input")
            args = {"input": raw} if type(raw) is str else {}
        else:
            args = _parse_args(item.get("arguments"))
        if type(name) is not str:
            raise TypeError("a tool call needs a string `name`")
        if name == _POLL:
            target = self.running.get(str(args.get("session_id")))
            if target is not None:
                if type(call_id) is str:
                    self.polls[call_id] = target
                return
        call = self._new(name, clip_args(args), call_id, ts)
        if name in _WRAPPERS:
            self.wrapper = call

    def _new(self, name: str, args: dict[str, Any], call_id: Any, ts: str | None) -> list[Any]:
        call: list[Any] = [name, args, None, ts, None, None, None, 0]
        self.calls.append(call)
        if type(call_id) is str:
            self.by_id[call_id] = call
        return call

    def _user_text(self, texts: list[str]) -> None:
        for text in texts:
            if text.startswith("<turn_aborted>"):
                continue
            self.signals.activity()
            for match in _SKILL_BLOCK.finditer(text):
                name, full = split_skill(match.group(1))
                use = SkillUse(name=name, how="invoked", full_name=full)
                if name and use not in self.skills:
                    self.skills.append(use)

    # -- rollout events ---------------------------------------------------------------------------

    def _event(self, payload: dict[str, Any], ts: str | None) -> None:
        etype = payload.get("type")
        if etype == "exec_command_end":
            call = self._target(payload.get("call_id"))
            code = payload.get("exit_code")
            if call is not None:
                if payload.get("status") == "declined":
                    _refuse(call, _text(payload.get("aggregated_output")) or "declined")
                elif type(code) is int:
                    call[CODE] = code
                    call[OK] = code == 0
                    if code and call[ERROR] is None:
                        text = _text(payload.get("aggregated_output")) or _text(payload.get("stderr"))
                        call[ERROR] = clip(text, ERROR_MAX_CHARS) if text else None
        elif etype == "patch_apply_end":
            call = self._target(payload.get("call_id"))
            if call is not None and type(payload.get("success")) is bool:
                call[OK] = payload["success"]
                if not call[OK] and call[ERROR] is None and _text(payload.get("stderr")):
                    call[ERROR] = clip(payload["stderr"], ERROR_MAX_CHARS)
        elif etype == "task_complete":
            self.signals.completed()
            if type(payload.get("last_agent_message")) is str:
                self.text = payload["last_agent_message"]
        elif etype == "agent_message" and type(payload.get("message")) is str:
            self.event_turns += 1
            self.text = payload["message"]
        elif etype == "user_message" and type(payload.get("message")) is str:
            self._user_text([payload["message"]])
        elif etype in ("turn_aborted", "error"):
            self.signals.failed()
        elif etype == "task_started":
            self.signals.activity()
        elif etype == "item_completed" and type(payload.get("item")) is dict:
            self._completed_item(payload["item"], ts)

    def _target(self, call_id: Any) -> list[Any] | None:
        if type(call_id) is not str:
            return None
        return self.polls.get(call_id) or self.by_id.get(call_id)

    def _completed_item(self, item: dict[str, Any], ts: str | None) -> None:
        """A 0.147+ `item_completed` item (PascalCase types) or an `exec --json` item (snake_case)."""
        itype = str(item.get("type") or item.get("item_type") or "").replace("_", "").lower()
        item_id = item.get("call_id") or item.get("id")
        existing = self.by_id.get(item_id) if type(item_id) is str else None
        if itype == "commandexecution":
            self.signals.activity()
            command = item.get("command")
            if isinstance(command, list):
                command = " ".join(str(c) for c in command)
            call = existing
            if call is None:
                args = {"cmd": command} if type(command) is str else {}
                if type(item.get("cwd")) is str:
                    args["workdir"] = item["cwd"]
                call = self._new("exec_command", clip_args(args), item_id, ts)
                if self.wrapper is not None:
                    self.wrapper[CHILDREN] += 1
            _apply_item_result(call, item)
        elif itype == "filechange":
            self.signals.activity()
            call = existing or self._new("apply_patch", {"paths": _change_paths(item.get("changes"))}, item_id, ts)
            status = item.get("status")
            if status in ("completed", "failed"):
                call[OK] = status == "completed"
        elif itype == "mcptoolcall":
            self.signals.activity()
            name = f"mcp__{item.get('server')}__{item.get('tool')}"
            raw = item.get("arguments")
            call = existing or self._new(name, clip_args(raw if isinstance(raw, dict) else {}), item_id, ts)
            _apply_mcp_result(call, item)
        elif itype == "websearch":
            query = item.get("query")
            call = existing or self._new("web_search", {"query": query} if type(query) is str else {}, item_id, ts)
            call[OK] = True if item.get("status") in (None, "completed") else call[OK]
        elif itype in ("agentmessage", "assistantmessage"):
            self.signals.activity()
            text = item.get("text")
            if type(text) is not str:
                parts = [p["text"] for p in item.get("content") or [] if type(p) is dict and type(p.get("text")) is str]
                text = parts[-1] if parts else None
            self.event_turns += 1
            if text is not None:
                self.text = text
        elif itype == "usermessage":
            parts = [p["text"] for p in item.get("content") or [] if type(p) is dict and type(p.get("text")) is str]
            self._user_text(parts)

    # -- exec --json ------------------------------------------------------------------------------

    def _exec_event(self, kind: str, rec: dict[str, Any]) -> None:
        if kind == "thread.started" and type(rec.get("thread_id")) is str and self.id is None:
            self.id = rec["thread_id"]
            self.meta["format"] = "exec-json"
        elif kind == "turn.started":
            self.signals.activity()
        elif kind == "turn.completed":
            self.signals.completed()
        elif kind == "turn.failed":
            self.signals.failed()
            error = rec.get("error")
            if type(error) is dict and type(error.get("message")) is str:
                self.meta["error"] = clip(error["message"], ERROR_MAX_CHARS)
        elif kind == "item.completed" and type(rec.get("item")) is dict:
            self._completed_item(rec["item"], None)

    # -- the session ------------------------------------------------------------------------------

    def flush(self, report: ReadReport) -> Batch:
        """The rollout's one session as read so far (it replaces the one given before)."""
        return Batch([self.session()] if self.records else [], frozenset())

    def session(self) -> Session:
        calls = [c for c in self.calls if not (c[NAME] in _WRAPPERS and c[CHILDREN])]
        built = tuple(tool_call(c[NAME], c[ARGS], c[OK], parse_time(c[TS]), c[DURATION], c[ERROR], c[CODE]) for c in calls)
        return Session(
            id=self.id or self.path.stem,
            source="codex",
            origin=f"{self.path}:1",
            started=parse_time(self.first),
            ended=parse_time(self.last),
            outcome=self.signals.outcome(self.text, built),
            tool_calls=built,
            skills=tuple(self.skills),
            final_message=self.text,
            turns=self.turns or self.event_turns,
            meta=dict(self.meta),
        )


def _parse_args(raw: Any) -> dict[str, Any]:
    if type(raw) is dict:
        return raw
    if type(raw) is not str or not raw:
        return {}
    try:
        parsed = loads_mended(raw)
    except (ValueError, RecursionError):
        return {"arguments": raw}
    return parsed if type(parsed) is dict else {"arguments": raw}


def _text(value: Any) -> str:
    return value.strip() if type(value) is str else ""


def _refuse(call: list[Any], text: str) -> None:
    call[OK] = False
    call[ERROR] = clip(text.strip(), ERROR_MAX_CHARS)


def _apply_output(call: list[Any], output: Any, running: dict[str, list[Any]]) -> None:
    """Fill ok / duration / error / exit code of `call` from a Codex tool output (a command's first
    output, or the output of a `write_stdin` poll of it)."""
    success = None
    session = None
    if type(output) is dict:
        success = output.get("success")
        session = output.get("session_id")
        output = output.get("content", output.get("output"))
    if type(output) is list:
        output = "\n".join(p["text"] for p in output if type(p) is dict and type(p.get("text")) is str)
    code = None
    if type(output) is str and output.startswith("{"):
        try:
            parsed = loads_mended(output)
        except (ValueError, RecursionError):
            parsed = None
        if type(parsed) is dict:
            meta = parsed.get("metadata")
            if type(meta) is dict:
                if type(meta.get("exit_code")) is int:
                    code = meta["exit_code"]
                if type(meta.get("duration_seconds")) in (int, float):
                    call[DURATION] = (call[DURATION] or 0) + int(meta["duration_seconds"] * 1000)
            if type(parsed.get("exit_code")) is int:
                code = parsed["exit_code"]
            output = parsed.get("output", output)
    text = output if type(output) is str else ""
    head = text[:400]  # the header Codex puts before the command's own output
    if session is None and _RUNNING in head:
        session = head.split(_RUNNING, 1)[1].split(None, 1)[0] if head.split(_RUNNING, 1)[1].strip() else None
    if code is None:
        code = _exit_code(head)
    wall = _wall_time(head)
    if wall is not None:
        call[DURATION] = (call[DURATION] or 0) + wall
    if code is not None:
        call[CODE] = code
        call[OK] = code == 0
        _forget(running, call)
    elif session is not None:
        running[str(session)] = call  # still running: its write_stdin polls will finish it
        return
    elif any(refusal in head for refusal in _REFUSALS):
        _refuse(call, text)
        return
    elif type(success) is bool:
        call[OK] = success
    if call[OK] is False and text:
        call[ERROR] = clip(_body(text), ERROR_MAX_CHARS)


def _forget(running: dict[str, list[Any]], call: list[Any]) -> None:
    for key in [k for k, v in running.items() if v is call]:
        del running[key]


def _apply_item_result(call: list[Any], item: dict[str, Any]) -> None:
    status = item.get("status")
    output = _text(item.get("aggregated_output"))
    if status == "declined":
        _refuse(call, output or "declined")
        return
    code = item.get("exit_code")
    if type(code) is int:
        call[CODE] = code
        call[OK] = code == 0
    elif status in ("completed", "failed"):
        call[OK] = status == "completed"
    duration = item.get("duration_ms")
    if type(duration) is int:
        call[DURATION] = duration
    if call[OK] is False and call[ERROR] is None and output:
        call[ERROR] = clip(output, ERROR_MAX_CHARS)


def _apply_mcp_result(call: list[Any], item: dict[str, Any]) -> None:
    result = item.get("result")
    error = item.get("error")
    failed = item.get("status") == "failed" or (type(result) is dict and result.get("isError") is True) or bool(error)
    if failed or item.get("status") == "completed" or result is not None:
        call[OK] = not failed
    if failed and call[ERROR] is None:
        message = error.get("message") if type(error) is dict else error if type(error) is str else None
        if message is None and type(result) is dict:
            content = result.get("content")
            message = content if type(content) is str else json.dumps(content)[:ERROR_MAX_CHARS] if content else None
        call[ERROR] = clip(str(message), ERROR_MAX_CHARS) if message else None


def _change_paths(changes: Any) -> list[str]:
    if type(changes) is dict:
        return [str(p) for p in changes]
    if type(changes) is list:
        return [str(c["path"]) for c in changes if type(c) is dict and "path" in c]
    return []


def _body(text: str) -> str:
    """A command output without Codex's header (`Chunk ID`, `Wall time`, `Process exited …`, `Output:`)."""
    at = text.find("Output:\n")
    if 0 <= at < 400:
        body = text[at + 8:].strip()
        if body:
            return body
        exit_line = next((line for line in text[:at].splitlines() if line.startswith("Process exited")), None)
        if exit_line:
            return exit_line
    return text.strip()


def _exit_code(text: str) -> int | None:
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
