"""skillgit's own session JSONL: the schema, lenient reading, and lossless round trips."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from skillgit.evidence import db
from skillgit.evidence.adapters.lines import Batch, ReadReport
from skillgit.evidence.adapters.native import (
    ADAPTER,
    learning_to_dict,
    session_from_dict,
    session_to_dict,
    write_jsonl,
)
from skillgit.evidence.adapters.registry import detect
from skillgit.evidence.rows import Written
from skillgit.evidence.session import Learning, Session, SkillUse, ToolCall
from skillgit.evidence.store import Store
from skillgit.schemas import schema_errors

text = st.text(max_size=20)
times = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)) | st.none()
json_values = st.recursive(st.none() | st.booleans() | st.integers(-10**9, 10**9) | text, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3), max_leaves=8)
calls = st.builds(
    ToolCall,
    name=st.text(min_size=1, max_size=10),
    args=st.dictionaries(text, json_values, max_size=3),
    ok=st.none() | st.booleans(),
    ts=times,
    duration_ms=st.none() | st.integers(0, 10**9),
    error=st.none() | text,
    exit_code=st.none() | st.integers(-255, 255),
)
skills = st.builds(SkillUse, name=st.text(min_size=1, max_size=10), how=st.sampled_from(["invoked", "stamped", "read", "keyword"]),
                   version=st.none() | st.text(alphabet="0123456789abcdef", min_size=40, max_size=40), full_name=st.none() | text)
sessions = st.builds(
    Session,
    id=st.text(min_size=1, max_size=20),
    source=st.sampled_from(["yoyo", "claude-code", "otlp", "codex", "skillgit"]),
    origin=text,
    started=times,
    ended=times,
    outcome=st.sampled_from([None, "success", "failure"]),
    tool_calls=st.lists(calls, max_size=4).map(tuple),
    skills=st.lists(skills, max_size=2).map(tuple),
    final_message=st.none() | text,
    turns=st.integers(0, 1000),
    meta=st.dictionaries(text, json_values, max_size=3),
)


@settings(max_examples=150, deadline=None)
@given(sessions)
def test_a_session_survives_json_and_matches_the_schema(session: Session) -> None:
    data = json.loads(json.dumps(session_to_dict(session)))
    assert schema_errors(data, "session") == []
    assert session_from_dict(data) == session


def test_a_session_survives_the_evidence_store(tmp_path: Path) -> None:
    store = Store(tmp_path / "evidence.db", db.connect(tmp_path / "evidence.db"))
    count = iter(range(10**6))

    @settings(max_examples=150, deadline=None)
    @given(sessions)
    def survives(session: Session) -> None:
        path = f"/traces/{next(count)}.jsonl"
        store.put([Written(path, "skillgit", [1, 2, 3], False, None, [Batch([session], frozenset())], {}, 0, 0, None,
                           {}, None, {}, [])])
        assert store.con is not None
        (row,) = store.con.execute("SELECT s.id FROM sessions s JOIN sources src ON src.id = s.source_id WHERE src.path = ?",
                                   (path,)).fetchone()
        assert list(store.sessions([row])) == [session]

    survives()
    store.close()


def test_an_exported_file_validates_and_reads_back_equal(tmp_path: Path) -> None:
    started = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    session = Session(
        id="s1", source="claude-code", origin="a.jsonl:1", started=started, ended=started + timedelta(minutes=3), outcome="failure",
        tool_calls=(ToolCall("Bash", {"command": "make"}, False, started, 1200, "Exit code 2", 2),),
        skills=(SkillUse("brainstorming", "invoked", None, "superpowers:brainstorming"),), final_message="done", turns=4, meta={"cwd": "/w"},
    )
    learning = Learning("t", ts=started, type="lesson", pattern_key="k.x", skill="social", origin="l.jsonl:3", skills=("social",), day=9)
    out = io.StringIO()
    assert write_jsonl(out, [session, learning]) == 2
    path = tmp_path / "export.jsonl"
    path.write_text(out.getvalue())
    for line in out.getvalue().splitlines():
        assert schema_errors(json.loads(line), "session") == []
    assert detect(path, path.read_bytes()) is ADAPTER
    report = ReadReport()
    assert list(ADAPTER.read(path, report)) == [session, learning]
    assert report.skipped == 0


def test_a_line_without_kind_is_a_session_and_bad_shapes_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "runtime.jsonl"
    lines = [
        {"kind": "session", "id": "a", "source": "my-runtime", "skills": [{"name": "pdf", "how": "stamped", "version": "d" * 40}]},
        {"id": "b", "source": "my-runtime"},
        {"kind": "session", "id": "c", "source": "x", "tool_calls": "nope"},
        {"kind": "session", "source": "x"},
        {"kind": "session", "id": "d", "source": "x", "outcome": "maybe"},
        {"kind": "mystery"},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    report = ReadReport()
    got = list(ADAPTER.read(path, report))
    assert [s.id for s in got if isinstance(s, Session)] == ["a", "b"]
    assert got[0].skills == (SkillUse("pdf", "stamped", "d" * 40),)
    assert [(s.line, s.reason) for s in report.examples] == [(3, "wrong-type"), (4, "wrong-type"), (5, "wrong-type"), (6, "wrong-type")]
    assert report.examples[1].detail == "missing field 'id'"


def test_the_schema_rejects_what_the_reader_rejects() -> None:
    assert schema_errors({"kind": "session", "id": "c", "source": "x", "outcome": "maybe"}, "session")
    assert schema_errors({"kind": "learning"}, "session")
    assert schema_errors(learning_to_dict(Learning("ok")), "session") == []
