"""The evidence database: files read on where they grew, two ingests and a reader at once (real
processes), schema migrations, and attribution kept in the store."""

from __future__ import annotations

import json
import pickle
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import IN_CI, ROOT, SAMPLES, git, require
from evidence_support import add_skill, dated, dated_repo, skill_text, write_lock_held

from skillgit.evidence.store import load_learnings, load_sessions
from skillgit.git import Repo

sys.path.insert(0, str(ROOT / "bench"))
from gen_traces import generate  # noqa: E402

SKILLGIT = [sys.executable, "-m", "skillgit"]


def traces(root: Path, size: int, seed: int = 11) -> Path:
    """Generated traces (Claude Code with subagents, yoyo days and learnings, OTLP batches) plus the
    Codex and stream-json samples: every line-based format."""
    generate(root, size, seed)
    shutil.copytree(SAMPLES / "traces" / "codex", root / "codex")
    shutil.copy(SAMPLES / "traces" / "claude-stream-json.jsonl", root / "run-1.jsonl")
    return root


def ingest(repo: Path, *paths: Path) -> dict:
    result = subprocess.run([*SKILLGIT, "-C", str(repo), "ingest", "--json", *map(str, paths)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def fresh_repo(root: Path) -> Path:
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    return root


def same_evidence(a: Path, b: Path) -> None:
    assert load_sessions(Repo.discover(a)) == load_sessions(Repo.discover(b))
    assert load_learnings(Repo.discover(a)) == load_learnings(Repo.discover(b))


def split(full: Path, part: Path) -> list[tuple[Path, bytes]]:
    """`part` as `full` with every JSON-lines file cut after half its lines; (path in part, the rest)."""
    rest = []
    for path in sorted(p for p in full.rglob("*") if p.is_file()):
        target = part / path.relative_to(full)
        target.parent.mkdir(parents=True, exist_ok=True)
        data = path.read_bytes()
        lines = data.splitlines(keepends=True)
        if path.suffix == ".jsonl" and len(lines) > 1:
            cut = len(lines) // 2
            target.write_bytes(b"".join(lines[:cut]))
            rest.append((target, b"".join(lines[cut:])))
        else:
            target.write_bytes(data)
    return rest


def test_files_that_grew_are_read_on_from_where_the_last_ingest_stopped(tmp_path: Path) -> None:
    full = traces(tmp_path / "full", 1 << 20)
    part = tmp_path / "part"
    rest = split(full, part)
    repo = fresh_repo(tmp_path / "repo")
    first = ingest(repo, part)
    for path, data in rest:
        with path.open("ab") as out:
            out.write(data)
    second = ingest(repo, part)
    assert second["files_appended"] == second["files_read"] == len(rest)
    assert second["bytes_read"] == sum(len(data) for _, data in rest)
    assert second["files_cached"] == first["files_read"] - len(rest)
    whole = fresh_repo(tmp_path / "whole")
    once = ingest(whole, part)
    for key in ("sessions", "learnings", "subagents_folded", "skipped"):
        assert second[key] == once[key]
    same_evidence(repo, whole)


def _transcript(*records: tuple[str, int, bool]) -> bytes:
    """Claude Code transcript lines: ("use", i, _) a test run `t{i}`; ("result", i, failed) its result."""
    lines = []
    for n, (kind, i, failed) in enumerate(records):
        ts = f"2026-01-01T00:00:{n:02d}Z"
        if kind == "use":
            block = {"type": "tool_use", "id": f"t{i}", "name": "Bash", "input": {"command": f"pytest -k case{i}"}}
            rec = {"type": "assistant", "sessionId": "s1", "timestamp": ts, "message": {"id": f"m{n}", "content": [block]}}
        else:
            block = {"type": "tool_result", "tool_use_id": f"t{i}", "is_error": failed,
                     "content": f"Exit code {i}\nfailed" if failed else "passed"}
            rec = {"type": "user", "sessionId": "s1", "timestamp": ts, "message": {"content": [block]}}
        lines.append(json.dumps(rec) + "\n")
    return "".join(lines).encode()


def test_a_transcript_read_on_keeps_only_the_calls_still_waiting_and_stores_what_a_whole_read_does(tmp_path: Path) -> None:
    first = [r for i in range(5) for r in (("use", i, False), ("result", i, False))] + [("use", 5, False)]
    more = [("result", 5, True), ("result", 1, True), ("use", 6, False), ("result", 2, False), ("result", 6, False)]
    folder = tmp_path / "traces"
    folder.mkdir()
    trace = folder / "s1.jsonl"
    trace.write_bytes(_transcript(*first))
    repo = fresh_repo(tmp_path / "repo")
    ingest(repo, folder)
    con = sqlite3.connect(Repo.discover(repo).state_dir / "evidence.db")
    try:
        (state,) = con.execute("SELECT state FROM reader_states").fetchone()
    finally:
        con.close()
    reader, _ = pickle.loads(state)
    assert [call[7] for call in reader.calls] == [5]  # the one waiting for its result
    with trace.open("ab") as out:
        out.write(_transcript(*first, *more)[len(trace.read_bytes()):])
    assert ingest(repo, folder)["files_appended"] == 1
    whole = fresh_repo(tmp_path / "whole")
    ingest(whole, folder)
    same_evidence(repo, whole)
    (session,) = load_sessions(Repo.discover(repo))
    assert [(c.ok, c.exit_code) for c in session.tool_calls][:3] == [(True, None), (False, 1), (True, None)]


def attributed(repo: Path) -> tuple[set[tuple], set[tuple], dict[str, str]]:
    """The evidence's roles and skill uses by session id (row ids differ between stores read in other
    orders), and the counts kept in `meta`."""
    con = sqlite3.connect(Repo.discover(repo).state_dir / "evidence.db")
    try:
        name = dict(con.execute("SELECT s.id, src.path || ' ' || s.session FROM sessions s JOIN sources src ON src.id = s.source_id"))
        roles = {(name[r], role, name.get(m), done) for r, role, m, done in con.execute(
            "SELECT id, role, merged_into, attributed FROM sessions")}
        uses = {(skill, name[r], *rest) for skill, r, *rest in con.execute("SELECT * FROM skill_uses")}
        meta = dict(con.execute("SELECT key, value FROM meta WHERE key IN ('settled', 'subagents', 'attributed_with')"))
        return roles, uses, meta
    finally:
        con.close()


def test_sessions_that_went_on_are_attributed_in_their_write_as_a_whole_read_attributes_them(tmp_path: Path) -> None:
    full = traces(tmp_path / "full", 1 << 20)
    part = tmp_path / "part"
    rest = split(full, part)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    repo = dated_repo(tmp_path / "a")
    ingest(repo, part)
    grown = [(path, data) for path, data in rest if "otel" not in path.parts]  # no new sessions: calls added
    for path, data in grown:
        with path.open("ab") as out:
            out.write(data)
    assert ingest(repo, part)["files_appended"] == len(grown)
    whole = dated_repo(tmp_path / "b")
    ingest(whole, part)
    roles, uses, meta = attributed(repo)
    assert uses and meta["settled"] == "1"
    assert (roles, uses, meta) == attributed(whole)
    same_evidence(repo, whole)


def test_sessions_attributed_as_they_are_read_are_attributed_as_a_refresh_of_the_whole_store_does(tmp_path: Path) -> None:
    source = traces(tmp_path / "traces", 2 << 20)
    shutil.copytree(source / "claude", source / "copy")  # the same sessions again: duplicates
    repo = dated_repo(tmp_path)
    assert ingest_with(repo, 2, source)["subagents_folded"] > 0
    roles, uses, meta = attributed(repo)
    assert uses and {role for _, role, _, _ in roles} == {"session", "subagent", "duplicate"}
    con = sqlite3.connect(Repo.discover(repo).state_dir / "evidence.db")
    with con:
        con.execute("UPDATE meta SET value = 'other skills' WHERE key = 'attributed_with'")
    con.close()
    assert subprocess.run([*SKILLGIT, "-C", str(repo), "metrics", "--json"], capture_output=True).returncode == 0
    assert attributed(repo) == (roles, uses, meta)


def test_uses_found_while_reading_are_dropped_when_the_store_is_attributed_with_other_skills(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from skillgit.evidence import ingested
    from skillgit.evidence.ingest import ingest_paths
    from skillgit.workspace import Workspace

    source = traces(tmp_path / "traces", 1 << 20)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    plain, other = dated_repo(tmp_path / "a"), dated_repo(tmp_path / "b")
    ingest_with(plain, 1, source)
    monkeypatch.setattr(ingested, "attributed_with", lambda catalog: lambda con: False)
    ws = Workspace.open(other)
    ingest_paths(ws.repo, ws.config, [source])
    roles, uses, meta = attributed(other)
    assert uses and meta["settled"] == "1"
    assert (roles, uses, meta) == attributed(plain)


def transcript_lines() -> list[bytes]:
    return (SAMPLES / "traces" / "claude-stream-json.jsonl").read_bytes().splitlines(keepends=True)


def test_a_last_line_still_being_written_is_read_once_it_is_complete(tmp_path: Path) -> None:
    lines = transcript_lines()
    path = tmp_path / "traces" / "run.jsonl"
    path.parent.mkdir()
    path.write_bytes(b"".join(lines[:5]) + lines[5][:40])
    repo = fresh_repo(tmp_path / "repo")
    assert ingest(repo, path)["skipped"] == {"truncated": 1}
    with path.open("ab") as out:
        out.write(lines[5][40:] + b"".join(lines[6:]))
    data = ingest(repo, path)
    assert (data["files_appended"], data["skipped"], data["sessions"]) == (1, {}, 1)
    whole = fresh_repo(tmp_path / "whole")
    ingest(whole, path)
    same_evidence(repo, whole)


@pytest.mark.parametrize("change", ["rewritten", "shorter"])
def test_a_file_whose_beginning_changed_is_read_again_whole(tmp_path: Path, change: str) -> None:
    lines = transcript_lines()
    path = tmp_path / "traces" / "run.jsonl"
    path.parent.mkdir()
    path.write_bytes(b"".join(lines))
    repo = fresh_repo(tmp_path / "repo")
    ingest(repo, path)
    if change == "rewritten":  # another run in the same file: same length or longer, other bytes first
        other = [line.replace(b"Bash", b"Grep") for line in lines]
        path.write_bytes(b"".join(other) + b"".join(lines[-2:]))
    else:
        path.write_bytes(b"".join(lines[:8]))
    data = ingest(repo, path)
    assert (data["files_read"], data["files_appended"], data["sessions"]) == (1, 0, 1)
    whole = fresh_repo(tmp_path / "whole")
    ingest(whole, path)
    same_evidence(repo, whole)


def test_two_ingests_at_once_both_finish_and_store_every_session_once(tmp_path: Path) -> None:
    source = traces(tmp_path / "traces", 3 << 20)
    repo = fresh_repo(tmp_path / "repo")
    cmd = [*SKILLGIT, "-C", str(repo), "ingest", "--json", str(source)]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outs]
    results = [json.loads(out) for out, _ in outs]
    alone = fresh_repo(tmp_path / "alone")
    single = ingest(alone, source)
    assert all(r["sessions"] == single["sessions"] for r in results)
    ids = [s.id for s in load_sessions(Repo.discover(repo))]
    assert len(ids) == len(set(ids))
    same_evidence(repo, alone)
    assert not list(Repo.discover(repo).state_dir.glob("*lock*"))  # SQLite's locking, no lock file of ours


def test_a_reader_during_an_ingest_sees_a_whole_store_every_time(tmp_path: Path) -> None:
    source = traces(tmp_path / "traces", 6 << 20)
    repo = dated_repo(tmp_path)
    ingest_proc = subprocess.Popen([*SKILLGIT, "-C", str(repo), "ingest", str(source)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
    seen: list[int] = []
    while ingest_proc.poll() is None:
        read = subprocess.run([*SKILLGIT, "-C", str(repo), "metrics", "--json"], capture_output=True, text=True)
        assert read.returncode == 0, read.stderr
        rows = json.loads(read.stdout)
        seen.append(rows[0]["sessions_considered"])
        assert all(r["sessions_considered"] == seen[-1] for r in rows)  # one snapshot for every skill
        time.sleep(0.05)
    assert ingest_proc.wait() == 0, ingest_proc.stderr.read() if ingest_proc.stderr else ""
    assert seen == sorted(seen) and len(seen) >= 2
    final = subprocess.run([*SKILLGIT, "-C", str(repo), "metrics", "--json"], capture_output=True, text=True, check=True)
    assert json.loads(final.stdout)[0]["sessions_considered"] == len(load_sessions(Repo.discover(repo)))


def test_an_older_schema_is_migrated_in_place_keeping_what_was_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from skillgit.evidence import db

    repo = fresh_repo(tmp_path / "repo")
    ingest(repo, SAMPLES / "traces" / "claude-stream-json.jsonl")
    before = load_sessions(Repo.discover(repo))
    extra = ("CREATE TABLE later_table (commit_id TEXT PRIMARY KEY, trailers TEXT NOT NULL)",)
    monkeypatch.setattr(db, "MIGRATIONS", (*db.MIGRATIONS, extra))
    monkeypatch.setattr(db, "SCHEMA_VERSION", len(db.MIGRATIONS))
    assert load_sessions(Repo.discover(repo)) == before
    with sqlite3.connect(db.db_path(Repo.discover(repo))) as con:
        assert con.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION
        assert con.execute("SELECT count(*) FROM later_table").fetchone()[0] == 0


def uses(repo: Path) -> list[tuple]:
    path = Repo.discover(repo).state_dir / "evidence.db"
    with sqlite3.connect(path) as con:
        return con.execute(
            "SELECT s.session, u.skill, u.strength, u.version FROM skill_uses u JOIN sessions s ON s.id = u.session"
            " ORDER BY 1, 2").fetchall()


def test_attribution_is_done_at_ingest_and_redone_only_for_a_changed_skill(tmp_path: Path) -> None:
    repo = dated_repo(tmp_path)
    v1 = add_skill(repo, "notes", skill_text("notes"), "2026-02-01")
    path = tmp_path / "traces" / "s.jsonl"
    path.parent.mkdir()
    records = [{"kind": "header", "format": "skillgit-sessions", "version": 1}] + [
        {"kind": "session", "id": f"s{i}", "source": "skillgit", "origin": f"s{i}:1", "started": f"2026-03-0{i}T10:00:00+00:00",
         "outcome": "success", "skills": [{"name": "notes", "how": "invoked"}, {"name": "release", "how": "invoked"}]}
        for i in range(1, 4)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    ingest(repo, path)
    stored = uses(repo)
    assert {(sid, skill, version) for sid, skill, _, version in stored if skill == "notes"} == {
        ("s1", "notes", v1), ("s2", "notes", v1), ("s3", "notes", v1)}
    subprocess.run([*SKILLGIT, "-C", str(repo), "metrics", "--json"], capture_output=True, check=True)
    assert uses(repo) == stored  # reading does not attribute again
    with dated("2026-03-02T12:00"):
        (repo / "skills" / "notes" / "SKILL.md").write_text(skill_text("notes", body="Twice.\n"), encoding="utf-8")
        git(repo, "commit", "-qam", "notes: twice")
    v2 = git(repo, "rev-parse", "HEAD:skills/notes/SKILL.md").strip()
    subprocess.run([*SKILLGIT, "-C", str(repo), "metrics", "--json"], capture_output=True, check=True)
    after = uses(repo)
    assert [u for u in after if u[1] == "notes"] == [("s1", "notes", "explicit", v1), ("s2", "notes", "explicit", v1),
                                                     ("s3", "notes", "explicit", v2)]
    assert [u for u in after if u[1] != "notes"] == [u for u in stored if u[1] != "notes"]


def test_the_store_is_one_file_under_git_skillgit_in_wal_mode(tmp_path: Path) -> None:
    repo = fresh_repo(tmp_path / "repo")
    ingest(repo, SAMPLES / "traces" / "claude-stream-json.jsonl")
    state = Repo.discover(repo).state_dir
    assert (state / "evidence.db").is_file() and not (state / "traces").exists()
    with sqlite3.connect(state / "evidence.db") as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_metrics_before_any_ingest_stores_no_evidence(tmp_path: Path) -> None:
    repo = dated_repo(tmp_path)
    result = subprocess.run([*SKILLGIT, "-C", str(repo), "metrics"], capture_output=True, text=True)
    assert result.returncode == 0 and "run `skillgit ingest" in result.stderr
    path = Repo.discover(repo).state_dir / "evidence.db"
    if path.exists():  # the event index may have made the file; it holds no evidence
        with sqlite3.connect(path) as con:
            for table in ("sources", "sessions", "skill_uses", "versions", "learnings"):
                assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table


def test_the_documented_queries_run_on_a_real_store(tmp_path: Path) -> None:
    import re

    repo = dated_repo(tmp_path)
    source = traces(tmp_path / "traces", 1 << 19)
    shutil.copy(SAMPLES / "traces" / "claude_code_not_json_line.jsonl", source / "bad.jsonl")
    ingest(repo, source)
    text = (ROOT / "docs" / "evidence-db.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sql\n(.*?)```", text, re.S)
    statements = [s.strip() for block in blocks for s in block.split(";") if s.strip()]
    assert len(statements) >= 8
    shell = shutil.which("sqlite3")
    if IN_CI:  # elsewhere the queries still run through the sqlite3 module
        require(shell, "the sqlite3 shell, to run the page's queries as it shows them (apt-get install sqlite3)")
    with sqlite3.connect(f"file:{Repo.discover(repo).state_dir / 'evidence.db'}?mode=ro", uri=True) as con:
        for statement in statements:
            rows = con.execute(statement).fetchall()
            assert rows, statement
            if shell:  # the same through the sqlite3 shell, as the page shows it
                out = subprocess.run([shell, "-readonly", str(Repo.discover(repo).state_dir / "evidence.db"), statement + ";"],
                                     capture_output=True, text=True)
                assert out.returncode == 0 and out.stdout.strip(), (statement, out.stderr)


def test_a_store_locked_by_another_process_past_the_wait_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sg) -> None:  # type: ignore[no-untyped-def]
    from skillgit.evidence import db

    repo = dated_repo(tmp_path)
    ingest(repo, SAMPLES / "traces" / "claude-stream-json.jsonl")
    with dated("2026-03-01"):  # a new HEAD: the next reader must write (the versions of the uses)
        (repo / "skills" / "release" / "SKILL.md").write_text(skill_text("release"), encoding="utf-8")
        git(repo, "commit", "-qam", "release: rewritten")
    path = Repo.discover(repo).state_dir / "evidence.db"
    with write_lock_held(path):
        monkeypatch.setattr(db, "BUSY_SECONDS", 0.2)
        result = sg(repo, "metrics")
    assert result.code == 4
    assert f"{path}: another skillgit process kept the evidence store locked" in result.err
    assert "run this again once it has finished" in result.err
    assert sg(repo, "metrics").code == 0


def test_an_otel_trace_that_goes_on_across_the_cut_reads_the_file_again_whole(tmp_path: Path) -> None:
    generate(tmp_path / "gen", 1 << 18, 3)
    line = json.loads(next((tmp_path / "gen" / "otel").glob("*.jsonl")).read_text().splitlines()[0])
    spans = line["resourceSpans"][0]["scopeSpans"][0]["spans"]
    half = len(spans) // 2

    def batch(part: list) -> str:
        return json.dumps({"resourceSpans": [{**line["resourceSpans"][0], "scopeSpans": [{"scope": {"name": "t"}, "spans": part}]}]})

    path = tmp_path / "traces" / "spans.jsonl"
    path.parent.mkdir()
    path.write_text(batch(spans[:half]) + "\n")
    repo = fresh_repo(tmp_path / "repo")
    ingest(repo, path)
    with path.open("a") as out:
        out.write(batch(spans[half:]) + "\n")
    data = ingest(repo, path)
    assert (data["files_read"], data["files_appended"], data["sessions"]) == (1, 0, 1)
    whole = fresh_repo(tmp_path / "whole")
    ingest(whole, path)
    same_evidence(repo, whole)
    (session,) = load_sessions(Repo.discover(repo))
    assert len(session.tool_calls) == sum(1 for s in spans if s["name"].startswith("execute_tool"))


def tables(repo: Path) -> dict[str, list[tuple]]:
    """Every row of every table of the repo's evidence database, in a fixed order; of the reader states,
    which sources have one (pickles of equal states may share objects differently: they are compared by
    what the next ingest reads with them)."""
    con = sqlite3.connect(Repo.discover(repo).state_dir / "evidence.db")
    try:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        out = {name: sorted(con.execute(f"SELECT * FROM {name}").fetchall(), key=repr) for name in names}
        out["reader_states"] = [row[:1] for row in out["reader_states"]]
        return out
    finally:
        con.close()


def ingest_with(repo: Path, jobs: int, *paths: Path) -> dict:
    result = subprocess.run([*SKILLGIT, "-C", str(repo), "ingest", "--json", "--jobs", str(jobs), *map(str, paths)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    del data["seconds"]
    return data  # type: ignore[no-any-return]


def test_files_read_by_several_processes_are_stored_as_one_process_stores_them(tmp_path: Path) -> None:
    source = traces(tmp_path / "traces", 2 << 20)
    bad = source / "bad"
    bad.mkdir()
    (bad / "empty.jsonl").write_bytes(b"")
    (bad / "other.jsonl").write_text('{"weather": "fine"}\n')
    (bad / "notes.txt").write_text("not a trace\n")
    (bad / "cut.jsonl").write_bytes(transcript_lines()[0] + transcript_lines()[1][:30])
    alone, workers = fresh_repo(tmp_path / "alone"), fresh_repo(tmp_path / "workers")
    first = ingest_with(alone, 1, source)
    assert first["skipped"] == {"empty": 1, "truncated": 1, "unknown-format": 1} and first["files_ignored"] == 1
    assert ingest_with(workers, 3, source) == first
    assert tables(workers) == tables(alone)
    # then some files grow, one is rewritten from its start, one is cut shorter, one is new
    files = sorted(p for p in source.rglob("*.jsonl") if p.stat().st_size > 0 and p.parent != bad)
    for path in files[::3]:
        with path.open("ab") as out:
            out.write(path.read_bytes().splitlines(keepends=True)[-1])
    rewritten, shorter = files[1], files[2]
    rewritten.write_bytes(b"".join(reversed(rewritten.read_bytes().splitlines(keepends=True))))  # same size
    shorter.write_bytes(b"".join(shorter.read_bytes().splitlines(keepends=True)[:2]))
    shutil.copy(files[0], source / "copy.jsonl")
    second = ingest_with(alone, 1, source)
    assert second["files_appended"] > 0 and second["files_read"] > second["files_appended"]
    assert ingest_with(workers, 3, source) == second
    assert tables(workers) == tables(alone)


def test_two_ingests_with_worker_processes_at_once_store_every_session_once(tmp_path: Path) -> None:
    source = traces(tmp_path / "traces", 3 << 20)
    repo = fresh_repo(tmp_path / "repo")
    cmd = [*SKILLGIT, "-C", str(repo), "ingest", "--json", "--jobs", "2", str(source)]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outs]
    alone = fresh_repo(tmp_path / "alone")
    single = ingest_with(alone, 1, source)
    assert all(json.loads(out)["sessions"] == single["sessions"] for out, _ in outs)
    same_evidence(repo, alone)
    again = ingest_with(repo, 2, source)
    assert (again["files_read"], again["files_cached"], again["sessions"]) == (0, single["files_read"], single["sessions"])
