"""OpenTelemetry GenAI spans as OTLP JSON lines (`{"resourceSpans": [...]}` a line).

Spans are grouped by trace id into sessions (within one file). Ids may be hex or base64, enums ints
or names (`2` / `"STATUS_CODE_ERROR"`), times unix nanoseconds as strings or ints.

- tool calls: `execute_tool` spans (`gen_ai.operation.name` or a span name starting with it); the
  tool is `gen_ai.tool.name`, args the JSON of `gen_ai.tool.call.arguments`; a call failed when its
  status is ERROR or it has `error.type`.
- skills: `gen_ai.skill.name` on any span (version from `gen_ai.skill.version`), and
  `execute_tool Skill` arguments `{"skill": ...}` — both `invoked`.
- outcome: the root `invoke_agent` span failed (ERROR / `error.type`) = failure, else success; with
  no agent span, a failed root span = failure, else unknown.
- turns: model-call spans (`chat`, `text_completion`, `generate_content`); final_message: the last
  assistant text in `gen_ai.output.messages`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from skillgit.traces.lines import (
    ERROR_MAX_CHARS,
    ReadReport,
    clip,
    clip_args,
    from_unix_nanos,
    iter_json,
    loads_object,
    split_skill,
    tool_call,
)
from skillgit.traces.session import Learning, Session, SkillUse, ToolCall

_MODEL_OPS = frozenset({"chat", "text_completion", "generate_content"})
_META = (("gen_ai.conversation.id", "conversation_id"), ("gen_ai.agent.name", "agent_name"),
         ("gen_ai.request.model", "model"), ("gen_ai.provider.name", "provider"))
_META_KEYS = dict(_META)
WANTED = frozenset({
    "gen_ai.operation.name", "gen_ai.tool.name", "gen_ai.tool.call.arguments", "error.type", "gen_ai.skill.name",
    "gen_ai.skill.version", "gen_ai.output.messages", *(attr for attr, _ in _META),
})
_SERVICE = frozenset({"service.name"})
_VALUE_KEYS = ("stringValue", "intValue", "boolValue", "doubleValue", "arrayValue", "kvlistValue", "bytesValue")


class OtlpAdapter:
    name = "otlp"

    def sniff(self, path: Path, head: bytes) -> bool:
        return b'"resourceSpans"' in head

    def read(self, path: Path, report: ReadReport) -> Iterator[Session | Learning]:
        traces: dict[str, list[_Span]] = {}
        first_line: dict[str, int] = {}
        service: dict[str, Any] = {}
        ids: dict[Any, str] = {}
        for number, obj in iter_json(path, report):
            try:
                spans = _spans(obj, ids)
            except (TypeError, AttributeError, ValueError, KeyError) as exc:
                report.skip(path, number, "wrong-type", str(exc) or type(exc).__name__)
                continue
            for span, name in spans:
                key = span.trace_id or f"{path.name}:{number}"
                group = traces.get(key)
                if group is None:
                    group = traces[key] = []
                    first_line[key] = number
                    service[key] = name
                group.append(span)
        for key, group in traces.items():
            yield _session(key, group, f"{path}:{first_line[key]}", service[key])


ADAPTER = OtlpAdapter()


class _Span:
    __slots__ = ("attrs", "end", "failed", "message", "name", "op", "parent", "span_id", "start", "trace_id")

    def __init__(self, raw: dict[str, Any], ids: dict[Any, str]) -> None:
        get = raw.get
        trace = get("traceId")
        known = ids.get(trace)
        self.trace_id = known if known is not None else ids.setdefault(trace, norm_id(trace))
        self.span_id = get("spanId") or ""
        self.parent = get("parentSpanId") or ""
        name = get("name", "")
        if type(name) is not str:
            raise TypeError("span `name` must be a string")
        self.name = name
        start, end = get("startTimeUnixNano"), get("endTimeUnixNano")
        self.start = start if type(start) is int else _nanos(start)
        self.end = end if type(end) is int else _nanos(end)
        self.attrs = attrs = attributes(get("attributes"), WANTED)
        status = get("status") or {}
        if type(status) is not dict:
            raise TypeError("span `status` must be an object")
        code = status.get("code")
        self.failed = code == 2 or "error.type" in attrs or (code is not None and _is_error(code))
        message = status.get("message")
        self.message = message if type(message) is str and message else None
        op = attrs.get("gen_ai.operation.name")
        self.op = op if type(op) is str else name.split(" ", 1)[0]


def _spans(obj: dict[str, Any], ids: dict[Any, str]) -> list[tuple[_Span, Any]]:
    resource_spans = obj.get("resourceSpans")
    if type(resource_spans) is not list:
        raise TypeError("`resourceSpans` must be a list")
    out = []
    for rs in resource_spans:
        service = attributes((rs.get("resource") or {}).get("attributes"), _SERVICE).get("service.name")
        for scope in rs.get("scopeSpans") or rs.get("instrumentationLibrarySpans") or []:
            for raw in scope.get("spans") or []:
                if type(raw) is not dict:
                    raise TypeError("a span must be an object")
                out.append((_Span(raw, ids), service))
    return out


def _session(key: str, spans: list[_Span], origin: str, service: Any) -> Session:
    spans.sort(key=lambda s: s.start)
    ids = {s.span_id for s in spans if s.span_id}
    roots = [s for s in spans if not s.parent or s.parent not in ids]
    agents = [s for s in roots if s.op == "invoke_agent"] or [s for s in spans if s.op == "invoke_agent"]
    calls: list[ToolCall] = []
    skills: list[SkillUse] = []
    turns = 0
    outputs: list[Any] = []
    meta: dict[str, Any] = {"trace_id": key}
    for span in spans:
        attrs = span.attrs
        op = span.op
        if op == "execute_tool":
            calls.append(_tool_call(span, skills))
        elif op in _MODEL_OPS:
            turns += 1
        if "gen_ai.skill.name" in attrs:
            _skill(skills, attrs["gen_ai.skill.name"], attrs.get("gen_ai.skill.version"))
        if "gen_ai.output.messages" in attrs:
            outputs.append(attrs["gen_ai.output.messages"])
        for attr in attrs.keys() & _META_KEYS:  # usually empty: a set operation, not four lookups
            meta.setdefault(_META_KEYS[attr], attrs[attr])
    if type(service) is str:
        meta["service_name"] = service
    final = None
    for raw in reversed(outputs):  # the last assistant text; parse only as far back as needed
        final = _output_text(raw)
        if final is not None:
            break
    if agents:
        outcome: str | None = "failure" if agents[0].failed else "success"
    else:
        outcome = "failure" if any(s.failed for s in roots) else None
    starts = [s.start for s in spans if s.start > 0]
    ends = [s.end for s in spans if s.end > 0]
    return Session(
        id=key,
        source="otlp",
        origin=origin,
        started=from_unix_nanos(min(starts)) if starts else None,
        ended=from_unix_nanos(max(ends)) if ends else None,
        outcome=outcome,  # type: ignore[arg-type]
        tool_calls=tuple(calls),
        skills=tuple(skills),
        final_message=final,
        turns=turns,
        meta=meta,
    )


def _tool_call(span: _Span, skills: list[SkillUse]) -> ToolCall:
    attrs = span.attrs
    name = attrs.get("gen_ai.tool.name")
    if type(name) is not str or not name:
        name = span.name.removeprefix("execute_tool ")
    raw = attrs.get("gen_ai.tool.call.arguments")
    args: dict[str, Any] = {}
    if type(raw) is dict:
        args = raw
    elif type(raw) is str and raw:
        try:
            parsed = loads_object(raw)
        except (ValueError, RecursionError):
            parsed = None
        args = parsed if type(parsed) is dict else {"arguments": raw}
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


def _skill(skills: list[SkillUse], ref: Any, version: Any) -> None:
    if type(ref) is not str or not ref.strip():
        return
    name, full = split_skill(ref)
    use = SkillUse(name=name, how="invoked", version=version if type(version) is str and version else None, full_name=full)
    if use not in skills:
        skills.append(use)


def _output_text(value: Any) -> str | None:
    if type(value) is str:
        try:
            value = json.loads(value)
        except ValueError:
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
    """A trace/span id as lowercase hex, whether written as hex or base64; '' when absent."""
    if value is None or value == "":
        return ""
    if type(value) is not str:
        raise TypeError("trace and span ids must be strings")
    if len(value) in (16, 32):
        try:
            bytes.fromhex(value)
            return value.lower()
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
