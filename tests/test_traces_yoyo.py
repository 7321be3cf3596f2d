"""yoyo audit logs: the corpus files put back into their real `sessions/<day>/` layout."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import CORPUS, CORPUS_FIX, needs

from skillgit.evidence.adapters.lines import ReadReport
from skillgit.evidence.adapters.registry import detect
from skillgit.evidence.adapters.yoyo import ADAPTER
from skillgit.evidence.session import Learning, Session, SkillUse

YOYO = CORPUS / "yoyo"
pytestmark = needs(YOYO.is_dir(), f"yoyo/ of {CORPUS_FIX}")
DAY165 = "day-165-20260812T091434Z"
DAY172 = "day-172-20260819T164708Z"
DAY100 = "day-100-20260608T003408Z"


def unflatten(root: Path) -> Path:
    """`repo@branch__sessions__day__audit.jsonl` → root/sessions/day/audit.jsonl (and memory/learnings.jsonl)."""
    for source in YOYO.iterdir():
        name = source.name.split("@", 1)[-1].split("__", 1)[-1] if "@" in source.name else source.name.split("__", 1)[-1]
        parts = name.split("__")
        if parts[0] not in ("sessions", "memory"):
            continue
        target = root.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return root


def read(path: Path) -> tuple[list[Session | Learning], ReadReport]:
    report = ReadReport()
    return list(ADAPTER.read(path, report)), report


def test_the_corpus_layout_is_rebuilt(tmp_path: Path) -> None:
    root = unflatten(tmp_path)
    assert (root / "sessions" / DAY165 / "audit.jsonl").is_file()
    assert (root / "sessions" / DAY165 / "outcome.json").is_file()
    assert (root / "memory" / "learnings.jsonl").is_file()


def test_a_day_with_audit_and_outcome_is_one_session(tmp_path: Path) -> None:
    root = unflatten(tmp_path)
    (session,), report = read(root / "sessions" / DAY165 / "audit.jsonl")
    assert isinstance(session, Session)
    assert (session.id, session.source, session.outcome) == (DAY165, "yoyo", "success")
    assert len(session.tool_calls) == 11
    assert session.meta["outcome"]["tasks_succeeded"] == 2 and session.meta["day"] == 165
    assert session.started == datetime(2026, 8, 12, 9, 22, 42, tzinfo=UTC)
    assert session.ended == datetime(2026, 8, 12, 11, 0, 29, tzinfo=UTC)
    assert report.skipped == 0 and report.depends == [root / "sessions" / DAY165 / "outcome.json"]


def test_audit_lines_with_success_false_are_failed_calls(tmp_path: Path) -> None:
    root = unflatten(tmp_path)
    (session,), _ = read(root / "sessions" / DAY165 / "audit.jsonl")
    failed = [c for c in session.tool_calls if c.ok is False]
    assert [c.name for c in failed] == ["edit_file", "bash", "edit_file"]
    assert failed[1].duration_ms == 173990
    assert failed[1].command.startswith("bash: cd /home/runner/work/yyds-harness")


def test_a_read_of_a_skill_file_is_kept_as_a_tool_call_with_its_path(tmp_path: Path) -> None:
    root = unflatten(tmp_path)
    (session,), _ = read(root / "sessions" / DAY165 / "audit.jsonl")
    assert session.tool_calls[0].args == {"path": "skills/self-assess/SKILL.md"}
    assert session.skills == ()


def test_the_newer_outcome_keys_are_kept_in_meta(tmp_path: Path) -> None:
    root = unflatten(tmp_path)
    (session,), _ = read(root / "sessions" / DAY172 / "audit.jsonl")
    assert session.outcome == "success"
    assert session.meta["outcome"]["applied_pattern_keys"] == ["absence.reserve-explicit-value", "ledger.validate_handwritten_line_against_reader"]


def test_an_outcome_without_an_audit_log_is_a_session_without_tool_calls(tmp_path: Path) -> None:
    root = unflatten(tmp_path)
    (session,), _ = read(root / "sessions" / DAY100 / "outcome.json")
    assert (session.id, session.outcome, session.tool_calls) == (DAY100, "success", ())


def test_an_outcome_beside_its_audit_log_yields_nothing_on_its_own(tmp_path: Path) -> None:
    root = unflatten(tmp_path)
    assert read(root / "sessions" / DAY165 / "outcome.json")[0] == []


@pytest.mark.parametrize(
    ("change", "outcome"),
    [
        ({}, "success"),
        ({"build_ok": False}, "failure"),
        ({"test_ok": False}, "failure"),
        ({"reverted": True}, "failure"),
        ({"tasks_attempted": 2, "tasks_succeeded": 0}, "failure"),
        ({"tasks_attempted": 0, "tasks_succeeded": 0}, "success"),
    ],
)
def test_the_outcome_rule(tmp_path: Path, change: dict[str, object], outcome: str) -> None:
    root = unflatten(tmp_path)
    path = root / "sessions" / DAY165 / "outcome.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **change}))
    (session,), _ = read(root / "sessions" / DAY165 / "audit.jsonl")
    assert session.outcome == outcome


def test_an_outcome_with_wrong_types_is_reported_and_leaves_the_outcome_unknown(tmp_path: Path) -> None:
    root = unflatten(tmp_path)
    (root / "sessions" / DAY165 / "outcome.json").write_text('{"build_ok": "yes", "test_ok": true}')
    (session,), report = read(root / "sessions" / DAY165 / "audit.jsonl")
    assert session.outcome is None
    assert report.counts == {"wrong-type": 1}


def test_a_stamped_skill_version_on_an_audit_line_is_a_stamped_use(tmp_path: Path) -> None:
    path = tmp_path / "sessions" / "day-1" / "audit.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"tool": "bash", "args": {}, "success": True, "skill": "social", "skill_version": "b" * 40}) + "\n")
    (session,), _ = read(path)
    assert session.skills == (SkillUse("social", "stamped", "b" * 40),)


def test_learnings_keep_pattern_keys_and_skill_names(tmp_path: Path) -> None:
    root = unflatten(tmp_path)
    learnings, report = read(root / "memory" / "learnings.jsonl")
    assert len(learnings) == 8 and report.skipped == 0
    keys = [x.pattern_key for x in learnings if isinstance(x, Learning)]
    assert keys.count("skill-evolve.keyword_noise") == 4
    first = learnings[0]
    assert isinstance(first, Learning) and first.day == 12 and first.origin.endswith("learnings.jsonl:1")
    path = tmp_path / "more.jsonl"
    path.write_text(json.dumps({"title": "t", "takeaway": "x", "skills": ["social", "family"]}) + "\n")
    (extra,), _ = read(path)
    assert isinstance(extra, Learning) and (extra.skill, extra.skills) == ("social", ("social", "family"))


@pytest.mark.parametrize("name", ["audit.jsonl", "outcome.json", "learnings.jsonl"])
def test_yoyo_files_are_detected_by_name_and_content(tmp_path: Path, name: str) -> None:
    root = unflatten(tmp_path)
    path = next(root.rglob(name))
    adapter = detect(path, path.read_bytes()[:8192])
    assert adapter is not None and adapter.name == "yoyo"


def test_an_audit_log_state_keeps_its_outcome_and_reads_it_again_only_when_it_changed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pickle

    from skillgit.evidence.adapters import lines, yoyo
    from skillgit.evidence.adapters.lines import feed

    day = tmp_path / "sessions" / "day-1"
    day.mkdir(parents=True)
    audit, outcome = day / "audit.jsonl", day / "outcome.json"
    audit.write_text('{"ts": "2026-03-04T14:45:33Z", "tool": "bash", "args": {}, "success": true, "duration_ms": 5}\n')
    outcome.write_text(json.dumps({"build_ok": True, "test_ok": True, "day": 1}))
    reader, report = ADAPTER.reader(audit), ReadReport()
    assert reader is not None
    feed(audit, report, reader)
    state = pickle.dumps(reader)
    assert reader.flush(report).records[0].outcome == "success"
    kept = pickle.loads(state)
    with monkeypatch.context() as patched:  # unchanged: not opened again (only its stat is looked at)
        for module in (lines, yoyo):
            patched.setattr(module, "open_regular", lambda path: pytest.fail(f"{path} opened"))
        (session,) = kept.flush(ReadReport()).records
    assert (session.outcome, session.meta["day"]) == ("success", 1)
    outcome.write_text(json.dumps({"build_ok": False, "test_ok": True, "day": 1, "note": "rewritten"}))
    again = ReadReport()
    (session,) = pickle.loads(state).flush(again).records
    assert session.outcome == "failure" and session.meta["outcome"]["note"] == "rewritten"
    outcome.write_text("{not json")
    (session,) = pickle.loads(state).flush(again).records
    assert session.outcome is None and again.counts
