"""Codex CLI rollouts: the corpus lines and a complete rollout whose last command exits 1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import CORPUS, CORPUS_FIX, SAMPLES, needs

from skillgit.evidence.adapters.codex import ADAPTER
from skillgit.evidence.adapters.lines import ReadReport
from skillgit.evidence.adapters.registry import detect
from skillgit.evidence.session import Session, SkillUse

TRACES = CORPUS / "traces"
pytestmark = needs(TRACES.is_dir(), f"traces/ of {CORPUS_FIX}")
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


def test_a_rollout_whose_final_message_says_the_patch_did_not_apply_is_a_failure(tmp_path: Path) -> None:
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
    assert (session.tool_calls[-1].exit_code, session.tool_calls[-1].ok) == (0, True)


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


# -- Codex as each CLI version writes it (tests/samples/traces/codex: one recorded shape per version) --------

CODEX = SAMPLES / "traces" / "codex"


def sample(name: str) -> Session:
    path = CODEX / name
    adapter = detect(path, path.read_bytes()[:8192])
    assert adapter is not None and adapter.name == "codex"
    (session,), report = read(path)
    assert report.counts == {}
    return session


def calls(session: Session) -> list[tuple[str, bool | None, int | None]]:
    return [(c.name, c.ok, c.exit_code) for c in session.tool_calls]


def test_0_125_polls_fold_into_their_command_and_refusals_and_searches_count() -> None:
    session = sample("rollout-0.125.0.jsonl")
    # 11 function calls and a web search in the file: 3 are write_stdin polls of two running commands
    assert calls(session) == [
        ("exec_command", True, 0), ("exec_command", False, 101), ("exec_command", True, 0), ("web_search", True, None),
        ("exec_command", False, None), ("exec_command", True, 0), ("exec_command", False, 128), ("exec_command", False, 1),
    ]
    assert sum(c.ok is False for c in session.tool_calls) == 4
    test_run = session.tool_calls[1]
    assert test_run.args["cmd"] == "cargo test --workspace"
    assert test_run.duration_ms == 44500  # 10 s + 30 s + 4.5 s of wall time, first output and both polls
    assert test_run.error.startswith("test tests::features::gated ... FAILED")
    assert session.tool_calls[3].args == {"query": "cargo publish dry run registry token"}
    assert session.tool_calls[4].error == "exec command rejected by user"
    assert session.tool_calls[6].error.startswith("fatal: could not read Username")
    assert session.tool_calls[7].error == "Process exited with code 1"
    # a completion record, but the final message says the task could not be done
    assert (session.outcome, session.turns) == ("failure", 3)


def test_0_135_a_failing_last_commit_after_reported_success_is_a_success() -> None:
    session = sample("rollout-0.135.0.jsonl")
    assert calls(session)[-1] == ("exec_command", False, 1)
    assert session.tool_calls[-1].error == "On branch main\nnothing to commit, working tree clean"
    assert calls(session)[1] == ("apply_patch", True, 0)
    assert session.outcome == "success"


def test_0_139_base_instructions_reasoning_items_and_an_aborted_turn() -> None:
    session = sample("rollout-0.139.0.jsonl")
    assert calls(session) == [("exec_command", False, 101), ("exec_command", False, 101)]
    assert session.meta["cli_version"] == "0.139.0" and session.turns == 0
    assert session.outcome == "failure"


def test_0_144_without_a_completion_record_the_reported_test_run_decides() -> None:
    session = sample("rollout-0.144.3.jsonl")
    assert calls(session) == [("exec_command", True, 0), ("apply_patch", True, 0), ("exec_command", True, 0)]
    assert session.turns == 2 and session.final_message.startswith("The paginator returned")
    assert session.outcome == "success"


def test_0_146_an_explicitly_selected_skill_is_an_invoked_skill() -> None:
    session = sample("rollout-0.146.0.jsonl")
    assert session.skills == (SkillUse("changelog", "invoked"),)
    assert calls(session) == [("exec_command", True, 0), ("apply_patch", True, 0)]
    assert session.outcome == "success"


def test_0_147_item_completed_records_replace_the_code_mode_wrapper() -> None:
    session = sample("rollout-0.147.0.jsonl")
    assert calls(session) == [
        ("exec_command", True, 0), ("exec_command", False, 101), ("mcp__docs__search", False, None),
        ("apply_patch", True, None), ("web_search", True, None),
    ]
    assert session.tool_calls[1].error == "error: no bench target named `emit`"
    assert session.tool_calls[2].error == "tool call error: server `docs` is not running"
    assert session.tool_calls[3].args == {"paths": ["BENCH.md"]}
    assert (session.turns, session.meta["model"], session.outcome) == (1, "gpt-5.6-sol", "success")


def test_0_148_the_prompt_in_response_items_and_a_polled_command() -> None:
    session = sample("rollout-0.148.0.jsonl")
    assert session.id == "01a017b5-1414-7250-bf14-dc4987eee1c9"
    assert calls(session) == [("exec_command", True, 0), ("exec_command", True, 0)]
    assert session.tool_calls[1].duration_ms == 31000
    assert (session.turns, session.outcome) == (1, "success")
    assert session.final_message == "Release checks pass: 43 tests, all features."


def test_exec_json_0_125_items_are_tool_calls() -> None:
    session = sample("exec-0.125.0.jsonl")
    assert session.id == "019dd000-1a2b-7c3d-8e4f-5a6b7c8d9e10" and session.meta["format"] == "exec-json"
    assert calls(session) == [
        ("exec_command", True, 0), ("exec_command", False, 101), ("exec_command", True, 0), ("apply_patch", True, None),
        ("mcp__github__create_release", False, None), ("web_search", True, None),
    ]
    assert session.tool_calls[4].error == "403 Resource not accessible by integration"
    assert session.turns == 1 and session.started is None
    # turn.completed is a completion record; the final message says the release could not be created
    assert session.outcome == "failure"


def test_exec_json_0_148_a_declined_command_and_a_failed_turn() -> None:
    session = sample("exec-0.148.0.jsonl")
    assert calls(session) == [("exec_command", False, 101), ("exec_command", False, None)]
    assert session.tool_calls[1].error == "exec command rejected by user approval settings"
    assert session.outcome == "failure" and session.meta["error"].startswith("stream disconnected")
