"""Codex CLI rollouts: the corpus lines and a complete rollout whose last command exits 1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS

from skillgit.traces.codex import ADAPTER
from skillgit.traces.lines import ReadReport
from skillgit.traces.registry import detect
from skillgit.traces.session import Session

TRACES = CORPUS / "traces"
pytestmark = pytest.mark.skipif(not TRACES.is_dir(), reason="corpus/traces not available")
SESSION = "019bd6d8-b99b-7eb1-847c-87c3da10673a"


def corpus_lines() -> list[dict[str, Any]]:
    return [json.loads(line) for line in (TRACES / "codex__rollout-lines.jsonl").read_text().splitlines() if line.strip()]


def read(path: Path) -> tuple[list[Session], ReadReport]:
    report = ReadReport()
    return [s for s in ADAPTER.read(path, report) if isinstance(s, Session)], report


def item(payload: dict[str, Any], ts: str = "2026-07-01T10:00:00.000Z", kind: str = "response_item") -> dict[str, Any]:
    return {"timestamp": ts, "type": kind, "payload": payload}


def rollout(tmp_path: Path) -> Path:
    """session_meta, a passing exec, an apply_patch whose output says exit_code 1, a final message."""
    meta, call, output, failed = corpus_lines()
    lines = [
        meta,
        item({"type": "message", "role": "user", "content": [{"type": "input_text", "text": "fix main.go"}]}),
        call,
        output,
        item({"type": "custom_tool_call", "name": "apply_patch", "input": "*** Begin Patch", "call_id": "call_bad"}, "2026-07-01T10:00:04.000Z"),
        failed,
        item({"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "The patch did not apply."}]}, "2026-07-01T10:00:06.000Z"),
    ]
    path = tmp_path / "sessions" / "2026" / "07" / "01" / f"rollout-2026-07-01T10-00-00-{SESSION}.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_the_corpus_lines_read_as_one_session_with_exit_codes() -> None:
    (session,), report = read(TRACES / "codex__rollout-lines.jsonl")
    assert report.skipped == 0
    assert session.id == SESSION and session.meta["cli_version"] == "0.88.0-alpha.4"
    first = session.tool_calls[0]
    assert (first.name, first.args["cmd"], first.exit_code, first.ok, first.duration_ms) == ("exec_command", "git diff HEAD", 0, True, 50)


def test_a_rollout_whose_last_call_exits_1_is_a_failure(tmp_path: Path) -> None:
    (session,), _ = read(rollout(tmp_path))
    assert [(c.name, c.exit_code, c.ok) for c in session.tool_calls] == [("exec_command", 0, True), ("apply_patch", 1, False)]
    assert session.tool_calls[1].error == "apply_patch: context mismatch"
    assert session.tool_calls[1].duration_ms == 100
    assert session.outcome == "failure"
    assert session.final_message == "The patch did not apply."
    assert session.turns == 1


def test_an_exec_command_end_event_sets_the_exit_code(tmp_path: Path) -> None:
    path = rollout(tmp_path)
    with path.open("a") as out:
        out.write(json.dumps(item({"type": "function_call", "name": "shell", "arguments": '{"command": ["make"]}', "call_id": "c9"})) + "\n")
        out.write(json.dumps(item({"type": "exec_command_end", "call_id": "c9", "exit_code": 0}, kind="event_msg")) + "\n")
    (session,), _ = read(path)
    assert session.tool_calls[-1].exit_code == 0 and session.outcome == "success"


def test_an_aborted_turn_fails_the_session(tmp_path: Path) -> None:
    path = rollout(tmp_path)
    with path.open("a") as out:
        out.write(json.dumps(item({"type": "turn_aborted", "reason": "interrupted"}, kind="event_msg")) + "\n")
    (session,), _ = read(path)
    assert session.outcome == "failure"


def test_plain_exit_code_headers_are_parsed(tmp_path: Path) -> None:
    lines = [item({"type": "function_call", "name": "shell", "arguments": '{"command": ["false"]}', "call_id": "c1"}),
             item({"type": "function_call_output", "call_id": "c1", "output": "Exit code: 2\nWall time: 1.5 seconds\nOutput:\n"})]
    path = tmp_path / "rollout-x.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    (session,), _ = read(path)
    assert (session.tool_calls[0].exit_code, session.tool_calls[0].duration_ms) == (2, 1500)


def test_rollouts_are_detected() -> None:
    path = TRACES / "codex__rollout-lines.jsonl"
    adapter = detect(path, path.read_bytes())
    assert adapter is not None and adapter.name == "codex"
