"""OpenTelemetry traces and events as their tools write them.

Containers (one file holds one of them; JSON lines or pretty-printed JSON documents, one or many):

- OTLP export requests `{"resourceSpans": [...]}` (the collector's file exporter, the proto example)
  and `{"resourceLogs": [...]}` (Claude Code's OTel events);
- Tempo's trace-by-id export `{"batches": [...]}` (and `{"trace": {"resourceSpans": ...}}`);
- Jaeger's export `{"data": [{"traceID", "spans", "processes"}]}`;
- bare span objects, one a line: the JS SDK / GitHub Copilot CLI file exporter
  (`{"type": "span", "traceId", "startTime": [s, ns], "attributes": {...}}`) and Python's
  `ConsoleSpanExporter` (`{"name", "context": {"trace_id": "0x…"}, "start_time": "…"}`).

Ids may be hex (`0x`-prefixed or not) or base64, enums ints or names, times unix nanoseconds
(strings or ints), `[seconds, nanos]` pairs, microseconds (Jaeger) or ISO text.

Sessions: spans are grouped by trace; traces sharing a `gen_ai.conversation.id` (else `session.id`)
are one session whose id is that conversation id; a trace without one is a session of its own (id
= the trace id). Spans without a trace id are one session per line (`<file>:<line>`). Log events
are grouped by `session.id`.

- tool calls: `execute_tool` spans (`gen_ai.operation.name` or a span name starting with it); the
  tool is `gen_ai.tool.name`, args the JSON of `gen_ai.tool.call.arguments`; a call failed when its
  status is ERROR or it has `error.type`. Claude Code `tool_result` events are tool calls of a
  session that has no `execute_tool` spans.
- skills: `gen_ai.skill.name` (+ `gen_ai.skill.version`) on any span or span event,
  `claude_code.skill_activated` events (span events or log events, `skill.name`), `execute_tool
  Skill` arguments `{"skill": ...}` — all `invoked`. Claude Code's redaction placeholder
  `custom_skill` is not a skill name (counted in `meta.redacted_skills`).
- outcome: see `skillgit.evidence.adapters.outcome`; the last trace's root `invoke_agent` span is the
  completion record (failed = failure); the final message's verdict can overrule a plain completion.
- turns: model-call spans (`chat`, `text_completion`, `generate_content`) or `api_request` events;
  final_message: the last assistant text in `gen_ai.output.messages`.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Any

from skillgit.evidence.adapters.lines import (
    ERROR_MAX_CHARS,
    Batch,
    LineAdapter,
    ReadReport,
    clip,
    clip_args,
    from_unix_nanos,
    loads_mended,
    loads_object,
    parse_time,
    split_skill,
    tool_call,
)
from skillgit.evidence.adapters.outcome import Signals
from skillgit.evidence.session import Learning, Session, SkillUse, ToolCall

_MODEL_OPS = frozenset({"chat", "text_completion", "generate_content"})
_META = (("gen_ai.conversation.id", "conversation_id"), ("gen_ai.agent.name", "agent_name"),
         ("gen_ai.request.model", "model"), ("gen_ai.provider.name", "provider"))
_META_KEYS = dict(_META)
_CONVERSATION = ("gen_ai.conversation.id", "session.id")
_SKILL_NAMES = ("gen_ai.skill.name", "skill.name")
_SKILL_VERSIONS = ("gen_ai.skill.version", "skill.version")
_SKILL_KEYS = frozenset(_SKILL_NAMES)
WANTED = frozenset({
    "gen_ai.operation.name", "gen_ai.tool.name", "gen_ai.tool.call.arguments", "error.type", "gen_ai.output.messages",
    "session.id", *_SKILL_NAMES, *_SKILL_VERSIONS, *(attr for attr, _ in _META),
})
_EVENT_WANTED = frozenset({*_SKILL_NAMES, *_SKILL_VERSIONS, "skill_name", "name"})
_LOG_WANTED = frozenset({
    "event.name", "session.id", "gen_ai.conversation.id", *_SKILL_NAMES, *_SKILL_VERSIONS, "tool_name", "success",
    "duration_ms", "error", "tool_parameters", "tool_input", "model", "invocation_trigger",
})
_SERVICE = frozenset({"service.name"})
_VALUE_KEYS = ("stringValue", "intValue", "boolValue", "doubleValue", "arrayValue", "kvlistValue", "bytesValue")
_SKILL_EVENTS = ("skill_activated", "skill_invoked")
REDACTED_SKILL = "custom_skill"
"""What Claude Code writes as `skill.name` of a user or plugin skill unless OTEL_LOG_TOOL_DETAILS=1."""
_SPAN_KEYS = ("traceId", "spanContext", "context", "traceID")
_IGNORED_TYPES = frozenset({"metric", "log", "logs", "metrics", "event"})


class OtlpAdapter(LineAdapter):
    name = "otlp"

    def sniff(self, path: Path, head: bytes) -> bool:
        if b'"resourceSpans"' in head or b'"resourceLogs"' in head:
            return True
        if b'"batches"' in head and (b'"scopeSpans"' in head or b'"instrumentationLibrarySpans"' in head):
            return True
        if b'"traceID"' in head and b'"spanID"' in head and b'"operationName"' in head:
            return True
        if b'"traceId"' in head and b'"spanId"' in head and b'"name"' in head:
            return not (b'"sessionId"' in head or b'"parentUuid"' in head)
        return b'"context"' in head and b'"trace_id"' in head and b'"span_id"' in head

    def reader(self, path: Path) -> _Builder:
        return _Builder(path)


ADAPTER = OtlpAdapter()


class _Span:
    __slots__ = ("attrs", "end", "events", "failed", "line", "message", "name", "op", "parent", "service", "span_id",
                 "start", "trace_id")

    trace_id: str
    span_id: str
    parent: str
    name: str
    start: int
    end: int
    attrs: dict[str, Any]
    failed: bool
    message: str | None
    op: str
    events: list[tuple[int, dict[str, Any]]]
    line: int
    service: Any

    def finish(self, status_failed: bool, message: Any, line: int, service: Any) -> _Span:
        attrs = self.attrs
        self.failed = status_failed or "error.type" in attrs
        self.message = message if type(message) is str and message else None
        op = attrs.get("gen_ai.operation.name")
        self.op = op if type(op) is str else self.name.split(" ", 1)[0]
        self.line = line
        self.service = service
        return self


def _otlp_span(raw: dict[str, Any], ids: dict[Any, str], line: int, service: Any) -> _Span:
    """A span of an OTLP JSON export (`resourceSpans` / Tempo `batches`)."""
    get = raw.get
    span = _Span()
    trace = get("traceId")
    known = ids.get(trace)
    span.trace_id = known if known is not None else ids.setdefault(trace, norm_id(trace))
    span.span_id = get("spanId") or ""
    span.parent = get("parentSpanId") or ""
    name = get("name", "")
    if type(name) is not str:
        raise TypeError("span `name` must be a string")
    span.name = name
    start, end = get("startTimeUnixNano"), get("endTimeUnixNano")
    span.start = start if type(start) is int else _nanos(start)
    span.end = end if type(end) is int else _nanos(end)
    span.attrs = attributes(get("attributes"), WANTED)
    events = get("events")
    span.events = _otlp_events(events) if events else []
    status = get("status") or {}
    if type(status) is not dict:
        raise TypeError("span `status` must be an object")
    code = status.get("code")
    return span.finish(code == 2 or (code is not None and _is_error(code)), status.get("message"), line, service)


def _otlp_events(events: Any) -> list[tuple[int, dict[str, Any]]]:
    if type(events) is not list:
        raise TypeError("span `events` must be a list")
    out = []
    for event in events:
        if type(event) is dict and _is_skill_event(event.get("name")):
            out.append((_nanos(event.get("timeUnixNano")), attributes(event.get("attributes"), _EVENT_WANTED)))
    return out


def _bare_span(raw: dict[str, Any], ids: dict[Any, str], line: int) -> _Span:
    """One span object as the JS SDK / Copilot CLI or Python's ConsoleSpanExporter writes it."""
    get = raw.get
    span = _Span()
    context = get("spanContext") or get("context") or {}
    if type(context) is not dict:
        raise TypeError("span `context` must be an object")
    trace = get("traceId") or context.get("traceId") or context.get("trace_id")
    span.trace_id = ids.get(trace) or ids.setdefault(trace, norm_id(trace))
    span.span_id = norm_id(get("spanId") or context.get("spanId") or context.get("span_id"))
    parent = get("parentSpanContext")
    parent_id = parent.get("spanId") if type(parent) is dict else (get("parentSpanId") or get("parentId") or get("parent_id"))
    span.parent = norm_id(parent_id)
    name = get("name", "")
    if type(name) is not str:
        raise TypeError("span `name` must be a string")
    span.name = name
    span.start = _any_nanos(get("startTime", get("start_time", get("timestamp"))))
    end = get("endTime", get("end_time"))
    duration = get("duration")
    if end is None and isinstance(duration, (int, float)) and span.start:
        span.end = span.start + int(duration * 1000)  # the JS console exporter: microseconds
    else:
        span.end = _any_nanos(end)
    span.attrs = plain_attributes(get("attributes"), WANTED)
    span.events = []
    for event in get("events") or []:
        if type(event) is dict and _is_skill_event(event.get("name")):
            stamp = event.get("time", event.get("timestamp"))
            span.events.append((_any_nanos(stamp), plain_attributes(event.get("attributes"), _EVENT_WANTED)))
    status = get("status") or {}
    if type(status) is not dict:
        raise TypeError("span `status` must be an object")
    code = status.get("code", status.get("status_code"))
    message = status.get("message", status.get("description"))
    resource = get("resource")
    service = None
    if type(resource) is dict:
        service = plain_attributes(resource.get("attributes"), _SERVICE).get("service.name")
    return span.finish(code is not None and _is_error(code), message, line, service)


def _jaeger_span(raw: dict[str, Any], processes: dict[str, Any], line: int) -> _Span:
    get = raw.get
    span = _Span()
    span.trace_id = norm_id(get("traceID"))
    span.span_id = norm_id(get("spanID"))
    parent = ""
    for ref in get("references") or []:
        if type(ref) is dict and ref.get("refType") == "CHILD_OF":
            parent = norm_id(ref.get("spanID"))
    span.parent = parent
    name = get("operationName", "")
    if type(name) is not str:
        raise TypeError("span `operationName` must be a string")
    span.name = name
    start, duration = get("startTime"), get("duration")
    span.start = int(start) * 1000 if isinstance(start, (int, float)) else 0
    span.end = span.start + int(duration) * 1000 if span.start and isinstance(duration, (int, float)) else 0
    tags = {t.get("key"): t.get("value") for t in get("tags") or [] if type(t) is dict}
    span.attrs = {k: v for k, v in tags.items() if k in WANTED}
    span.events = []
    for log in get("logs") or []:
        if type(log) is not dict:
            continue
        fields = {f.get("key"): f.get("value") for f in log.get("fields") or [] if type(f) is dict}
        if _is_skill_event(fields.get("event")):
            span.events.append((_any_nanos(log.get("timestamp")), {k: v for k, v in fields.items() if k in _EVENT_WANTED}))
    failed = tags.get("error") in (True, "true") or str(tags.get("otel.status_code", "")).upper() == "ERROR"
    pid = get("processID")
    process = processes.get(pid) if isinstance(pid, str) else None
    service = process.get("serviceName") if type(process) is dict else None
    return span.finish(failed, tags.get("otel.status_description"), line, service)


class _Log:
    """One log record (an event such as Claude Code's `claude_code.tool_result`)."""

    __slots__ = ("attrs", "event", "line", "time")

    def __init__(self, event: str, attrs: dict[str, Any], time: int, line: int) -> None:
        self.event, self.attrs, self.time, self.line = event, attrs, time, line


class _Builder:
    """Collects the spans and log events of one file, then cuts them into sessions. A flush gives the
    sessions that got a span or an event since the last one (`dirty`: their trace and log keys).

    Its kept state is only the keys it saw (traces, log sessions, conversations), not the spans: a file
    that grew by new traces is read on from there, its new sessions added to the stored ones; a trace,
    conversation or log session that goes on across the cut needs them all, so the file is read again
    whole (`Batch.restart`)."""

    documents = True
    tail_safe = False
    """Its kept keys cannot leave out a last line still being written: such a file is read whole next time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.traces: dict[str, list[_Span]] = {}
        self.logs: dict[str, list[_Log]] = {}
        self.ids: dict[Any, str] = {}
        self.dirty: set[str] = set()
        self.dirty_logs: set[str] = set()
        self.known: set[str] | None = None
        """The keys read before this state was kept (None: reading from the start)."""

    def __getstate__(self) -> dict[str, Any]:
        known = set(self.known or ()) | self.traces.keys() | self.logs.keys()
        known.update(key for key, _traces in self._groups().items())
        return {"path": self.path, "traces": {}, "logs": {}, "ids": {}, "dirty": set(), "dirty_logs": set(), "known": known}

    def add(self, line: int, value: Any) -> None:
        if type(value) is list:
            for item in value:
                self._object(item, line)
        else:
            self._object(value, line)

    def _object(self, obj: Any, line: int) -> None:
        if type(obj) is not dict:
            raise TypeError(f"a JSON {type(obj).__name__}, not an OTLP export or span object")
        if "resourceSpans" in obj:
            self._resource_spans(obj["resourceSpans"], "resourceSpans", line)
        elif "batches" in obj:
            self._resource_spans(obj["batches"], "batches", line)
        elif "resourceLogs" in obj:
            self._resource_logs(obj["resourceLogs"], line)
        elif type(obj.get("trace")) is dict:
            self._object(obj["trace"], line)
        elif "data" in obj and type(obj["data"]) is list:
            for trace in obj["data"]:
                self._jaeger(trace, line)
        elif any(key in obj for key in _SPAN_KEYS) and "name" in obj or "spanID" in obj:
            if "spanID" in obj:
                self._jaeger({"spans": [obj], "processes": {}}, line)
            else:
                self._put(_bare_span(obj, self.ids, line), line)
        elif obj.get("type") in _IGNORED_TYPES:
            return  # a metric or log record of a mixed span file (the Copilot CLI writes them together)
        else:
            keys = ", ".join(sorted(obj)[:5]) or "none"
            raise TypeError(f"not an OTLP export, Tempo/Jaeger trace or span object (keys: {keys})")

    def _put(self, span: _Span, line: int) -> None:
        key = span.trace_id or f"{self.path.name}:{line}"
        self.dirty.add(key)
        group = self.traces.get(key)
        if group is None:
            self.traces[key] = [span]
        else:
            group.append(span)

    def _resource_spans(self, resource_spans: Any, key: str, line: int) -> None:
        if type(resource_spans) is not list:
            raise TypeError(f"`{key}` must be a list")
        for rs in resource_spans:
            if type(rs) is not dict:
                raise TypeError(f"`{key}` items must be objects")
            service = attributes((rs.get("resource") or {}).get("attributes"), _SERVICE).get("service.name")
            for scope in rs.get("scopeSpans") or rs.get("instrumentationLibrarySpans") or []:
                for raw in scope.get("spans") or []:
                    if type(raw) is not dict:
                        raise TypeError("a span must be an object")
                    self._put(_otlp_span(raw, self.ids, line, service), line)

    def _jaeger(self, trace: Any, line: int) -> None:
        if type(trace) is not dict or type(trace.get("spans")) is not list:
            raise TypeError("a Jaeger trace needs a `spans` list")
        found = trace.get("processes")
        processes: dict[str, Any] = found if isinstance(found, dict) else {}
        for raw in trace["spans"]:
            if type(raw) is not dict:
                raise TypeError("a span must be an object")
            self._put(_jaeger_span(raw, processes, line), line)

    def _resource_logs(self, resource_logs: Any, line: int) -> None:
        if type(resource_logs) is not list:
            raise TypeError("`resourceLogs` must be a list")
        for rl in resource_logs:
            if type(rl) is not dict:
                raise TypeError("`resourceLogs` items must be objects")
            for scope in rl.get("scopeLogs") or rl.get("instrumentationLibraryLogs") or []:
                for record in scope.get("logRecords") or []:
                    if type(record) is not dict:
                        raise TypeError("a log record must be an object")
                    attrs = attributes(record.get("attributes"), _LOG_WANTED)
                    event = attrs.get("event.name") or record.get("eventName") or any_value(record.get("body"))
                    if type(event) is not str:
                        continue
                    event = event.rsplit(".", 1)[-1] if event.startswith(("claude_code.", "copilot")) else event
                    key = str(attrs.get("session.id") or attrs.get("gen_ai.conversation.id") or self.path.name)
                    stamp = _nanos(record.get("timeUnixNano")) or _nanos(record.get("observedTimeUnixNano"))
                    self.logs.setdefault(key, []).append(_Log(event, attrs, stamp, line))
                    self.dirty_logs.add(key)

    def _groups(self) -> dict[str, list[tuple[str, list[_Span]]]]:
        """The sessions: (trace key, spans) by conversation (else trace) id, and the log sessions."""
        groups: dict[str, list[tuple[str, list[_Span]]]] = {}
        for key, spans in self.traces.items():
            conversation = next((s.attrs[k] for s in spans for k in _CONVERSATION if type(s.attrs.get(k)) is str), None)
            groups.setdefault(conversation or key, []).append((key, spans))
        for key in self.logs:
            groups.setdefault(key, [])
        return groups

    def flush(self, report: ReadReport) -> Batch:
        """The sessions with new spans or events since the last flush; the others stand."""
        groups = self._groups()
        touched = set(self.dirty_logs)
        for key, traces in groups.items():
            if any(trace in self.dirty for trace, _ in traces):
                touched.add(key)
        self.dirty, self.dirty_logs = set(), set()
        if self.known is not None and (self.known & groups.keys() or self.known & self.traces.keys()):
            return Batch([], restart=True)  # a session that goes on across the cut: read the file again whole
        out: list[Session | Learning] = []
        for key, traces in groups.items():
            if key in touched:
                out.append(_session(key, [spans for _, spans in traces], self.logs.get(key, []), self.path))
        if self.known is not None:
            return Batch(out)  # read on: new sessions, the stored ones stand
        return Batch(out, frozenset(groups.keys() - touched))


def _session(key: str, traces: list[list[_Span]], logs: list[_Log], path: Path) -> Session:
    spans = sorted((s for spans in traces for s in spans), key=lambda s: s.start)
    calls: list[ToolCall] = []
    skills: list[SkillUse] = []
    turns = 0
    outputs: list[Any] = []
    meta: dict[str, Any] = {}
    redacted = 0
    for span in spans:
        attrs = span.attrs
        op = span.op
        if op == "execute_tool":
            calls.append(_tool_call(span, skills))
        elif op in _MODEL_OPS:
            turns += 1
        if attrs.keys() & _SKILL_KEYS:
            redacted += _skill(skills, _first(attrs, _SKILL_NAMES), _first(attrs, _SKILL_VERSIONS))
        for _, event in span.events:
            redacted += _skill(skills, _first(event, (*_SKILL_NAMES, "skill_name", "name")), _first(event, _SKILL_VERSIONS))
        if "gen_ai.output.messages" in attrs:
            outputs.append(attrs["gen_ai.output.messages"])
        if attrs.keys() & _META_KEYS:  # usually empty: a set operation, not four lookups
            for attr, name in _META:  # in this order, so that the same trace gives the same meta in any process
                if attr in attrs:
                    meta.setdefault(name, attrs[attr])
    log_calls: list[ToolCall] = []
    starts = [s.start for s in spans if s.start > 0]
    ends = [s.end for s in spans if s.end > 0]
    for log in logs:
        if log.time:
            starts.append(log.time)
            ends.append(log.time)
        if log.event in _SKILL_EVENTS:
            redacted += _skill(skills, _first(log.attrs, (*_SKILL_NAMES, "skill_name")), _first(log.attrs, _SKILL_VERSIONS))
        elif log.event == "tool_result":
            log_calls.append(_log_call(log))
        elif log.event == "api_request":
            turns += 1
            if type(log.attrs.get("model")) is str:
                meta.setdefault("model", log.attrs["model"])
    if not calls:
        calls = log_calls
    trace_ids = [t[0].trace_id for t in traces if t and t[0].trace_id]
    if trace_ids:
        meta["trace_id"] = trace_ids[0]
        if len(trace_ids) > 1:
            meta["trace_ids"] = trace_ids
    if logs and key != path.name:
        meta.setdefault("conversation_id", key)
    service = next((s.service for s in spans if type(s.service) is str), None)
    if service is not None:
        meta["service_name"] = service
    if redacted:
        meta["redacted_skills"] = redacted
    final = None
    for raw in reversed(outputs):  # the last assistant text; parse only as far back as needed
        final = _output_text(raw)
        if final is not None:
            break
    signals = Signals()
    for spans_of_trace in sorted(traces, key=lambda t: min((s.start for s in t), default=0)):
        _trace_signal(spans_of_trace, signals)
    first = min((s for t in traces for s in t), key=lambda s: s.line, default=None)
    line = first.line if first is not None else min((x.line for x in logs), default=1)
    return Session(
        id=key,
        source="otlp",
        origin=f"{path}:{line}",
        started=from_unix_nanos(min(starts)) if starts else None,
        ended=from_unix_nanos(max(ends)) if ends else None,
        outcome=signals.outcome(final, calls),
        tool_calls=tuple(calls),
        skills=tuple(skills),
        final_message=final,
        turns=turns,
        meta=meta,
    )


def _trace_signal(spans: list[_Span], signals: Signals) -> None:
    """The completion record of one trace: its root `invoke_agent` span (else a failed root span)."""
    ids = {s.span_id for s in spans if s.span_id}
    roots = [s for s in spans if not s.parent or s.parent not in ids]
    agents = [s for s in roots if s.op == "invoke_agent"] or [s for s in spans if s.op == "invoke_agent"]
    if agents:
        signals.completed(not agents[0].failed)
    elif any(s.failed for s in roots):
        signals.completed(False)


def _first(attrs: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = attrs.get(key)
        if value is not None:
            return value
    return None


def _tool_call(span: _Span, skills: list[SkillUse]) -> ToolCall:
    attrs = span.attrs
    name = attrs.get("gen_ai.tool.name")
    if type(name) is not str or not name:
        name = span.name.removeprefix("execute_tool ")
    args = _arguments(attrs.get("gen_ai.tool.call.arguments"))
    if name.lower() == "skill" and type(args.get("skill")) is str:
        _skill(skills, args["skill"], args.get("skill_version") or args.get("skillVersion"))
    start, end = span.start, span.end
    error = span.message or attrs.get("error.type") if span.failed else None
    return tool_call(
        name=name,
        args=clip_args(args),
        ok=not span.failed,
        ts=from_unix_nanos(span.start),
        duration_ms=(end - start) // 1_000_000 if start and end >= start else None,
        error=clip(str(error), ERROR_MAX_CHARS) if error is not None else None,
    )


def _log_call(log: _Log) -> ToolCall:
    attrs = log.attrs
    name = attrs.get("tool_name")
    args = _arguments(attrs.get("tool_input") or attrs.get("tool_parameters"))
    if type(args.get("full_command")) is str and "command" not in args:
        args = {"command": args["full_command"], **args}  # Claude Code's Bash parameters
    success = attrs.get("success")
    ok = success if type(success) is bool else (success == "true" if success in ("true", "false") else None)
    duration = attrs.get("duration_ms")
    try:
        duration_ms = int(duration) if duration is not None else None
    except (TypeError, ValueError):
        duration_ms = None
    error = attrs.get("error")
    return tool_call(
        name=name if type(name) is str and name else "unknown",
        args=clip_args(args),
        ok=ok,
        ts=from_unix_nanos(log.time),
        duration_ms=duration_ms,
        error=clip(str(error), ERROR_MAX_CHARS) if ok is False and error is not None else None,
    )


def _arguments(raw: Any) -> dict[str, Any]:
    if type(raw) is dict:
        return raw
    if type(raw) is str and raw:
        try:
            parsed = loads_object(raw)
        except (ValueError, RecursionError):
            parsed = None
        return parsed if type(parsed) is dict else {"arguments": raw}
    return {}


def _skill(skills: list[SkillUse], ref: Any, version: Any) -> int:
    """Note a skill use; returns 1 when `ref` is Claude Code's redaction placeholder (not a name)."""
    if type(ref) is not str or not ref.strip():
        return 0
    if ref.strip() == REDACTED_SKILL:
        return 1
    name, full = split_skill(ref)
    use = SkillUse(name=name, how="invoked", version=version if type(version) is str and version else None, full_name=full)
    if use not in skills:
        skills.append(use)
    return 0


def _is_skill_event(name: Any) -> bool:
    return type(name) is str and name.endswith(_SKILL_EVENTS)


def _output_text(value: Any) -> str | None:
    if type(value) is str:
        try:
            value = loads_mended(value)
        except (ValueError, RecursionError):
            return None
    if type(value) is not list:
        return None
    text = None
    for message in value:
        if type(message) is dict and message.get("role") in ("assistant", None):
            for part in message.get("parts") or []:
                if type(part) is dict and part.get("type") == "text" and type(part.get("content")) is str:
                    text = part["content"]
    return text


def attributes(raw: Any, wanted: frozenset[str] | None = None) -> dict[str, Any]:
    """OTLP `[{key, value: {stringValue: ...}}]` as a plain dict (only the `wanted` keys, if given)."""
    if raw is None:
        return {}
    if type(raw) is not list:
        raise TypeError("`attributes` must be a list")
    out = {}
    for item in raw:
        key = item.get("key")
        if type(key) is str and (wanted is None or key in wanted):
            value = item.get("value")
            out[key] = value["stringValue"] if type(value) is dict and "stringValue" in value else any_value(value)
    return out


def plain_attributes(raw: Any, wanted: frozenset[str]) -> dict[str, Any]:
    """A plain `{key: value}` attribute object (SDK exporters), only the `wanted` keys."""
    if raw is None:
        return {}
    if type(raw) is list:
        return attributes(raw, wanted)
    if type(raw) is not dict:
        raise TypeError("`attributes` must be an object")
    return {k: v for k, v in raw.items() if k in wanted}


def any_value(value: Any) -> Any:
    if type(value) is not dict:
        return None
    for key in _VALUE_KEYS:
        if key in value:
            inner = value[key]
            if key == "intValue":
                return int(inner)
            if key == "arrayValue":
                return [any_value(v) for v in (inner or {}).get("values") or []]
            if key == "kvlistValue":
                return attributes((inner or {}).get("values"))
            return inner
    return None


def norm_id(value: Any) -> str:
    """A trace/span id as lowercase hex, whether written as hex (`0x`-prefixed or not) or base64; '' when absent."""
    if value is None or value == "":
        return ""
    if type(value) is not str:
        raise TypeError("trace and span ids must be strings")
    text = value[2:] if value.startswith(("0x", "0X")) else value
    if len(text) in (16, 32):
        try:
            bytes.fromhex(text)
            return text.lower()
        except ValueError:
            pass
    try:
        return base64.b64decode(value, validate=True).hex()
    except (binascii.Error, ValueError):
        return value


def _is_error(code: Any) -> bool:
    if code == 2:
        return True
    return type(code) is str and code.upper().endswith("ERROR")


def _nanos(value: Any) -> int:
    if type(value) is int:
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _any_nanos(value: Any) -> int:
    """Nanoseconds from `[seconds, nanos]`, a number in s/ms/µs/ns (by magnitude) or ISO text; 0 when unknown."""
    if type(value) is list and len(value) == 2 and all(type(v) in (int, float) for v in value):
        return int(value[0]) * 1_000_000_000 + int(value[1])
    if type(value) in (int, float):
        number = float(value)
        scale = 1 if number > 1e17 else 1_000 if number > 1e14 else 1_000_000 if number > 1e11 else 1_000_000_000
        return int(number * scale)
    if type(value) is str:
        if value.isdigit():
            return _any_nanos(int(value))
        when = parse_time(value)
        if when is not None:
            return int(when.timestamp()) * 1_000_000_000 + when.microsecond * 1000
    return 0
