"""`diagnose NAME` over the evidence store: the findings are those found from every session held in memory,
and what it holds does not grow with what it prints (the failures of each finding, the commands that worked)."""

from __future__ import annotations

import json
import os
import subprocess
import tracemalloc
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from test_evidence_reads import generated_repo

from skillgit.evidence.attribution import Catalog
from skillgit.evidence.diagnosis import diagnose, stored_diagnosis
from skillgit.evidence.ingested import Ingested
from skillgit.evidence.session import Facts
from skillgit.evidence.store import load_sessions
from skillgit.git import Repo
from skillgit.workspace import Workspace

CONFIG_EXTRA = "diagnosis:\n  failure_min_sessions: 2\n  absent_min_sessions: 1\n"
"""Thresholds low enough that the small generated store gives findings of every pattern."""


def lowered(repo: Path) -> Workspace:
    config = repo / "skillgit.yaml"
    config.write_text(config.read_text() + CONFIG_EXTRA)
    return Workspace.open(repo)


def test_diagnose_from_the_store_finds_what_every_session_in_memory_gives(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from skillgit.cli.evidence import run_diagnose

    repo = generated_repo(tmp_path)
    ws = lowered(repo)
    sessions = load_sessions(Repo.discover(repo), ws.config)
    patterns: set[str] = set()
    quoted = 0
    for name in Catalog(ws).names:
        in_memory = diagnose(ws, name, sessions)  # every session loaded whole and attributed again
        with Ingested.open(ws) as ev:
            assert list(stored_diagnosis(ws, ev, name)) == in_memory
        capsys.readouterr()
        run_diagnose(repo, name, True)
        assert capsys.readouterr().out == json.dumps([f.to_json() for f in in_memory], indent=2) + "\n"
        patterns.update(f.pattern for f in in_memory)
        quoted += sum(1 for f in in_memory if f.pattern == "repeated-failure" and f.working_command)
    assert {"retry", "repeated-failure", "docless", "absent-command"} <= patterns
    assert quoted  # some repeated failure quotes a command that worked: read back from the store


class Replayed:
    """The store's facts of a skill, each session given `times` times under new ids (as if the store had
    `times` times as many sessions), what worked read from the store."""

    def __init__(self, ev: Ingested, times: int) -> None:
        self.ev, self.times = ev, times
        self.catalog = ev.catalog

    def skill_rows(self, skill: str, *, count_weak: bool, version: str | None = None
                   ) -> Iterator[tuple[int, str, str | None]]:
        return self.ev.skill_rows(skill, count_weak=count_weak, version=version)

    def facts_at(self, skill: str, rows: Iterable[tuple[int, str, str | None]]
                 ) -> Iterator[tuple[int | None, str, str | None, Facts, list[str]]]:
        rows = list(rows)
        for copy in range(self.times):
            for row, sid, outcome, facts, hits in self.ev.facts_at(skill, rows):
                yield row, f"{sid}~{copy}", outcome, facts, hits

    def worked(self, rows: Sequence[int]) -> Iterator[dict[str, dict[str, int]]]:
        return self.ev.worked(rows)


def heap_peak(ws: Workspace, name: str, times: int) -> tuple[int, int, int]:
    """(the Python heap's peak while `diagnose` of `name` over `times` copies of the store's sessions is read a
    finding at a time, findings, evidence lines), the similarity cache emptied first (it is bounded)."""
    from skillgit.evidence.commandtext import similar

    similar.cache_clear()
    with Ingested.open(ws) as ev:
        tracemalloc.start()
        try:
            findings = lines = 0
            for finding in stored_diagnosis(ws, Replayed(ev, times), name):
                findings += 1
                lines += len(finding.evidence)
            return tracemalloc.get_traced_memory()[1], findings, lines
        finally:
            tracemalloc.stop()


def test_diagnose_from_the_store_holds_what_it_prints_a_finding_at_a_time(tmp_path: Path) -> None:
    ws = lowered(generated_repo(tmp_path))
    name = "release"
    with Ingested.open(ws) as ev:
        sessions = len(ev.used(name, count_weak=False))
    small, findings, lines = heap_peak(ws, name, 2)
    large, findings_large, lines_large = heap_peak(ws, name, 16)
    assert findings_large == findings > 20 and lines_large > 7 * lines > 7 * 100
    # 14 × the sessions more: each new session id is held (the sessions a finding lists), about 200 bytes, and
    # each failed call as 4 numbers (16 bytes) — not as text: an item and a line of a finding held until the end
    # would be over 150 bytes each
    assert large - small < 300 * 14 * sessions + 48 * (lines_large - lines), (small, large, sessions, lines)


def test_the_bucket_of_a_command_is_its_first_two_words_after_cd_dir_and_and() -> None:
    """`head` in one regular expression, `core` a match: as the substitution and the split they replace."""
    import random
    import re

    from skillgit.evidence.commandtext import _CD, core, head

    pieces = ["cd", "cd ", " cd", "&&", "&", " && ", "'a b'", '"x y"', "'", '"', "/work", "ls", "-la", " ", "\t",
              "\n", "\x1c", "\u00a0", "\u2003", "git", "status", "x&&y", "cd/x", "é"]
    texts = ["", "cd /work && ", "cd /work &&", "cd a && cd 'b c' && git status -s", "  ls  -la  ", "cd x&&y z"]
    rng = random.Random(3)
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randrange(9))) for _ in range(50_000)]
    for text in texts:
        assert core(text) == re.sub(_CD, "", text), text
        assert head(text) == " ".join(re.sub(_CD, "", text).split()[:2]), text


def test_the_cycle_diagnoses_a_skills_current_version_from_the_store_as_from_its_sessions_facts(tmp_path: Path) -> None:
    """The cycle's findings (read from the store a session at a time, of the version in effect) are those of
    `diagnose` given the facts of every session of that version."""
    from skillgit.cycle.evidence import gather

    repo = generated_repo(tmp_path)
    skill = repo / "skills" / "release" / "SKILL.md"
    skill.write_text(skill.read_text() + "\nCheck the tree first.\n")
    git = ["git", "-C", str(repo), "-c", "user.name=M", "-c", "user.email=m@example.com"]
    subprocess.run([*git, "commit", "-qam", "release: check the tree first"], check=True,
                   env={**os.environ, "GIT_AUTHOR_DATE": "2026-03-01T02:00:00Z", "GIT_COMMITTER_DATE": "2026-03-01T02:00:00Z"})
    ws = lowered(repo)
    with Ingested.open(ws) as ev:
        evidence = gather(ws, ev)
        versions = 0
        for name in ev.catalog.names:
            entry = ev.catalog.entries[name]
            version = entry.blob if ev.has_uses(name, entry.blob) else None
            versions += version is not None
            ids = ev.used(name, count_weak=False, version=version)
            expected = diagnose(ws, name, catalog=ev.catalog, facts=ev.facts(name, ids))
            assert evidence.findings(ws, name) == expected
        assert versions and any(evidence.findings(ws, name) for name in ev.catalog.names)
