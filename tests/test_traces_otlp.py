"""OTLP JSON spans: the corpus lines, a complete trace with a failing execute_tool, lenient ids and enums."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS, CORPUS_FIX, needs

from skillgit.evidence.adapters.lines import ReadReport
from skillgit.evidence.adapters.otlp import ADAPTER, norm_id
from skillgit.evidence.session import Session, SkillUse

TRACES = CORPUS / "traces"
pytestmark = needs(TRACES.is_dir(), f"traces/ of {CORPUS_FIX}")
TRACE = "af409c77907f22bfb416aeca2e9c476b"


def corpus_line(name: str) -> dict[str, Any]:
    return json.loads((TRACES / name).read_text().splitlines()[0])  # type: ignore[no-any-return]


def read(path: Path) -> tuple[list[Session], ReadReport]:
    report = ReadReport()
    return [s for s in ADAPTER.read(path, report) if isinstance(s, Session)], report


def spans_of(line: dict[str, Any]) -> list[dict[str, Any]]:
    return line["resourceSpans"][0]["scopeSpans"][0]["spans"]  # type: ignore[no-any-return]


def attr(key: str, value: Any) -> dict[str, Any]:
    return {"key": key, "value": {"intValue": value} if isinstance(value, int) else {"stringValue": value}}


def complete_trace(tmp_path: Path, mutate: Any = None) -> Path:
    """The corpus trace plus a chat span with the final answer and a second, successful tool call."""
    line = corpus_line("otlp__genai-skill-tool-error.jsonl")
    spans = spans_of(line)
    spans.append({"traceId": TRACE, "spanId": "1111111111111111", "parentSpanId": "94bd42fc0c0c20ae", "name": "chat claude",
                  "startTimeUnixNano": "1795268585976230000", "endTimeUnixNano": "1795268585976240000",
                  "attributes": [attr("gen_ai.operation.name", "chat"), attr("gen_ai.output.messages", json.dumps(
                      [{"role": "assistant", "parts": [{"type": "text", "content": "No pdf skill here."}]}]))]})
    second = copy.deepcopy(spans[0])
    second.update(spanId="2222222222222222", name="execute_tool Read", startTimeUnixNano=1795268585976210000,
                  endTimeUnixNano=1795268585978210000, status={"code": "STATUS_CODE_OK"},
                  attributes=[attr("gen_ai.operation.name", "execute_tool"), attr("gen_ai.tool.name", "Read"),
                              attr("gen_ai.tool.call.arguments", '{"file_path": "skills/pdf/SKILL.md"}')])
    spans.append(second)
    if mutate:
        mutate(spans)
    path = tmp_path / "spans.jsonl"
    path.write_text(json.dumps(line) + "\n")
    return path


def test_the_corpus_trace_is_one_session_with_a_failed_skill_call() -> None:
    (session,), report = read(TRACES / "otlp__genai-skill-tool-error.jsonl")
    assert report.skipped == 0
    assert (session.id, session.source, session.meta["trace_id"]) == ("sess-1", "otlp", TRACE)
    (call,) = session.tool_calls
    assert (call.name, call.ok, call.error, call.args) == ("Skill", False, "skill not found", {"skill": "pdf"})
    assert session.skills == (SkillUse("pdf", "invoked"),)
    assert session.meta["conversation_id"] == "sess-1" and session.meta["service_name"] == "demo-agent"


def test_a_complete_trace_orders_tool_calls_and_finds_the_final_message(tmp_path: Path) -> None:
    (session,), _ = read(complete_trace(tmp_path))
    assert [(c.name, c.ok) for c in session.tool_calls] == [("Skill", False), ("Read", True)]
    assert session.tool_calls[1].duration_ms == 2
    assert session.final_message == "No pdf skill here."
    assert session.turns == 1
    assert session.outcome == "success"


def test_a_failed_invoke_agent_span_fails_the_session(tmp_path: Path) -> None:
    def fail_agent(spans: list[dict[str, Any]]) -> None:
        spans[1]["status"] = {"code": "STATUS_CODE_ERROR", "message": "budget exhausted"}

    (session,), _ = read(complete_trace(tmp_path, fail_agent))
    assert session.outcome == "failure"


def test_error_type_alone_marks_a_tool_call_failed(tmp_path: Path) -> None:
    def only_error_type(spans: list[dict[str, Any]]) -> None:
        spans[0]["status"] = {}

    (session,), _ = read(complete_trace(tmp_path, only_error_type))
    assert session.tool_calls[0].ok is False and session.tool_calls[0].error == "tool_error"


def test_base64_ids_and_integer_times_are_read_like_hex_ids_and_string_times(tmp_path: Path) -> None:
    def to_base64(spans: list[dict[str, Any]]) -> None:
        for span in spans:
            span["traceId"] = base64.b64encode(bytes.fromhex(span["traceId"])).decode()
            span["spanId"] = base64.b64encode(bytes.fromhex(span["spanId"])).decode()
            if span.get("parentSpanId"):
                span["parentSpanId"] = base64.b64encode(bytes.fromhex(span["parentSpanId"])).decode()
            span["startTimeUnixNano"] = int(span["startTimeUnixNano"])
            span["kind"] = "SPAN_KIND_INTERNAL"

    (hexed,), _ = read(complete_trace(tmp_path))
    (based,), _ = read(complete_trace(tmp_path, to_base64))
    assert based == hexed


def test_gen_ai_skill_attributes_are_an_invoked_skill_with_its_version(tmp_path: Path) -> None:
    def stamp(spans: list[dict[str, Any]]) -> None:
        spans[1]["attributes"] += [attr("gen_ai.skill.name", "acme:social"), attr("gen_ai.skill.version", "c" * 40)]

    (session,), _ = read(complete_trace(tmp_path, stamp))
    assert SkillUse("social", "invoked", "c" * 40, "acme:social") in session.skills


def test_traces_of_two_conversations_in_one_file_are_two_sessions(tmp_path: Path) -> None:
    first = corpus_line("otlp__genai-skill-tool-error.jsonl")
    other = copy.deepcopy(first)
    for span in spans_of(other):
        span["traceId"] = "0" * 31 + "1"
        for a in span["attributes"]:
            if a["key"] == "gen_ai.conversation.id":
                a["value"]["stringValue"] = "sess-2"
    path = tmp_path / "two.jsonl"
    path.write_text(json.dumps(first) + "\n" + json.dumps(other) + "\n")
    sessions, _ = read(path)
    assert [(s.id, s.meta["trace_id"]) for s in sessions] == [("sess-1", TRACE), ("sess-2", "0" * 31 + "1")]
    assert sessions[1].origin.endswith("two.jsonl:2")


def test_traces_sharing_a_conversation_id_are_one_session(tmp_path: Path) -> None:
    """Five traces (one per user turn) of one `gen_ai.conversation.id` are one session, not five."""
    lines = []
    for i in range(5):
        line = corpus_line("otlp__genai-skill-tool-error.jsonl")
        for span in spans_of(line):
            span["traceId"] = f"{i + 1:032x}"
            span["startTimeUnixNano"] = str(int(span["startTimeUnixNano"]) + i * 10**9)
            span["endTimeUnixNano"] = str(int(span["endTimeUnixNano"]) + i * 10**9)
        lines.append(json.dumps(line))
    bare = corpus_line("otlp__genai-skill-tool-error.jsonl")
    for span in spans_of(bare):
        span["traceId"] = "f" * 32
        span["attributes"] = [a for a in span["attributes"] if a["key"] != "gen_ai.conversation.id"]
    lines.append(json.dumps(bare))
    path = tmp_path / "turns.jsonl"
    path.write_text("\n".join(lines) + "\n")
    sessions, report = read(path)
    assert report.skipped == 0
    assert [s.id for s in sessions] == ["sess-1", "f" * 32]
    first = sessions[0]
    assert len(first.tool_calls) == 5 and first.meta["trace_ids"] == [f"{i + 1:032x}" for i in range(5)]
    assert first.ended is not None and first.started is not None and (first.ended - first.started).total_seconds() > 4


def test_the_spec_example_without_ids_is_a_failed_session_named_after_its_line() -> None:
    (session,), report = read(TRACES / "otlp__spec-example.jsonl")
    assert report.skipped == 0
    assert session.id == "otlp__spec-example.jsonl:1"
    assert session.outcome == "failure" and session.tool_calls == ()


def test_a_line_whose_spans_have_wrong_types_is_skipped(tmp_path: Path) -> None:
    good = corpus_line("otlp__genai-skill-tool-error.jsonl")
    bad = copy.deepcopy(good)
    spans_of(bad)[0]["attributes"] = "not a list"
    path = tmp_path / "mixed.jsonl"
    path.write_text(json.dumps({"resourceSpans": {"x": 1}}) + "\n" + json.dumps(bad) + "\n" + json.dumps(good) + "\n")
    (session,), report = read(path)
    assert report.counts == {"wrong-type": 2}
    assert [e.line for e in report.examples] == [1, 2]
    assert len(session.tool_calls) == 1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("AF409C77907F22BFB416AECA2E9C476B", TRACE), ("r0Ccd5B/Ir+0Fq7KLpxHaw==", TRACE), ("", ""), ("not-an-id", "not-an-id")],
)
def test_ids_are_normalized_to_lowercase_hex(raw: str, expected: str) -> None:
    assert norm_id(raw) == expected
