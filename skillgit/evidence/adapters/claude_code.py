"""Claude Code transcripts: `~/.claude/projects/<project>/<session>.jsonl`, subagent files too.

One session per transcript file. Tool calls are the assistant's `tool_use` blocks, completed by the
user record's `tool_result` (`is_error: true` = a failed call; `Exit code N` in a failed Bash result
sets `exit_code`). Skill use: the `Skill` tool (`input.skill`), the older `SlashCommand` tool, and
`<command-name>/x</command-name>` in user messages (Claude Code's built-in commands excluded).

Outcome (`skillgit.evidence.adapters.outcome`): an API error message or `[Request interrupted by user…]` that the
agent did not work on after is a failure; else the final message's verdict, else the last test or
build run, else unknown (a transcript has no completion record; a tool result alone never decides).
`turns` counts assistant messages, `final_message` is the last assistant text.

`claude -p --output-format stream-json --verbose` output is read by the `claude-stream-json` adapter
with the same rules: its records are the transcript's `assistant`/`user` records without timestamps
(subagent records carry `parent_tool_use_id`), plus `system`/`init` (session id, cwd, model, version)
and the final `result` record — a completion record (`success`) or an explicit failure
(`error_max_turns`, `error_during_execution`, `is_error`).

Subagent transcripts (`<session>/subagents/*.jsonl`, or files whose records all have
`isSidechain: true`) become sessions `<parent>:<agentId>` with `meta.parent`; `fold_subagents`
merges them into their parent session when the parent is among the sessions loaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from skillgit.evidence.adapters.lines import (
    ERROR_MAX_CHARS,
    Batch,
    LineAdapter,
    ReadReport,
    clip,
    clip_args,
    duration_until,
    parse_time,
    split_skill,
    stamp_version,
    tool_call,
)
from skillgit.evidence.adapters.outcome import Signals, is_test_or_build
from skillgit.evidence.session import Session, SkillUse, ToolCall, merge_subagents

BUILTIN_COMMANDS = frozenset(
    [
        "add-dir", "agents", "bashes", "bug", "clear", "compact", "config", "context", "cost", "doctor", "exit",
        "export", "feedback", "help", "hooks", "ide", "init", "install-github-app", "login", "logout", "mcp",
        "memory", "migrate-installer", "model", "output-style", "permissions", "plugin", "pr-comments",
        "privacy-settings", "release-notes", "resume", "review", "rewind", "sandbox", "security-review",
        "status", "statusline", "terminal-setup", "todos", "upgrade", "usage", "vim",
    ]
)


class ClaudeCodeAdapter(LineAdapter):
    name = "claude-code"

    def sniff(self, path: Path, head: bytes) -> bool:
        return any(key in head for key in (b'"parentUuid"', b'"sessionId"', b'"isSidechain"', b'"leafUuid"'))

    def reader(self, path: Path) -> _Transcript:
        return _Transcript(path)


ADAPTER = ClaudeCodeAdapter()


class ClaudeStreamJsonAdapter(LineAdapter):
    """`claude -p --output-format stream-json --verbose`: what a runner gets back from Claude Code."""

    name = "claude-stream-json"

    def sniff(self, path: Path, head: bytes) -> bool:
        compact = head.replace(b" ", b"")
        if b'"type":"system"' in compact and b'"subtype":"init"' in compact and b'"session_id"' in compact:
            return True
        return b'"session_id"' in head and (b'"parent_tool_use_id"' in head or b'"num_turns"' in head)

    def reader(self, path: Path) -> _Transcript:
        return _Transcript(path, stream=True)


STREAM_JSON = ClaudeStreamJsonAdapter()


class _Transcript:
    """Running state while one transcript is read. Index 1 of each pair is the sidechain's."""

    documents = False

    def __init__(self, path: Path, stream: bool = False) -> None:
        self.path = path
        self.stream = stream
        self.records = 0
        self.main = 0
        self.calls: list[list[Any]] = []  # [name, args, ok, start, end, error, exit_code, index], from `dropped` on
        self.dropped = 0  # the calls before these are not kept (see `__getstate__`)
        self.clean = 0  # calls before this one were given by the last flush and have not changed since
        self.runs: list[list[Any]] = []  # `_test_runs`: the calls that run tests or builds that matter,
        self.ran = 0  # of the first `ran` calls
        self.by_id: dict[str, list[Any]] = {}
        self.done: dict[str, int] = {}  # the places of the calls not kept, by id
        self.changed: dict[int, list[Any]] = {}  # calls not kept that a result changed since the last flush
        self.skills: list[SkillUse] = []
        self.first: str | None = None
        self.last: str | None = None
        self.session_id: str | None = None
        self.agent_id: str | None = None
        self.meta: dict[str, Any] = {}
        self.turns = [0, 0]
        self.message_id: list[Any] = [None, None]
        self.text: list[str | None] = [None, None]
        self.signals = [Signals(), Signals()]
        self.result_text: str | None = None

    def add(self, number: int, rec: dict[str, Any]) -> None:
        kind = rec.get("type")
        if kind != "assistant" and kind != "user":
            if self.stream and kind in ("system", "result"):
                self._stream_record(kind, rec)
            return
        message = rec.get("message")
        if type(message) is not dict:
            raise TypeError("`message` must be an object")
        side = 1 if rec.get("isSidechain") is True or (self.stream and rec.get("parent_tool_use_id")) else 0
        self.records += 1
        self.main += side ^ 1
        ts = rec.get("timestamp")
        if type(ts) is str:
            if self.first is None or ts < self.first:
                self.first = ts
            if self.last is None or ts > self.last:
                self.last = ts
        else:
            ts = None
        if self.session_id is None:
            self._identify(rec)
        content = message.get("content")
        if kind == "assistant":
            self._assistant(rec, message, content, side, ts)
        elif type(content) is str:
            self._user_text(rec, content, side)
        elif type(content) is list:
            for block in content:
                btype = block.get("type")
                if btype == "tool_result":
                    self._result(block, side, ts)
                elif btype == "text" and type(block.get("text")) is str:
                    self._user_text(rec, block["text"], side)

    def _stream_record(self, kind: str, rec: dict[str, Any]) -> None:
        self.records += 1
        if self.session_id is None and type(rec.get("session_id")) is str:
            self.session_id = rec["session_id"]
        if kind == "system" and rec.get("subtype") == "init":
            for key, name in (("cwd", "cwd"), ("claude_code_version", "version"), ("model", "model"),
                              ("permissionMode", "permission_mode")):
                if type(rec.get(key)) is str:
                    self.meta[name] = rec[key]
        elif kind == "result":
            ok = rec.get("subtype") == "success" and rec.get("is_error") is not True
            self.signals[0].completed(ok)
            if type(rec.get("result")) is str:
                self.result_text = rec["result"]
            for key in ("num_turns", "duration_ms", "total_cost_usd"):
                if type(rec.get(key)) in (int, float):
                    self.meta[key] = rec[key]
            if not ok:
                self.meta["result"] = str(rec.get("subtype"))

    def _identify(self, rec: dict[str, Any]) -> None:
        sid = rec.get("sessionId") or (rec.get("session_id") if self.stream else None)
        if type(sid) is str and sid:
            self.session_id = sid
            for key, name in (("cwd", "cwd"), ("version", "version"), ("gitBranch", "git_branch")):
                if type(rec.get(key)) is str:
                    self.meta[name] = rec[key]
        if type(rec.get("agentId")) is str:
            self.agent_id = rec["agentId"]

    def _assistant(self, rec: dict[str, Any], message: dict[str, Any], content: Any, side: int, ts: str | None) -> None:
        mid = message.get("id")
        if mid is None or mid != self.message_id[side]:
            self.turns[side] += 1
            self.message_id[side] = mid
        if "model" not in self.meta and type(message.get("model")) is str:
            self.meta["model"] = message["model"]
        signals = self.signals[side]
        if rec.get("isApiErrorMessage") is True:
            signals.failed()
        else:
            signals.activity()
        if type(content) is str:
            self.text[side] = content
            return
        if type(content) is not list:
            return
        for block in content:
            btype = block.get("type")
            if btype == "text":
                if type(block.get("text")) is str:
                    self.text[side] = block["text"]
                    if rec.get("isApiErrorMessage") is not True:
                        signals.activity()
            elif btype == "tool_use":
                self._use(block, ts)

    def _use(self, block: dict[str, Any], ts: str | None) -> None:
        name, args = block.get("name"), block.get("input")
        if type(name) is not str:
            raise TypeError("tool_use `name` must be a string")
        args = clip_args(args) if type(args) is dict else {}
        call = [name, args, None, ts, None, None, None, self.dropped + len(self.calls)]
        self.calls.append(call)
        if type(block.get("id")) is str:
            self.by_id[block["id"]] = call
        if name == "Skill" and type(args.get("skill")) is str:
            self._skill(args["skill"], stamp_version(args))
        elif name == "SlashCommand" and type(args.get("command")) is str:
            self._skill(args["command"].split(" ", 1)[0], None)

    def _result(self, block: dict[str, Any], side: int, ts: str | None) -> None:
        key = block.get("tool_use_id")
        call = self.by_id.get(key)  # type: ignore[arg-type]
        if call is None and self.done and key in self.done:  # a call not kept: what changes of it is noted
            place = self.done[key]
            call = self.changed.get(place) or [None, None, None, None, None, SAME, SAME, place]
        if call is None:
            call = ["unknown", {}, None, ts, None, None, None, self.dropped + len(self.calls)]
            self.calls.append(call)
        else:
            call[4] = ts
            self.clean = min(self.clean, call[7])
            if call[7] < self.dropped:
                self.changed[call[7]] = call
        failed = block.get("is_error") is True
        call[2] = not failed
        if failed:
            text = _result_text(block.get("content"))
            call[5] = clip(text, ERROR_MAX_CHARS)
            if text.startswith("Exit code "):
                digits = text[10:].split(None, 1)[0] if len(text) > 10 else ""
                call[6] = int(digits) if digits.lstrip("-").isdigit() else None

    def _user_text(self, rec: dict[str, Any], text: str, side: int) -> None:
        if "<command-name>" in text and rec.get("isMeta") is not True:
            start = text.index("<command-name>") + len("<command-name>")
            end = text.find("</command-name>", start)
            self._skill(text[start : end if end >= 0 else len(text)], None)
        elif text.startswith("[Request interrupted"):
            self.signals[side].failed()

    def _skill(self, ref: str, version: str | None) -> None:
        name, full = split_skill(ref)
        if not name or (full is None and name in BUILTIN_COMMANDS):
            return
        use = SkillUse(name=name, how="invoked", version=version, full_name=full)
        if use not in self.skills:
            self.skills.append(use)

    def __getstate__(self) -> dict[str, Any]:
        """What reading on needs, whatever the transcript's length: the calls from the first one still waiting
        for its result on (a result changes the calls given from that one on), the test and build runs that
        decide the outcome (`_test_runs`), and the places of the calls not kept by id: a result for one of
        them again changes it where it is stored (`Batch.changed`)."""
        self._test_runs()  # the calls read so far looked at once, here, not again when the file is read on
        count = self.dropped + len(self.calls)
        first = min((call[7] for call in self.by_id.values() if call[2] is None), default=count)
        runs = {id(call) for call in self.runs}
        by_id = {key: call for key, call in self.by_id.items() if call[7] >= first or id(call) in runs}
        done = self.done
        if len(by_id) < len(self.by_id):
            done = {**done, **{key: call[7] for key, call in self.by_id.items() if key not in by_id}}
        return {**self.__dict__, "clean": count, "changed": {},  # the flush that follows gives every call
                "calls": self.calls[first - self.dropped :], "dropped": first, "by_id": by_id, "done": done}

    def __setstate__(self, state: dict[str, Any]) -> None:
        if "dropped" not in state:  # kept before only some calls were: every call, `runs` by place or none
            calls = state["calls"]
            runs = state.get("runs")
            state = {**state, "dropped": 0, "done": {}, "changed": {},
                     "runs": [] if runs is None else [calls[i] for i in runs], "ran": 0 if runs is None else state["ran"]}
        self.__dict__.update(state)

    def _test_runs(self) -> list[ToolCall]:
        """The calls that run tests or builds (`outcome.is_test_or_build`, which looks at a call's arguments
        only) from the last of them with a result on: all `outcome.test_result` needs of the calls, whose
        results only ever go from none to one. They are kept (`runs`, of the first `ran` calls), so going
        on with the transcript looks at the new calls only."""
        calls, runs = self.calls, self.runs
        for raw in calls[self.ran - self.dropped :]:
            if is_test_or_build(tool_call(raw[0], raw[1], raw[2])):
                runs.append(raw)
        last = next((k for k in range(len(runs) - 1, -1, -1) if runs[k][2] is not None), 0)
        self.runs, self.ran = runs[last:], self.dropped + len(calls)
        return [tool_call(raw[0], raw[1], raw[2]) for raw in self.runs]

    def flush(self, report: ReadReport) -> Batch:
        """The transcript's one session as read so far, with the calls new or changed since the last flush
        (`Batch.kept`: the ones before stand)."""
        if not self.records:
            return Batch([], frozenset())
        kept, self.clean = max(self.clean, self.dropped), self.dropped + len(self.calls)
        session = self.session(kept)
        changed, self.changed = self.changed, {}
        return Batch([session], frozenset(), {session.id: kept} if kept else {},
                     changed={session.id: {i: (c[2], c[4], c[5], c[6]) for i, c in changed.items()}} if changed else {})

    def session(self, since: int = 0) -> Session:
        """The session, with the calls from `since` on (its outcome weighs all of them)."""
        thread = 0 if self.main or self.stream else 1
        sid = self.session_id or self.path.stem
        meta = dict(self.meta)
        sub = not self.stream and (thread == 1 or self.path.parent.name == "subagents")
        if sub:
            agent = self.agent_id or self.path.stem
            if self.session_id:
                meta["parent"] = self.session_id
            meta["agent_id"] = agent
            sid = f"{sid}:{agent}"
        elif self.session_id:
            meta["session_id"] = self.session_id
        assert since >= self.dropped, "the calls before `dropped` are not kept"
        calls = tuple(_call(c) for c in self.calls[since - self.dropped :])
        final = self.text[thread] if self.result_text is None else self.result_text
        if self.stream:
            meta["format"] = "stream-json"
        return Session(
            id=sid,
            source="claude-code",
            origin=f"{self.path}:1",
            started=parse_time(self.first),
            ended=parse_time(self.last),
            outcome=self.signals[thread].outcome(final, self._test_runs()),
            tool_calls=calls,
            skills=tuple(self.skills),
            final_message=final,
            turns=self.turns[thread],
            meta=meta,
        )


SAME: Any = ...
"""In `Batch.changed`: the call's error or exit code as stored."""


def _call(raw: list[Any]) -> ToolCall:
    name, args, ok, start, end, error, exit_code = raw[:7]
    started = parse_time(start)
    return tool_call(name, args, ok, started, duration_until(started, end), error, exit_code)


def _result_text(content: Any) -> str:
    if type(content) is str:
        return content
    if type(content) is list:
        parts: list[str] = [b["text"] for b in content if type(b) is dict and type(b.get("text")) is str]
        return "\n".join(parts)
    return ""


def fold_subagents(sessions: Iterable[Session]) -> list[Session]:
    """Sessions with each subagent transcript merged into its parent when the parent is present."""
    ordered = list(sessions)
    by_id = {s.id: i for i, s in enumerate(ordered) if s.source == "claude-code"}
    children: dict[int, list[Session]] = {}
    keep: list[bool] = [True] * len(ordered)
    for i, session in enumerate(ordered):
        parent = session.meta.get("parent") if session.source == "claude-code" else None
        if isinstance(parent, str) and parent in by_id and by_id[parent] != i:
            children.setdefault(by_id[parent], []).append(session)
            keep[i] = False
    out = []
    for i, session in enumerate(ordered):
        if keep[i]:
            out.append(merge_subagents(session, children[i]) if i in children else session)
    return out
