"""`skillgit ingest` end to end: a real repo, the corpus in its real layout, bad input, the incremental store."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CORPUS, CORPUS_FIX, SAMPLES, git, needs, not_applicable

from skillgit.evidence.store import Store, load_learnings, load_sessions
from skillgit.git import Repo
from skillgit.schemas import schema_errors

pytestmark = needs((CORPUS / "traces").is_dir(), f"traces/ of {CORPUS_FIX}")
DAY165 = "day-165-20260812T091434Z"
CLAUDE_SESSION = "e3da9d1a-c1b3-4ad4-9505-582975fd9d4e"


def build_traces(root: Path) -> Path:
    """The corpus as an agent machine would have it: yoyo audit-log dirs, Claude projects, OTLP and Codex files."""
    yoyo = CORPUS / "yoyo"
    day = root / "yoyo" / "sessions" / DAY165
    day.mkdir(parents=True)
    shutil.copyfile(yoyo / f"yyds-harness@audit-log__sessions__{DAY165}__audit.jsonl", day / "audit.jsonl")
    shutil.copyfile(yoyo / f"yyds-harness@audit-log__sessions__{DAY165}__outcome.json", day / "outcome.json")
    (root / "yoyo" / "memory").mkdir()
    shutil.copyfile(yoyo / "yyds-harness__memory__learnings.jsonl", root / "yoyo" / "memory" / "learnings.jsonl")
    project = root / "claude" / "-work-app"
    subagents = project / CLAUDE_SESSION / "subagents"
    subagents.mkdir(parents=True)
    lines = [json.loads(x) for x in (CORPUS / "traces" / "claude-code__skill-invocation.jsonl").read_text().splitlines()]
    (project / f"{CLAUDE_SESSION}.jsonl").write_text("".join(json.dumps({**x, "sessionId": CLAUDE_SESSION}) + "\n" for x in lines))
    shutil.copyfile(CORPUS / "traces" / "claude-code__error-result.jsonl", subagents / "agent-ae7759d.jsonl")
    (root / "otel").mkdir()
    shutil.copyfile(CORPUS / "traces" / "otlp__genai-skill-tool-error.jsonl", root / "otel" / "spans.jsonl")
    (root / "codex").mkdir()
    shutil.copyfile(CORPUS / "traces" / "codex__rollout-lines.jsonl", root / "codex" / "rollout-2026-01-19T15-21-26.jsonl")
    (root / "README.md").write_text("not a trace\n")
    return root


@pytest.fixture
def traces(tmp_path: Path) -> Path:
    return build_traces(tmp_path / "traces")


def summary(sg, repo: Path, *args: str) -> dict:  # type: ignore[no-untyped-def]
    result = sg(repo, "ingest", "--json", *args)
    assert result.code == 0, result
    return json.loads(result.out)  # type: ignore[no-any-return]


def test_ingest_reads_every_format_and_folds_the_subagent(sg, empty_repo: Path, traces: Path) -> None:
    data = summary(sg, empty_repo, str(traces))
    assert (data["files_read"], data["files_cached"], data["files_ignored"]) == (7, 0, 1)
    assert (data["sessions"], data["learnings"], data["subagents_folded"]) == (4, 8, 1)
    assert data["skipped"] == {}
    sessions = load_sessions(Repo.discover(empty_repo))
    assert sorted(s.source for s in sessions) == ["claude-code", "codex", "otlp", "yoyo"]
    claude = next(s for s in sessions if s.source == "claude-code")
    assert claude.id == CLAUDE_SESSION and claude.meta["subagents"] == [f"{CLAUDE_SESSION}:ae7759d"]
    assert [c.ok for c in claude.tool_calls] == [False, True]
    assert len(load_learnings(Repo.discover(empty_repo))) == 8


def test_a_second_ingest_reads_no_file_and_reports_the_same_totals(sg, empty_repo: Path, traces: Path) -> None:
    first = summary(sg, empty_repo, str(traces))
    second = summary(sg, empty_repo, str(traces))
    assert (second["files_read"], second["files_cached"]) == (0, 7)
    for key in ("sessions", "learnings", "subagents_folded", "skipped"):
        assert second[key] == first[key]


def kept_report(repo: Path) -> dict | None:
    """What the store keeps of the last ingest that found every file unchanged (None: nothing kept)."""
    with sqlite3.connect(Repo.discover(repo).state_dir / "evidence.db") as con:
        row = con.execute("SELECT value FROM meta WHERE key = 'unchanged'").fetchone()
    return None if row is None else json.loads(row[0])  # type: ignore[no-any-return]


def forget_report(repo: Path) -> None:
    with sqlite3.connect(Repo.discover(repo).state_dir / "evidence.db") as con:
        con.execute("DELETE FROM meta WHERE key = 'unchanged'")
    con.close()


def test_an_ingest_that_finds_nothing_changed_reports_what_looking_at_every_file_reports(sg, empty_repo: Path, traces: Path) -> None:
    """The second ingest of the same files (one of them not a trace) reports what the ingest before it kept;
    with that forgotten, every file is looked at again, and the report is the same."""
    (traces / "notes.jsonl").write_text("not json\n")  # a file no adapter recognizes: a skip, with its example
    first = summary(sg, empty_repo, str(traces))
    assert kept_report(empty_repo) is not None
    quick = summary(sg, empty_repo, str(traces))
    forget_report(empty_repo)
    looked = summary(sg, empty_repo, str(traces))
    assert kept_report(empty_repo) is not None
    assert (looked["files_read"], looked["files_cached"], looked["files_ignored"]) == (0, 7, 1)
    assert looked["skipped"] == {"unknown-format": 1} and looked["examples"][0]["reason"] == "unknown-format"
    assert {k: v for k, v in quick.items() if k != "seconds"} == {k: v for k, v in looked.items() if k != "seconds"}
    for key in ("sessions", "learnings", "subagents_folded", "skipped", "files_ignored", "ignored"):
        assert quick[key] == first[key]


def test_a_companion_outside_the_files_named_changed_after_an_unchanged_ingest_is_read_again(sg, empty_repo: Path, traces: Path) -> None:
    audit = traces / "yoyo" / "sessions" / DAY165 / "audit.jsonl"
    summary(sg, empty_repo, str(audit))
    assert summary(sg, empty_repo, str(audit))["files_cached"] == 1
    outcome = audit.parent / "outcome.json"  # not named, so not walked: its stat key is kept with the report
    outcome.write_text(json.dumps({**json.loads(outcome.read_text()), "reverted": True}))
    assert summary(sg, empty_repo, str(audit))["files_read"] == 1
    yoyo = next(s for s in load_sessions(Repo.discover(empty_repo)) if s.source == "yoyo")
    assert yoyo.outcome == "failure"


def test_a_report_kept_is_not_used_once_another_ingest_stored_something(
        sg, empty_repo: Path, traces: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    first = summary(sg, empty_repo, str(traces / "claude"))
    kept = kept_report(empty_repo)
    assert kept is not None
    from skillgit.cli import run

    with monkeypatch.context() as patch:  # another writer, one that keeps no report of its own
        patch.setattr(Store, "keep_unchanged", lambda self, value: None)
        assert run(["-C", str(empty_repo), "ingest", "--json", str(traces / "codex")]) == 0
    assert kept_report(empty_repo) == kept
    with Store.open(Repo.discover(empty_repo)) as store:
        assert store.writes() > kept["writes"] and store.unchanged() is None
    again = summary(sg, empty_repo, str(traces / "claude"))
    assert (again["files_cached"], again["sessions"], again["subagents_folded"]) == (2, first["sessions"], first["subagents_folded"])
    assert kept_report(empty_repo)["writes"] > kept["writes"]  # type: ignore[index]


def test_a_changed_file_or_companion_is_read_again(sg, empty_repo: Path, traces: Path) -> None:
    summary(sg, empty_repo, str(traces))
    outcome = traces / "yoyo" / "sessions" / DAY165 / "outcome.json"
    outcome.write_text(json.dumps({**json.loads(outcome.read_text()), "reverted": True}))
    data = summary(sg, empty_repo, str(traces))
    assert data["files_read"] == 2  # outcome.json itself, and the audit.jsonl it belongs to
    yoyo = next(s for s in load_sessions(Repo.discover(empty_repo)) if s.source == "yoyo")
    assert yoyo.outcome == "failure"


def test_the_text_summary_names_counts(sg, empty_repo: Path, traces: Path) -> None:
    result = sg(empty_repo, "ingest", str(traces))
    assert result.code == 0
    assert result.out.splitlines() == [
        "ingest: 7 file(s) read, 0 unchanged (cached), 1 ignored (not traces)",
        "  4 session(s), 8 learning(s) (1 subagent transcript(s) folded in)",
        f"  not traces: {traces / 'README.md'}",
    ]
    assert result.err == ""


def unreadable(tmp: Path) -> Path:
    path = tmp / "locked.jsonl"
    shutil.copyfile(SAMPLES / "traces" / "claude_code_subagent_error.jsonl", path)
    path.chmod(0)
    return path


def huge_line(tmp: Path) -> Path:
    path = tmp / "claude_code_50mb_line.jsonl"
    good = (SAMPLES / "traces" / "claude_code_subagent_error.jsonl").read_bytes()
    with path.open("wb") as out:
        out.write(good + b'{"type": "user", "message": {"content": "' + b"x" * (50 * 1024 * 1024) + b'"}}\n' + good)
    return path


def sample(name: str):  # type: ignore[no-untyped-def]
    return lambda tmp: SAMPLES / "traces" / name


@pytest.mark.parametrize(
    ("make", "reason", "count", "where"),
    [
        (sample("claude_code_truncated_line.jsonl"), "truncated", 1, ":3: truncated"),
        (sample("claude_code_not_json_line.jsonl"), "not-json", 1, ":2: not-json"),
        (sample("claude_code_wrong_type_line.jsonl"), "wrong-type", 2, ":2: wrong-type (`message` must be an object)"),
        (sample("claude_code_binary_bytes.jsonl"), "binary", 2, ":2: binary (NUL bytes)"),
        (huge_line, "too-long", 1, ":6: too-long"),
        (sample("empty.jsonl"), "empty", 1, "empty.jsonl: empty"),
        pytest.param(unreadable, "unreadable", 1, "locked.jsonl: unreadable",
                     marks=not_applicable(os.geteuid() == 0, "root can read a chmod 000 file")),
    ],
)
def test_bad_trace_input_is_skipped_counted_and_fails_only_under_strict(sg, empty_repo: Path, tmp_path: Path, make, reason: str, count: int, where: str) -> None:  # type: ignore[no-untyped-def]
    path = make(tmp_path)
    result = sg(empty_repo, "ingest", str(path))
    assert result.code == 0, result
    assert f"skipped {count}: {reason} {count}" in result.out
    assert f"skillgit: warning: {path}" in result.err and where in result.err
    strict = sg(empty_repo, "ingest", "--strict", str(path))
    assert strict.code == 1
    assert "--strict:" in strict.err and "run without --strict" in strict.err


def test_the_good_lines_around_a_bad_one_still_make_a_session(sg, empty_repo: Path) -> None:
    data = summary(sg, empty_repo, str(SAMPLES / "traces" / "claude_code_not_json_line.jsonl"))
    assert data["sessions"] == 1 and data["skipped"] == {"not-json": 1}
    (session,) = load_sessions(Repo.discover(empty_repo))
    assert [c.ok for c in session.tool_calls] == [True]


def test_a_path_that_does_not_exist_is_a_usage_error(sg, empty_repo: Path) -> None:
    result = sg(empty_repo, "ingest", "no/such/traces")
    assert result.code == 2
    assert result.err == "skillgit: no/such/traces: no such file or directory; pass an existing trace file or directory.\n"


def test_nothing_to_ingest_is_a_usage_error(sg, empty_repo: Path) -> None:
    result = sg(empty_repo, "ingest")
    assert result.code == 2 and "add traces.sources to skillgit.yaml" in result.err


def test_a_trace_file_no_adapter_knows_is_skipped_when_named_or_found_in_a_walk(sg, empty_repo: Path, tmp_path: Path) -> None:
    odd = tmp_path / "odd.jsonl"
    odd.write_text('{"hello": "world"}\n')
    assert summary(sg, empty_repo, str(odd))["skipped"] == {"unknown-format": 1}
    data = summary(sg, empty_repo, str(tmp_path))
    assert (data["skipped"], data["files_ignored"]) == ({"unknown-format": 1}, 0)


def test_a_forced_format_reads_a_file_auto_detection_would_not(sg, empty_repo: Path, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(json.dumps({"tool": "bash", "args": {"command": "ls"}, "success": False}) + "\n")
    data = summary(sg, empty_repo, "--format", "yoyo", str(path))
    assert data["sessions"] == 1


def test_configured_sources_are_ingested_without_arguments(sg, empty_repo: Path, traces: Path) -> None:
    (empty_repo / "skillgit.yaml").write_text(
        f"traces:\n  sources:\n    - path: {traces / 'otel'}\n    - path: {traces / 'codex'}/rollout-*.jsonl\n      format: codex\n    - path: missing-dir\n"
    )
    result = sg(empty_repo, "ingest", "--json")
    assert result.code == 0
    data = json.loads(result.out)
    assert (data["files_read"], data["sessions"]) == (2, 2)
    assert "missing-dir: trace source does not exist" in data["warnings"][0]


def test_export_then_ingest_gives_equal_sessions_that_match_the_schema(sg, empty_repo: Path, traces: Path, tmp_path: Path) -> None:
    export = tmp_path / "sessions.jsonl"
    data = summary(sg, empty_repo, str(traces), "--export", str(export))
    assert data["exported"] == 4 + 8
    for line in export.read_text().splitlines():
        assert schema_errors(json.loads(line), "session") == []
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    assert summary(sg, other, str(export))["sessions"] == 4
    repo_a, repo_b = Repo.discover(empty_repo), Repo.discover(other)
    assert load_sessions(repo_b) == load_sessions(repo_a)
    assert load_learnings(repo_b) == load_learnings(repo_a)


def test_exporting_to_stdout_moves_the_summary_to_stderr(sg, empty_repo: Path, traces: Path) -> None:
    result = sg(empty_repo, "ingest", str(traces), "--export", "-")
    assert result.code == 0
    assert json.loads(result.out.splitlines()[0])["format"] == "skillgit-sessions"
    assert "4 session(s)" in result.err


def killed_in_third_write(*then: str) -> str:
    """A script running `skillgit ARGS…` that runs the statements `then` inside its third write transaction
    (every file read is written at once)."""
    return (
        "import os, sys\n"
        "import skillgit.evidence.ingest as ingest\n"
        "import skillgit.evidence.rows as rows\n"
        "ingest.SAVE_EVERY_BYTES = 0\n"
        "real = rows.insert\n"
        "calls = []\n"
        "def insert(*a, **k):\n"
        "    calls.append(1)\n"
        "    real(*a, **k)\n"
        "    if len(calls) == 3:\n"
        + "".join(f"        {statement}\n" for statement in then)
        + "rows.insert = insert\n"
        "from skillgit.cli import run\n"
        "sys.exit(run(sys.argv[1:]))\n"
    )


def test_an_ingest_killed_midway_loses_nothing(empty_repo: Path, traces: Path) -> None:
    """Killed inside its third write transaction: the two before stand, the third is rolled back whole."""
    script = killed_in_third_write("os._exit(9)")
    killed = subprocess.run([sys.executable, "-c", script, "-C", str(empty_repo), "ingest", str(traces)], capture_output=True, check=False)
    assert killed.returncode == 9, killed.stderr
    assert len(load_sessions(Repo.discover(empty_repo))) > 0
    from skillgit.cli import run

    assert run(["-C", str(empty_repo), "ingest", "--json", str(traces)]) == 0
    sessions = load_sessions(Repo.discover(empty_repo))
    assert sorted(s.source for s in sessions) == ["claude-code", "codex", "otlp", "yoyo"]
    assert len(load_learnings(Repo.discover(empty_repo))) == 8


def test_an_ingest_killed_while_its_workers_read_loses_nothing_and_leaves_no_process(empty_repo: Path, traces: Path) -> None:
    """Killed (SIGKILL: no clean-up of its own) inside its third write, with two worker processes reading:
    what was written stands, the workers end by themselves, quietly, and the next ingest completes."""
    pids = empty_repo.parent / "workers"
    script = killed_in_third_write(
        f"open({str(pids)!r}, 'w').write(' '.join(str(p.pid) for p in __import__('multiprocessing').active_children()))",
        "os.kill(os.getpid(), 9)")
    killed = subprocess.run([sys.executable, "-c", script, "-C", str(empty_repo), "ingest", "--jobs", "2", str(traces)],
                            capture_output=True, check=False, timeout=60)
    assert killed.returncode == -9, killed.stderr
    assert b"Traceback" not in killed.stderr
    workers = [int(p) for p in pids.read_text().split()]
    assert len(workers) == 2
    deadline = time.monotonic() + 20
    while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in workers if _running(pid)]
    assert len(load_sessions(Repo.discover(empty_repo))) > 0
    from skillgit.cli import run

    assert run(["-C", str(empty_repo), "ingest", "--json", "--jobs", "2", str(traces)]) == 0
    sessions = load_sessions(Repo.discover(empty_repo))
    assert sorted(s.source for s in sessions) == ["claude-code", "codex", "otlp", "yoyo"]
    assert len(load_learnings(Repo.discover(empty_repo))) == 8


def ingest_with(patch: str, repo: Path, traces: Path) -> subprocess.CompletedProcess[str]:
    """`skillgit ingest --jobs 2 TRACES` in `repo`, by a process that first runs `patch` (code that changes skillgit's)."""
    script = f"import sys\n{patch}from skillgit.cli import run\nsys.exit(run(sys.argv[1:]))\n"
    return subprocess.run([sys.executable, "-c", script, "-C", str(repo), "ingest", "--jobs", "2", str(traces)],
                          capture_output=True, text=True, check=False, timeout=120)


def test_a_worker_killed_midway_ends_the_ingest_with_the_fix_not_a_hang(empty_repo: Path, traces: Path) -> None:
    """A worker process killed (SIGKILL) before it gave what it read: the ingest ends (no wait for a reading
    that will not come) naming the fix, or completes when the others read everything; what was stored
    stands and the next ingest completes."""
    patch = (
        "import os, signal, time\n"
        "import multiprocessing\n"
        "import skillgit.evidence.ingest as ingest\n"
        "real = ingest._Workers.next\n"
        "def first(self):\n"
        "    if self.given == 0:\n"
        "        victim = self.processes[0]\n"
        "        os.kill(victim.pid, signal.SIGKILL)\n"
        "        victim.join()\n"
        "    return real(self)\n"
        "ingest._Workers.next = first\n"
    )
    done = ingest_with(patch, empty_repo, traces)
    assert "Traceback" not in done.stderr
    if done.returncode != 0:
        assert done.returncode == 4, done.stderr
        assert "a worker process of this ingest ended before giving what it read" in done.stderr
        assert "run `skillgit ingest` again" in done.stderr
    from skillgit.cli import run

    assert run(["-C", str(empty_repo), "ingest", "--json", "--jobs", "2", str(traces)]) == 0
    sessions = load_sessions(Repo.discover(empty_repo))
    assert sorted(s.source for s in sessions) == ["claude-code", "codex", "otlp", "yoyo"]
    assert len(load_learnings(Repo.discover(empty_repo))) == 8


def test_what_went_wrong_reading_a_file_in_a_worker_is_raised_even_when_it_does_not_pickle(
        empty_repo: Path, traces: Path) -> None:
    """A worker's reading of one file fails with an exception that cannot be sent back as it is: the ingest
    ends saying which file it was reading, and the next ingest completes."""
    patch = (
        "import threading\n"
        "import skillgit.evidence.ingest as ingest\n"
        "real = ingest._work\n"
        "class Unsent(Exception):\n"
        "    def __init__(self):\n"
        "        super().__init__('cannot be sent')\n"
        "        self.lock = threading.Lock()\n"
        "def work(source, *args):\n"
        "    if source.path.endswith('spans.jsonl'):\n"
        "        raise Unsent()\n"
        "    return real(source, *args)\n"
        "ingest._work = work\n"
    )
    done = ingest_with(patch, empty_repo, traces)
    assert done.returncode != 0
    assert "RuntimeError: reading " in done.stderr and "Traceback" not in done.stderr
    from skillgit.cli import run

    assert run(["-C", str(empty_repo), "ingest", "--json", "--jobs", "2", str(traces)]) == 0
    sessions = load_sessions(Repo.discover(empty_repo))
    assert sorted(s.source for s in sessions) == ["claude-code", "codex", "otlp", "yoyo"]


def _running(pid: int) -> bool:
    """Whether process `pid` is alive (a zombie waiting to be reaped has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def test_a_store_that_is_not_a_database_is_named_with_the_fix(sg, empty_repo: Path, traces: Path) -> None:
    summary(sg, empty_repo, str(traces))
    db = Repo.discover(empty_repo).state_dir / "evidence.db"
    for extra in db.parent.glob("evidence.db-*"):
        extra.unlink()
    db.write_bytes(b"garbage, not SQLite" * 100)
    result = sg(empty_repo, "ingest", str(traces))
    assert result.code == 4
    assert f"{db}: not a usable evidence database" in result.err and "delete it and run `skillgit ingest` again" in result.err
    db.unlink()
    assert summary(sg, empty_repo, str(traces))["sessions"] == 4


def test_a_store_from_a_newer_skillgit_is_refused_not_changed(sg, empty_repo: Path, traces: Path) -> None:
    import sqlite3

    summary(sg, empty_repo, str(traces))
    db = Repo.discover(empty_repo).state_dir / "evidence.db"
    with sqlite3.connect(db) as con:
        con.execute("PRAGMA user_version = 99")
    before = db.read_bytes()
    result = sg(empty_repo, "metrics")
    assert result.code == 4 and "written by a newer skillgit (evidence schema 99" in result.err
    assert db.read_bytes() == before


def test_a_file_that_fails_to_open_is_counted_as_unreadable(sg, empty_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The chmod 000 case for any user (root reads through permissions): the open itself fails."""
    import skillgit.evidence.ingest as ingest_module

    path = tmp_path / "locked.jsonl"
    shutil.copyfile(SAMPLES / "traces" / "claude_code_subagent_error.jsonl", path)

    def denied(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(ingest_module, "open_regular", denied)
    result = sg(empty_repo, "ingest", str(path))
    assert result.code == 0
    assert f"skillgit: warning: {path}: unreadable (Permission denied)" in result.err
    assert sg(empty_repo, "ingest", "--strict", str(path)).code == 1


def touch_all(paths: list[Path]) -> None:
    """Rewrite the same bytes: a new mtime, so ingest reads them again."""
    for path in paths:
        path.write_bytes(path.read_bytes())


def test_a_file_read_again_replaces_its_sessions(sg, empty_repo: Path, traces: Path) -> None:
    first = summary(sg, empty_repo, str(traces))
    before = load_sessions(Repo.discover(empty_repo))
    touch_all([p for p in traces.rglob("*.json*") if "codex" not in p.parts])
    again = summary(sg, empty_repo, str(traces))
    assert (again["files_read"], again["files_cached"], again["sessions"]) == (6, 1, first["sessions"])
    assert load_sessions(Repo.discover(empty_repo)) == before
    assert len(load_learnings(Repo.discover(empty_repo))) == 8




def test_a_long_ingest_on_a_terminal_shows_a_progress_bar(sg, empty_repo: Path, traces: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from skillgit.cli import evidence

    monkeypatch.setattr(evidence, "PROGRESS_MIN_BYTES", 0)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    result = sg(empty_repo, "ingest", str(traces))
    assert result.code == 0
    assert "ingesting" in result.err and "100%" in result.err
    assert "4 session(s)" in result.out


def test_lone_surrogates_in_a_trace_are_stored_as_replacement_characters(sg, empty_repo: Path, tmp_path: Path) -> None:
    """JSON lets a string hold half of a surrogate pair (an escape, or its UTF-8 bytes), as a tool that cut a string
    between the halves writes it; UTF-8, which the store keeps its text in, cannot. The session is kept, each
    lone half becoming U+FFFD, and a whole pair stays the character it escapes."""
    text = (SAMPLES / "traces" / "claude_code_subagent_error.jsonl").read_text()
    escaped = tmp_path / "escaped.jsonl"
    escaped.write_text(text.replace('"pattern":"Config.load"', '"pattern":"Config\\ud800.load \\ud83d\\ude00"')
                       .replace('"file_path":"notes.md"', '"file_path":"notes\\uDC80.md"'))
    encoded = tmp_path / "encoded.jsonl"
    encoded.write_bytes(text.replace('"pattern":"Config.load"', '"pattern":"Config\x00.load"').replace("5b1f0c2e-", "6b1f0c2e-").encode()
                        .replace(b"\x00", b"\xed\xa0\x80"))  # a surrogate's UTF-8 bytes: json.loads of bytes lets it pass
    for path in (escaped, encoded):
        result = sg(empty_repo, "ingest", "--json", str(path))
        assert result.code == 0, result
        assert json.loads(result.out)["sessions"] == 1
    sessions = load_sessions(Repo.discover(empty_repo))
    args = sorted(json.dumps(c.args, ensure_ascii=False) for s in sessions for c in s.tool_calls)
    assert any("Config\ufffd.load \U0001f600" in a for a in args)
    assert any("notes\ufffd.md" in a for a in args)
    assert any("Config\ufffd.load\"" in a for a in args)
    assert sg(empty_repo, "metrics", "--json").code == 0


def test_a_trace_file_whose_name_is_not_utf8_is_left_with_a_warning_and_the_rest_ingested(sg, empty_repo: Path, tmp_path: Path) -> None:
    folder = tmp_path / "traces"
    folder.mkdir()
    shutil.copyfile(SAMPLES / "traces" / "claude_code_not_json_line.jsonl", folder / "good.jsonl")
    bad = os.fsdecode(os.path.join(os.fsencode(folder), b"bad-\xff.jsonl"))
    shutil.copyfile(SAMPLES / "traces" / "claude_code_subagent_error.jsonl", bad)
    result = sg(empty_repo, "ingest", "--json", str(folder))
    assert result.code == 0, result
    data = json.loads(result.out)
    assert data["sessions"] == 1 and data["files_read"] == 1
    assert data["warnings"] == [f"{folder}/bad-\\xff.jsonl: not ingested: its name is not valid UTF-8, which the evidence"
                                " store keeps paths in; rename it to ingest it."]
    assert "bad-\\xff.jsonl: not ingested" in sg(empty_repo, "ingest", str(folder)).err


def test_a_lone_surrogate_found_by_a_worker_or_in_appended_lines_is_mended_too(sg, empty_repo: Path, tmp_path: Path) -> None:
    """A reading is made without looking for lone surrogates (a pass over every line); one the store refuses is
    made again looking. That holds for a file read by a worker process and for lines appended since the last
    ingest, read on from the state kept."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from gen_traces import generate

    traces = tmp_path / "traces"
    generate(traces, 17 << 20, seed=3)  # over PARALLEL_MIN_BYTES: read by workers
    target = next(p for p in sorted((traces / "claude").rglob("*.jsonl")) if "subagents" not in p.parts)
    target.write_text(target.read_text().replace('"command": "', '"command": "\\ud800', 1))
    assert "\\ud800" in target.read_text()
    serial = tmp_path / "serial"
    shutil.copytree(empty_repo, serial)
    for repo, jobs in ((empty_repo, "2"), (serial, "1")):
        result = sg(repo, "ingest", "--json", "--jobs", jobs, str(traces))
        assert result.code == 0, result
    exports = [sg(repo, "ingest", "--export", "-").out for repo in (empty_repo, serial)]
    assert exports[0] == exports[1] and "\\ufffd" in exports[0]  # the export escapes what is not ASCII
    good = tmp_path / "grown.jsonl"
    shutil.copyfile(SAMPLES / "traces" / "claude_code_not_json_line.jsonl", good)
    assert sg(empty_repo, "ingest", str(good)).code == 0
    last = good.read_text().splitlines()[-1]
    with good.open("a") as out:  # the last line again, its tool-use id lone-surrogated
        out.write(last.replace('"id":"', '"id":"\\udc80', 1).replace('"tool_use_id":"', '"tool_use_id":"\\udc80', 1) + "\n")
    result = sg(empty_repo, "ingest", "--json", str(good))
    assert result.code == 0, result
    assert json.loads(result.out)["files_appended"] == 1
