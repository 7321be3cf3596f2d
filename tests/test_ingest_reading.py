"""Honest reading: what `skillgit ingest` cannot read is named and fails --strict, never silently dropped."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import SAMPLES

from skillgit.evidence.store import load_sessions
from skillgit.git import Repo

TRACES = SAMPLES / "traces"


def ingest(sg, repo: Path, *args: str) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    result = sg(repo, "ingest", "--json", *args)
    return result.code, json.loads(result.out)


def span_files(root: Path) -> Path:
    """The OTel files of the samples as a machine would have them, one of them in a symlinked folder."""
    otel = root / "otel"
    (otel / "copilot").mkdir(parents=True)
    shutil.copy(TRACES / "copilot-cli-spans.jsonl", otel / "copilot" / "spans.jsonl")
    shutil.copy(TRACES / "opentelemetry-proto" / "trace.json", otel / "trace.json")
    shutil.copy(TRACES / "tempo-trace.json", otel / "tempo-7c1e.json")
    elsewhere = root / "elsewhere" / "python"
    elsewhere.mkdir(parents=True)
    shutil.copy(TRACES / "python-console-spans.json", elsewhere / "console.json")
    (otel / "linked").symlink_to(elsewhere, target_is_directory=True)
    (elsewhere / "loop").symlink_to(otel, target_is_directory=True)  # a link loop: each folder read once
    (otel / "notes.txt").write_text("not a trace\n")
    return otel


def test_a_walk_reads_every_span_file_and_follows_symlinked_folders_once(sg, empty_repo: Path, tmp_path: Path) -> None:
    code, data = ingest(sg, empty_repo, "--strict", str(span_files(tmp_path)))
    assert code == 0, data
    assert (data["files_read"], data["sessions"], data["files_ignored"], data["skipped"]) == (4, 5, 1, {})
    assert data["ignored"] == [str(tmp_path / "otel" / "notes.txt")]
    sessions = load_sessions(Repo.discover(empty_repo))
    assert sorted(s.id for s in sessions) == sorted([
        "4f1c2a9e-7d3b-4c55-9a0e-1b2c3d4e5f60", "5e2d3b0f-8e4c-4d66-ab1f-2c3d4e5f6071", "5b8efff798038103d269b633813fc60c",
        "7c1e5a3b9d2f4e6a8b0c1d2e3f4a5b6c", "py-run-20260701-1"])


def test_a_folder_reached_by_a_link_and_by_its_own_name_is_read_once(sg, empty_repo: Path, tmp_path: Path) -> None:
    """`a-link` (read first, by name) points at `b`, a real folder of the same walk, and `b/up` at the walk's
    top folder through a relative link: every file is read once, under the first path that reaches it."""
    top = tmp_path / "traces"
    (top / "b" / "deeper").mkdir(parents=True)
    shutil.copy(TRACES / "tempo-trace.json", top / "b" / "deeper" / "tempo-7c1e.json")
    shutil.copy(TRACES / "python-console-spans.json", top / "console.json")
    (top / "a-link").symlink_to("b", target_is_directory=True)
    (top / "b" / "up").symlink_to("..", target_is_directory=True)
    code, data = ingest(sg, empty_repo, "--strict", str(top))
    assert code == 0, data
    assert (data["files_read"], data["sessions"], data["skipped"]) == (2, 2, {})
    code, again = ingest(sg, empty_repo, "--strict", str(top))
    assert (code, again["files_read"], again["files_cached"], again["sessions"]) == (0, 0, 2, 2)


def test_the_summary_names_the_ignored_files(sg, empty_repo: Path, tmp_path: Path) -> None:
    result = sg(empty_repo, "ingest", str(span_files(tmp_path)))
    assert result.code == 0
    assert result.out.splitlines() == [
        "ingest: 4 file(s) read, 0 unchanged (cached), 1 ignored (not traces)",
        "  5 session(s), 0 learning(s)",
        f"  not traces: {tmp_path / 'otel' / 'notes.txt'}",
    ]
    assert result.err == ""


def test_an_unknown_trace_file_in_a_walk_is_named_and_fails_strict(sg, empty_repo: Path, tmp_path: Path) -> None:
    folder = tmp_path / "session-state" / "abc"
    folder.mkdir(parents=True)
    (folder / "events.jsonl").write_text(json.dumps({"type": "session.start", "data": {}}) + "\n")
    result = sg(empty_repo, "ingest", "--strict", str(tmp_path))
    assert result.code == 1
    assert f"{folder / 'events.jsonl'}: unknown-format (no adapter recognizes it" in result.err
    assert "--strict: 1 trace line(s) or file(s) were skipped" in result.err


def test_a_forced_format_that_reads_nothing_usable_says_so(sg, empty_repo: Path, tmp_path: Path) -> None:
    transcript = tmp_path / "b0b1f6a2.jsonl"
    records = [
        {"type": "user", "sessionId": "b0b1f6a2", "uuid": "u1", "parentUuid": None, "timestamp": "2026-07-01T10:00:00Z",
         "message": {"role": "user", "content": "fix the build"}},
        {"type": "assistant", "sessionId": "b0b1f6a2", "uuid": "a1", "parentUuid": "u1", "timestamp": "2026-07-01T10:00:05Z",
         "message": {"id": "msg_1", "role": "assistant", "content": [
             {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": "make"}}]}},
    ]
    transcript.write_text("".join(json.dumps(r) + "\n" for r in records))
    for fmt in ("codex", "yoyo", "otlp"):
        code, data = ingest(sg, empty_repo, "--format", fmt, str(transcript))
        assert (code, data["sessions"], data["skipped"]) == (0, 0, {"wrong-format": 1}), fmt
        (example,) = data["examples"]
        assert example["detail"] == (
            f"read as {fmt}, it holds no tool call, skill, message, outcome or learning; "
            "it looks like claude-code: read it without --format")
    code, data = ingest(sg, empty_repo, str(transcript))
    assert (data["sessions"], data["skipped"]) == (1, {})


def test_stream_json_and_exec_json_are_ingested_by_their_own_adapters(sg, empty_repo: Path, tmp_path: Path) -> None:
    shutil.copy(TRACES / "claude-stream-json.jsonl", tmp_path / "run-1.jsonl")
    shutil.copy(TRACES / "codex" / "exec-0.125.0.jsonl", tmp_path / "run-2.jsonl")
    code, data = ingest(sg, empty_repo, "--strict", str(tmp_path))
    assert (code, data["files_read"], data["sessions"], data["skipped"]) == (0, 2, 2, {})
    sessions = load_sessions(Repo.discover(empty_repo))
    assert sorted((s.source, s.meta["format"]) for s in sessions) == [("claude-code", "stream-json"), ("codex", "exec-json")]
