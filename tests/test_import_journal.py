"""`skillgit import-journal` reads yoyo's real journals into a report and changes nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import CORPUS, CORPUS_FIX, needs, snapshot

JOURNALS = sorted((CORPUS / "yoyo").glob("*_journal.md")) if CORPUS.exists() else []


@needs(JOURNALS, f"the journals in yoyo/ of {CORPUS_FIX}")
@pytest.mark.parametrize("journal", JOURNALS, ids=lambda p: p.name)
def test_real_yoyo_journals_become_event_reports(sg, managed_repo: Path, journal: Path) -> None:
    target = managed_repo / "skills" / "_journal.md"
    shutil.copy(journal, target)
    before = snapshot(managed_repo)
    result = sg(managed_repo, "import-journal", "--json")
    assert result.code == 0, result
    entries = json.loads(result.out)
    headings = [line for line in journal.read_text().splitlines() if line.startswith("## ") and " evt-" in line]
    assert len(entries) == len(headings)
    assert entries[0]["id"] == "evt-0000" and entries[0]["event"] == "init"
    assert all(e["event"] is not None for e in entries)
    # yoyo's predictions are prose: none of them is a checkable Skill-Expected
    assert {e["expected_status"] for e in entries if e["expected"]} == {"prose"}
    assert snapshot(managed_repo) == before


def test_a_missing_journal_is_a_usage_error(sg, managed_repo: Path) -> None:
    result = sg(managed_repo, "import-journal", "nope.md")
    assert result.code == 2
    assert "no such journal" in result.err
