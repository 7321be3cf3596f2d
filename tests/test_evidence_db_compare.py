"""The evidence database gives what the marshal pack store and the in-memory engine gave, on a
generated trace set: the same sessions and learnings, attributions, metrics (whole window and per
version), diagnosis findings, graded expectations, watch comparisons and the cycle's evidence —
read incrementally (half of every file, then the rest) and attributed before the skills changed."""

from __future__ import annotations

import json
import shutil
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES, git
from evidence_support import add_skill, dated, dated_repo, refine, sg, skill_text

from skillgit.evidence.legacy import attribution as old_attribution
from skillgit.evidence.legacy import diagnosis as old_diagnosis
from skillgit.evidence.legacy import expectations as old_expectations
from skillgit.evidence.legacy import gather as old_gather
from skillgit.evidence.legacy import ingest as old_ingest
from skillgit.evidence.legacy import metrics as old_metrics
from skillgit.evidence.legacy import store as old_store
from skillgit.evidence.legacy import watch as old_watch
from skillgit.workspace import Workspace

sys.path.insert(0, str(ROOT / "bench"))
from gen_traces import SKILLS, generate  # noqa: E402


def split(full: Path, part: Path) -> list[tuple[Path, bytes]]:
    rest = []
    for path in sorted(p for p in full.rglob("*") if p.is_file()):
        target = part / path.relative_to(full)
        target.parent.mkdir(parents=True, exist_ok=True)
        lines = path.read_bytes().splitlines(keepends=True)
        cut = len(lines) // 2 if path.suffix == ".jsonl" and len(lines) > 1 else len(lines)
        target.write_bytes(b"".join(lines[:cut]))
        if cut < len(lines):
            rest.append((target, b"".join(lines[cut:])))
    return rest


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, dict]:
    tmp = tmp_path_factory.mktemp("compare")
    repo = dated_repo(tmp)
    for name in SKILLS:
        if not (repo / "skills" / name).exists():
            add_skill(repo, name, skill_text(name, keywords=[f"{name} check"]), "2026-01-02")
    full = tmp / "traces"
    generate(full, 3 << 19, 5)
    shutil.copytree(SAMPLES / "traces" / "codex", full / "codex")
    shutil.copy(SAMPLES / "traces" / "claude-stream-json.jsonl", full / "run-1.jsonl")
    part = tmp / "part"
    rest = split(full, part)
    assert sg(repo, "ingest", str(part)) == 0  # attributed now, before the skills change below

    scratch = tmp / "scratch"
    scratch.mkdir()
    git(scratch, "init", "-q")
    ws = Workspace.open(scratch)
    old_ingest.ingest_paths(ws.repo, ws.config, [full])
    times = sorted(s.started for s in old_store.load_sessions(ws.repo) if s.started)
    first, last = times[0], times[-1]
    at = [first + (last - first) * k / 4 for k in (1, 2, 3)]
    text = (repo / "skills" / "release" / "SKILL.md").read_text(encoding="utf-8")
    refine(repo, "release", text + "\nCheck the tree first.\n", at[0].isoformat(), "win_rate >= 0.6 within 20 sessions; else split the procedure")
    social = (repo / "skills" / "social" / "SKILL.md").read_text(encoding="utf-8")
    refine(repo, "social", social + "\nOne reply per thread.\n", at[1].isoformat(), "uses >= 3 within 1 days; else sharpen the description")
    refine(repo, "release", text + "\nCheck the tree first.\nThen tag.\n", at[2].isoformat(), "pattern:release.tag <= 1 within 2 days; else revert")
    family = (repo / "skills" / "family" / "SKILL.md").read_text(encoding="utf-8")
    with dated(at[2].isoformat()):  # new keywords: matched again in every stored session
        (repo / "skills" / "family" / "SKILL.md").write_text(family.replace('"fork"', '"edit"'), encoding="utf-8")
        git(repo, "commit", "-qam", "family: keywords")
    for path, data in rest:
        with path.open("ab") as out:
            out.write(data)
    assert sg(repo, "ingest", str(part)) == 0
    ws = Workspace.open(repo)
    old_ingest.ingest_paths(ws.repo, ws.config, [part])
    return ws, {"sessions": old_store.load_sessions(ws.repo), "learnings": old_store.load_learnings(ws.repo),
                "now": last + timedelta(days=1), "watch": at[2] + timedelta(days=1)}


def new_json(ws: Workspace, *args: str) -> list:
    import contextlib
    import io

    from skillgit.cli import run

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert run(["-C", str(ws.repo.root), *args, "--json"]) == 0
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


def test_the_same_sessions_and_learnings(both: tuple[Workspace, dict]) -> None:
    from skillgit.evidence.store import load_learnings, load_sessions

    ws, old = both
    assert load_sessions(ws.repo) == old["sessions"]
    assert load_learnings(ws.repo) == old["learnings"]
    assert len(old["sessions"]) > 100


def test_the_same_attributions(both: tuple[Workspace, dict]) -> None:
    from skillgit.evidence.ingested import Ingested

    ws, old = both
    expected = old_attribution.attribute(old["sessions"], ws)
    with Ingested.open(ws) as ev:
        assert [a.to_json() for a in ev.attributions] == [a.to_json() for a in expected]
        assert {a.strength for a in expected} >= {"explicit", "read", "weak"}
        assert len({a.version for a in expected if a.skill == "release"} - {None}) == 3


def test_the_same_metrics_per_skill_and_per_version(both: tuple[Workspace, dict]) -> None:
    ws, old = both
    every = old_metrics.compute_metrics(ws, old["sessions"], old["learnings"])
    assert new_json(ws, "metrics") == [every[name].to_json() for name in sorted(every)]
    from skillgit.evidence.ingested import Ingested
    from skillgit.evidence.metrics import compute_metrics

    with Ingested.open(ws) as ev:
        new = compute_metrics(ws, ev.summaries, ev.learnings, catalog=ev.catalog, attributions=ev.attributions,
                              channels=ev.channels)
    assert {n: (m.score, m.win_rate, m.mention_rate) for n, m in new.items()} == {
        n: (m.score, m.win_rate, m.mention_rate) for n, m in every.items()}
    assert any(m.windows > 1 and m.uses for m in every.values())
    for name in ("release", "social", "family"):
        rows = new_json(ws, "metrics", name, "--by-version")
        old_rows = old_metrics.per_version(ws, name, old["sessions"], old["learnings"])
        assert [{k: v for k, v in r.items() if k != "versions"} for r in rows] == [m.to_json() for m in old_rows.values()]


def test_the_same_findings(both: tuple[Workspace, dict]) -> None:
    ws, old = both
    patterns = set()
    for name in SKILLS:
        if name in ("pdf", "brainstorming", "self-assess", "communicate", "social", "family", "release", "blindspot"):
            expected = [f.to_json() for f in old_diagnosis.diagnose(ws, name, old["sessions"])]
            assert new_json(ws, "diagnose", name) == expected, name
            patterns.update(f["pattern"] for f in expected)
    assert {"retry", "repeated-failure", "docless", "absent-command"} <= patterns


def test_the_same_grades_watch_and_cycle_evidence(both: tuple[Workspace, dict]) -> None:
    from skillgit.cycle.evidence import gather
    from skillgit.cycle.watch import watch
    from skillgit.evidence.expectations import grade_expectations
    from skillgit.evidence.ingested import Ingested

    ws, old = both
    now = old["now"]
    grades = old_expectations.grade_expectations(ws, old["sessions"], old["learnings"], now=now)
    assert {g.status for g in grades} >= {"hit", "miss"} or len({g.status for g in grades}) > 1
    with Ingested.open(ws) as ev:
        new_grades = grade_expectations(ws, ev.summaries, ev.learnings, now=now, catalog=ev.catalog,
                                        attributions=ev.attributions, channels=ev.channels)
        assert [g.to_json() for g in new_grades] == [g.to_json() for g in grades]
        assert new_json(ws, "expectations") == [g.to_json() for g in old_expectations.grade_expectations(
            ws, old["sessions"], old["learnings"])]
        comparisons = old_watch.watch(ws, old["sessions"], now=old["watch"])
        assert comparisons
        new = watch(ws, ev.summaries, now=old["watch"], catalog=ev.catalog, attributions=ev.attributions)
        assert [c.to_json() for c in new] == [c.to_json() for c in comparisons]
        before = old_gather.gather(ws, old["sessions"], old["learnings"])
        after = gather(ws, ev)
        assert {n: m.to_json() for n, m in after.metrics.items()} == {n: m.to_json() for n, m in before.metrics.items()}
        assert {n: m.to_json() for n, m in after.current.items()} == {n: m.to_json() for n, m in before.current.items()}
        for name in sorted(before.current):
            assert after.evidenced(ws, name) == before.evidenced(ws, name), name
