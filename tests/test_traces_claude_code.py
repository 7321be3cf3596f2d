"""Claude Code transcripts: the corpus records, complete sessions built around them, subagent folding."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import CORPUS, CORPUS_FIX, SAMPLES, needs

from skillgit.evidence.adapters.claude_code import ADAPTER, fold_subagents
from skillgit.evidence.adapters.lines import ReadReport
from skillgit.evidence.adapters.registry import detect
from skillgit.evidence.session import Session, SkillUse

TRACES = CORPUS / "traces"
pytestmark = needs(TRACES.is_dir(), f"traces/ of {CORPUS_FIX}")
SESSION_ID = "e3da9d1a-c1b3-4ad4-9505-582975fd9d4e"


def corpus_lines(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (TRACES / name).read_text().splitlines() if line.strip()]


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def read(path: Path) -> tuple[list[Session], ReadReport]:
    report = ReadReport()
    sessions = [s for s in ADAPTER.read(path, report) if isinstance(s, Session)]
    return sessions, report


def assistant(text: str | None = None, tool: tuple[str, str, dict[str, Any]] | None = None, msg: str = "m1",
              ts: str = "2026-07-12T11:09:00.000Z") -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    if text is not None:
        content.append({"type": "text", "text": text})
    if tool is not None:
        content.append({"type": "tool_use", "id": tool[0], "name": tool[1], "input": tool[2]})
    return {"type": "assistant", "sessionId": SESSION_ID, "isSidechain": False, "timestamp": ts,
            "message": {"id": msg, "role": "assistant", "content": content}}


def result(tool_id: str, content: str, is_error: bool = False, ts: str = "2026-07-12T11:09:02.500Z") -> dict[str, Any]:
    return {"type": "user", "sessionId": SESSION_ID, "isSidechain": False, "timestamp": ts,
            "message": {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_id, "content": content, "is_error": is_error}]}}


def parent_transcript(tmp_path: Path) -> Path:
    """A whole session: the corpus Skill invocation, then a Bash call that fails, then a final answer."""
    records = [{**r, "sessionId": SESSION_ID} for r in corpus_lines("claude-code__skill-invocation.jsonl")]
    records += [
        assistant("Running the tests.", ("toolu_bash", "Bash", {"command": "pytest -q"}), msg="m2"),
        result("toolu_bash", "Exit code 1\n2 failed", is_error=True),
        assistant("Two tests fail; I stopped there.", msg="m3", ts="2026-07-12T11:09:05.000Z"),
    ]
    return write_jsonl(tmp_path / "proj" / f"{SESSION_ID}.jsonl", records)


def subagent_transcript(tmp_path: Path) -> Path:
    """The corpus sidechain error result, with the Write call it answers."""
    error = corpus_lines("claude-code__error-result.jsonl")[0]
    use = {**error, "type": "assistant", "uuid": "86149638-8285-4f99-a6a8-2a63a8b2b71c", "timestamp": "2026-02-02T06:01:25.000Z",
           "message": {"id": "msg_sub", "role": "assistant", "content": [
               {"type": "tool_use", "id": "toolu_01Ski3iNXG8DxZgLCnr7aUe5", "name": "Write", "input": {"file_path": "a.txt", "content": "x"}}]}}
    del use["toolUseResult"]
    return write_jsonl(tmp_path / "proj" / SESSION_ID / "subagents" / "agent-ae7759d.jsonl", [use, error])


def test_a_skill_tool_invocation_is_an_invoked_skill_named_after_the_colon(tmp_path: Path) -> None:
    (session,), report = read(parent_transcript(tmp_path))
    assert session.skills == (SkillUse("brainstorming", "invoked", None, "superpowers:brainstorming"),)
    assert session.tool_calls[0].name == "Skill" and session.tool_calls[0].ok is True
    assert report.skipped == 0


def test_a_failed_tool_result_is_a_failed_call_with_its_exit_code_and_error(tmp_path: Path) -> None:
    (session,), _ = read(parent_transcript(tmp_path))
    bash = session.tool_calls[1]
    assert (bash.name, bash.ok, bash.exit_code, bash.duration_ms) == ("Bash", False, 1, 2500)
    assert bash.args == {"command": "pytest -q"}
    assert bash.error == "Exit code 1\n2 failed"


def test_the_session_fails_when_its_last_test_run_fails(tmp_path: Path) -> None:
    (session,), _ = read(parent_transcript(tmp_path))
    assert session.outcome == "failure"
    assert session.final_message == "Two tests fail; I stopped there."
    assert session.turns == 3
    assert session.id == SESSION_ID
    assert session.origin.endswith(f"{SESSION_ID}.jsonl:1")


def test_a_later_passing_test_run_makes_the_session_a_success(tmp_path: Path) -> None:
    path = parent_transcript(tmp_path)
    with path.open("a") as out:
        out.write(json.dumps(assistant(None, ("toolu_ok", "Bash", {"command": "pytest -q"}), msg="m4")) + "\n")
        out.write(json.dumps(result("toolu_ok", "all passed")) + "\n")
    (session,), _ = read(path)
    assert session.outcome == "success"


def test_the_corpus_sidechain_error_alone_is_a_standalone_subagent_session() -> None:
    (session,), _ = read(TRACES / "claude-code__error-result.jsonl")
    assert session.id == f"{SESSION_ID}:ae7759d"
    assert session.meta["parent"] == SESSION_ID
    assert session.tool_calls[0].ok is False
    assert "auto-denied" in (session.tool_calls[0].error or "")
    assert session.outcome is None  # one failed tool result says nothing about the task


def test_a_subagent_file_folds_into_its_parent_session(tmp_path: Path) -> None:
    parent, _ = read(parent_transcript(tmp_path))
    sub, _ = read(subagent_transcript(tmp_path))
    (merged,) = fold_subagents(parent + sub)
    assert merged.id == SESSION_ID
    assert [c.name for c in merged.tool_calls] == ["Write", "Skill", "Bash"]
    assert merged.meta["subagents"] == [f"{SESSION_ID}:ae7759d"]
    assert merged.outcome == "failure" and merged.turns == 3


def test_a_subagent_whose_parent_is_missing_stays_a_session_of_its_own(tmp_path: Path) -> None:
    sub, _ = read(subagent_transcript(tmp_path))
    assert fold_subagents(sub) == sub


def test_a_command_name_in_a_user_message_is_an_invoked_skill(tmp_path: Path) -> None:
    text = "<command-message>release is running…</command-message>\n<command-name>/release</command-name>\n<command-args></command-args>"
    path = write_jsonl(tmp_path / "s.jsonl", [
        {"type": "user", "sessionId": "s", "timestamp": "2026-01-01T00:00:00Z", "message": {"role": "user", "content": text}},
        {"type": "user", "sessionId": "s", "timestamp": "2026-01-01T00:00:01Z", "message": {"role": "user", "content": "<command-name>/clear</command-name>"}},
    ])
    (session,), _ = read(path)
    assert session.skills == (SkillUse("release", "invoked"),)
    assert session.outcome is None


def test_a_skill_version_next_to_the_skill_name_is_kept(tmp_path: Path) -> None:
    tool = ("t1", "Skill", {"skill": "pdf", "skill_version": "a" * 40})
    (session,), _ = read(write_jsonl(tmp_path / "s.jsonl", [assistant(None, tool)]))
    assert session.skills == (SkillUse("pdf", "invoked", "a" * 40),)


def test_a_read_of_a_skill_file_stays_an_ordinary_tool_call(tmp_path: Path) -> None:
    tool = ("t1", "Read", {"file_path": "skills/social/SKILL.md"})
    (session,), _ = read(write_jsonl(tmp_path / "s.jsonl", [assistant(None, tool), result("t1", "---\nname: social")]))
    assert session.skills == ()
    assert session.tool_calls[0].args == {"file_path": "skills/social/SKILL.md"}


def test_an_api_error_message_at_the_end_fails_the_session(tmp_path: Path) -> None:
    records = [assistant(None, ("t1", "Bash", {"command": "ls"})), result("t1", "ok"),
               {**assistant("API Error: 529 overloaded", msg="m9"), "isApiErrorMessage": True}]
    (session,), _ = read(write_jsonl(tmp_path / "s.jsonl", records))
    assert session.outcome == "failure"


def test_huge_tool_arguments_are_clipped(tmp_path: Path) -> None:
    tool = ("t1", "Write", {"file_path": "big.txt", "content": "x" * 100_000})
    (session,), _ = read(write_jsonl(tmp_path / "s.jsonl", [assistant(None, tool)]))
    content = session.tool_calls[0].args["content"]
    assert len(content) <= 4096 and content.endswith("[truncated, 100000 chars total]")


def test_a_record_with_a_wrong_message_type_is_skipped_and_reading_goes_on(tmp_path: Path) -> None:
    records = [{"type": "assistant", "sessionId": "s", "message": "not an object"}, assistant("done")]
    (session,), report = read(write_jsonl(tmp_path / "s.jsonl", records))
    assert report.counts == {"wrong-type": 1}
    assert str(report.examples[0]).endswith("s.jsonl:1: wrong-type (`message` must be an object)")
    assert session.final_message == "done"


def test_the_subagent_sample_reads_as_a_failed_subagent_session() -> None:
    (session,), report = read(SAMPLES / "traces" / "claude_code_subagent_error.jsonl")
    assert report.skipped == 0
    assert session.meta["parent"] and session.outcome is None  # its last tool result alone does not decide
    assert [c.ok for c in session.tool_calls] == [True, False]


# -- `claude -p --output-format stream-json --verbose` ----------------------------------------------------------


def stream_json(name: str) -> Session:
    path = SAMPLES / "traces" / name
    adapter = detect(path, path.read_bytes()[:8192])
    assert adapter is not None and adapter.name == "claude-stream-json"
    report = ReadReport()
    (session,) = [s for s in adapter.read(path, report) if isinstance(s, Session)]
    assert report.counts == {}
    return session


def test_stream_json_is_one_session_with_its_subagent_calls_and_the_result_record() -> None:
    session = stream_json("claude-stream-json.jsonl")
    assert (session.id, session.source) == ("3c9e1f42-8a7b-4d21-b6c0-5e2f1a0d9b73", "claude-code")
    assert [(c.name, c.ok, c.exit_code) for c in session.tool_calls] == [
        ("Skill", True, None), ("Bash", False, 101), ("Task", True, None), ("Read", True, None), ("Bash", True, None),
        ("Bash", False, 1)]
    assert session.skills == (SkillUse("release", "invoked"),)
    assert session.turns == 6 and session.meta["num_turns"] == 7 and session.meta["version"] == "2.1.131"
    assert session.final_message.startswith("Release 2.3.0 is ready")
    # the last call failed ("nothing to commit"); the result record and the final message say success
    assert session.outcome == "success"
    assert session.started is None and "parent" not in session.meta


def test_stream_json_that_ran_out_of_turns_is_a_failure() -> None:
    session = stream_json("claude-stream-json-max-turns.jsonl")
    assert [(c.name, c.ok) for c in session.tool_calls] == [("Write", False), ("Bash", True)]
    assert session.outcome == "failure" and session.meta["result"] == "error_max_turns"


def test_a_transcript_is_not_taken_for_stream_json(tmp_path: Path) -> None:
    path = parent_transcript(tmp_path)
    adapter = detect(path, path.read_bytes()[:8192])
    assert adapter is not None and adapter.name == "claude-code"
