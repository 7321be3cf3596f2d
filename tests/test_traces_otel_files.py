"""OpenTelemetry files as their tools write them: every container, conversations, skill events, counts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from conftest import SAMPLES

from skillgit.evidence.adapters.lines import ReadReport
from skillgit.evidence.adapters.otlp import ADAPTER
from skillgit.evidence.adapters.registry import detect
from skillgit.evidence.session import Session, SkillUse

TRACES = SAMPLES / "traces"


def read(path: Path) -> tuple[list[Session], ReadReport]:
    report = ReadReport()
    return [s for s in ADAPTER.read(path, report) if isinstance(s, Session)], report


def detected(path: Path) -> str | None:
    adapter = detect(path, path.read_bytes()[:8192])
    return adapter.name if adapter else None


def test_the_pretty_printed_opentelemetry_proto_example_is_one_session() -> None:
    path = TRACES / "opentelemetry-proto" / "trace.json"
    assert detected(path) == "otlp"
    (session,), report = read(path)
    assert report.skipped == 0 and report.counts == {}
    assert session.id == "5b8efff798038103d269b633813fc60c"
    assert session.meta["service_name"] == "my.service"
    assert session.started == datetime(2018, 12, 13, 14, 51, tzinfo=UTC)
    assert (session.tool_calls, session.outcome) == ((), None)


def test_the_same_example_on_one_line_and_twice_in_one_file_reads_the_same(tmp_path: Path) -> None:
    doc = json.loads((TRACES / "opentelemetry-proto" / "trace.json").read_text())
    one_line = tmp_path / "one.jsonl"
    one_line.write_text(json.dumps(doc) + "\n")
    twice = tmp_path / "twice.json"
    twice.write_text(json.dumps(doc, indent=2) + "\n" + json.dumps(doc, indent=4) + "\n")
    (a,), ra = read(one_line)
    (b,), rb = read(twice)
    assert ra.skipped == rb.skipped == 0
    assert (a.id, a.started, a.ended) == (b.id, b.started, b.ended)
    assert b.origin.endswith("twice.json:1")


def test_a_copilot_cli_span_file_is_one_session_per_conversation() -> None:
    path = TRACES / "copilot-cli-spans.jsonl"
    assert detected(path) == "otlp"
    sessions, report = read(path)
    assert report.skipped == 0
    assert [s.id for s in sessions] == ["4f1c2a9e-7d3b-4c55-9a0e-1b2c3d4e5f60", "5e2d3b0f-8e4c-4d66-ab1f-2c3d4e5f6071"]
    first, second = sessions
    assert [(c.name, c.ok) for c in first.tool_calls] == [
        ("view", True), ("bash", False), ("skill", True), ("bash", True), ("edit", True)]
    assert first.tool_calls[1].error == "Command failed with exit code 1"
    assert first.tool_calls[1].duration_ms == 5250
    assert first.skills == (SkillUse("release", "invoked"),)
    assert first.turns == 4 and first.final_message == "Released 1.4.2; all tests pass."
    assert first.outcome == "success"
    assert len(first.meta["trace_ids"]) == 2 and first.meta["service_name"] == "github-copilot"
    assert first.started == datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    assert (len(second.tool_calls), second.turns, second.outcome) == (1, 1, "success")


def test_python_console_exporter_documents_are_read_one_after_the_other() -> None:
    path = TRACES / "python-console-spans.json"
    assert detected(path) == "otlp"
    (session,), report = read(path)
    assert report.skipped == 0
    assert session.id == "py-run-20260701-1" and session.meta["trace_id"] == "3f6c1d5e9a8b4c2d1e0f9a8b7c6d5e4f"
    (call,) = session.tool_calls
    assert (call.name, call.ok, call.args, call.duration_ms) == (
        "run_shell", False, {"command": "pytest -q tests/test_labels.py"}, 7500)
    assert call.error == "exit status 1: 2 failed, 31 passed"
    assert session.skills == (SkillUse("triage", "invoked", "6b0c8a3f1e2d4c5b6a7980f1e2d3c4b5a6978f01"),)
    # the agent span completed, but the test run the session reports failed: the test result decides
    assert session.outcome == "failure"


def test_a_tempo_export_with_base64_ids_is_one_failed_session() -> None:
    path = TRACES / "tempo-trace.json"
    assert detected(path) == "otlp"
    (session,), report = read(path)
    assert report.skipped == 0
    assert session.id == "7c1e5a3b9d2f4e6a8b0c1d2e3f4a5b6c"
    assert [(c.name, c.ok, c.error) for c in session.tool_calls] == [
        ("kubectl", False, "deadline exceeded after 2s"), ("kubectl", True, None)]
    assert (session.turns, session.outcome, session.meta["service_name"]) == (2, "failure", "deploy-agent")


def test_a_jaeger_export_is_read_with_its_tags_and_references() -> None:
    path = TRACES / "jaeger-trace.json"
    assert detected(path) == "otlp"
    (session,), report = read(path)
    assert report.skipped == 0
    assert session.id == "jaeger-conv-7" and session.meta["service_name"] == "docs-agent"
    assert [(c.name, c.ok, c.duration_ms) for c in session.tool_calls] == [("read_file", True, 200), ("run", False, 4000)]
    assert session.tool_calls[1].error.startswith("WARNING - Doc file")
    assert session.turns == 1 and session.started == datetime(2026, 7, 1, 13, 0, tzinfo=UTC)
    assert session.outcome == "success"


def test_claude_code_otel_events_give_tool_calls_and_skill_activations() -> None:
    path = TRACES / "claude-code-otel-logs.jsonl"
    assert detected(path) == "otlp"
    (session,), report = read(path)
    assert report.skipped == 0
    assert session.id == "7a1d3c55-0e2b-4f7a-9c61-3b8e2d4f6a10"
    assert [(c.name, c.ok) for c in session.tool_calls] == [("Read", True), ("Bash", False), ("Bash", True)]
    assert session.tool_calls[1].error == "Exit code 1\nnpm ERR! code E403"
    assert session.tool_calls[1].args["command"] == "npm publish --dry-run"
    assert session.tool_calls[1].duration_ms == 3811
    # `custom_skill` is Claude Code's redaction placeholder, not a skill
    assert session.skills == (SkillUse("release", "invoked"),) and session.meta["redacted_skills"] == 1
    assert session.turns == 2 and session.meta["model"] == "claude-sonnet-4-5-20250929"
    assert session.outcome is None  # events carry no completion record
    assert (session.started, session.ended) == (datetime(2026, 7, 1, 14, 0, 1, tzinfo=UTC), datetime(2026, 7, 1, 14, 0, 15, tzinfo=UTC))


def test_skill_activation_span_events_are_invoked_skills(tmp_path: Path) -> None:
    doc = json.loads((TRACES / "opentelemetry-proto" / "trace.json").read_text())
    span = doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    span["events"] = [
        {"timeUnixNano": "1544712660500000000", "name": "claude_code.skill_activated",
         "attributes": [{"key": "skill.name", "value": {"stringValue": "acme:release"}}]},
        {"timeUnixNano": "1544712660600000000", "name": "exception", "attributes": []},
    ]
    path = tmp_path / "events.jsonl"
    path.write_text(json.dumps(doc) + "\n")
    (session,), _ = read(path)
    assert session.skills == (SkillUse("release", "invoked", None, "acme:release"),)


def test_a_line_that_is_no_otlp_shape_says_what_it_is_not(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    line = (TRACES / "copilot-cli-spans.jsonl").read_text().splitlines()[0]
    path.write_text(line + "\n" + json.dumps({"hello": "world"}) + "\n" + json.dumps({"resourceSpans": "x"}) + "\n")
    sessions, report = read(path)
    assert len(sessions) == 1 and report.counts == {"wrong-type": 2}
    assert [(e.line, e.detail) for e in report.examples] == [
        (2, "not an OTLP export, Tempo/Jaeger trace or span object (keys: hello)"), (3, "`resourceSpans` must be a list")]


def test_a_pretty_printed_document_cut_off_is_reported_as_truncated(tmp_path: Path) -> None:
    text = (TRACES / "tempo-trace.json").read_text()
    path = tmp_path / "cut.json"
    path.write_text(text[: len(text) // 2])
    sessions, report = read(path)
    assert sessions == [] and report.counts == {"truncated": 1}
