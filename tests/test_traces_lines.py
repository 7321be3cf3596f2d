"""The lenient line reader: every kind of bad line is skipped, counted with file:line, never raised."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import SAMPLES, not_applicable

from skillgit.evidence.adapters.lines import (
    ReadReport,
    clip,
    iter_json,
    parse_time,
    read_json_file,
)

BAD = SAMPLES / "traces"


def lines_of(path: Path, report: ReadReport) -> list[int]:
    return [number for number, _ in iter_json(path, report)]


@pytest.mark.parametrize(
    ("sample", "good", "skipped"),
    [
        ("claude_code_truncated_line.jsonl", [1, 2], [(3, "truncated")]),
        ("claude_code_not_json_line.jsonl", [1, 3], [(2, "not-json")]),
        ("claude_code_wrong_type_line.jsonl", [1, 2, 4], [(3, "wrong-type")]),
        ("claude_code_binary_bytes.jsonl", [1, 4], [(2, "binary"), (3, "binary")]),
        ("empty.jsonl", [], [(0, "empty")]),
    ],
)
def test_bad_lines_are_skipped_with_their_line_and_reason(sample: str, good: list[int], skipped: list[tuple[int, str]]) -> None:
    report = ReadReport()
    assert lines_of(BAD / sample, report) == good
    assert [(s.line, s.reason) for s in report.examples] == skipped
    assert all(s.file == str(BAD / sample) for s in report.examples)


def test_a_line_over_the_limit_is_skipped_without_holding_it(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    with path.open("wb") as out:
        out.write(b'{"a": 1}\n{"blob": "' + b"x" * (50 * 1024 * 1024) + b'"}\n{"b": 2}\n')
    report = ReadReport(max_line_bytes=16 * 1024 * 1024)
    assert lines_of(path, report) == [1, 3]
    assert report.counts == {"too-long": 1}
    assert str(report.examples[0]) == f"{path}:2: too-long (over 16777216 bytes)"


def test_blank_lines_crlf_and_a_bom_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "crlf.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"a": 1}\r\n\r\n   \n{"b": 2}\r\n')
    report = ReadReport()
    assert lines_of(path, report) == [1, 4]
    assert report.skipped == 0


def test_a_missing_file_is_an_unreadable_file(tmp_path: Path) -> None:
    report = ReadReport()
    assert lines_of(tmp_path / "gone.jsonl", report) == []
    assert report.counts == {"unreadable": 1}


@not_applicable(os.geteuid() == 0, "root can read a chmod 000 file")
def test_a_file_without_read_permission_is_an_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "locked.jsonl"
    path.write_text('{"a": 1}\n')
    path.chmod(0)
    report = ReadReport()
    assert lines_of(path, report) == []
    assert report.counts == {"unreadable": 1}


def test_deeply_nested_json_is_not_json_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_text("[" * 100_000 + "\n")
    report = ReadReport()
    assert lines_of(path, report) == []
    assert report.skipped == 1


def test_a_whole_file_json_object_is_read_and_garbage_reported(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text('{\n  "build_ok": true\n}')
    bad.write_text('{\n  "build_ok": tr')
    report = ReadReport()
    assert read_json_file(good, report) == {"build_ok": True}
    assert read_json_file(bad, report) is None
    assert report.counts == {"truncated": 1}


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2026-08-19T15:36:25", "2026-08-19T15:36:25+00:00"),
        ("2026-03-12T17:14Z", "2026-03-12T17:14:00+00:00"),
        ("2026-02-02T06:01:26.443Z", "2026-02-02T06:01:26.443000+00:00"),
        ("2026-02-02T08:01:26+02:00", "2026-02-02T08:01:26+02:00"),
        (1787331739974, "2026-08-21T17:02:19.974000+00:00"),
    ],
)
def test_times_are_aware_and_naive_times_are_utc(text: object, iso: str) -> None:
    parsed = parse_time(text)
    assert parsed is not None and parsed.isoformat() == iso


@pytest.mark.parametrize("value", ["yesterday", None, [], {"t": 1}])
def test_unparseable_times_are_none(value: object) -> None:
    assert parse_time(value) is None


def test_clipping_is_idempotent() -> None:
    once = clip("y" * 10_000)
    assert len(once) <= 4096 and clip(once) == once


def test_reading_up_to_a_limit_gives_what_one_read_of_the_limit_gives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from skillgit.evidence.adapters.lines import read_upto

    path = tmp_path / "outcome.json"
    for size in (0, 1, 9, 10, 11, 4096):
        path.write_bytes(b"x" * size)
        for limit in (1, 10, 11, 12, 5000):
            with path.open("rb") as one, path.open("rb") as other:
                assert read_upto(one, limit) == other.read(limit)
    # a file that grew after its size was read: the rest is read too, up to the limit
    path.write_bytes(b"y" * 100)
    real = os.fstat
    monkeypatch.setattr(os, "fstat", lambda fd: os.stat_result((*real(fd)[:6], 10, *real(fd)[7:])))
    for limit in (5, 11, 12, 50, 101, 200):
        with path.open("rb") as handle:
            assert read_upto(handle, limit) == b"y" * min(100, limit)
