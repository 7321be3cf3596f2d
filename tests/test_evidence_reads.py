"""What one evidence command reads of the store: `diagnose NAME` reads the summaries of that skill's
sessions, not every one, and finds what it found from all of them; the walk that finds trace files."""

from __future__ import annotations

import os
import random
import sys
from datetime import UTC, datetime
from pathlib import Path

from conftest import ROOT
from evidence_support import add_skill, dated_repo, ingest, refine, sg, skill_text

from skillgit.evidence.ingest import _walk
from skillgit.evidence.ingested import Ingested
from skillgit.evidence.store import Store
from skillgit.git import Repo
from skillgit.workspace import Workspace

sys.path.insert(0, str(ROOT / "bench"))
from gen_traces import SKILLS, generate  # noqa: E402


def generated_repo(tmp_path: Path) -> Path:
    """The fixture skills repo with the generated traces' skills (keywords as the bench gives them) and
    1 MiB of generated traces (Claude Code with subagents, yoyo days, OTLP) ingested."""
    repo = dated_repo(tmp_path)
    for name in SKILLS:
        if not (repo / "skills" / name).exists():
            add_skill(repo, name, skill_text(name, keywords=[f"{name} check"]), "2026-01-02")
    generate(tmp_path / "traces", 1 << 20, seed=1)  # a seed whose traces have a subagent transcript
    ingest(repo, tmp_path / "traces")
    return repo


def test_the_summaries_of_some_rows_are_those_of_every_session_in_the_same_order(tmp_path: Path) -> None:
    repo = generated_repo(tmp_path)
    with Store.open(Repo.discover(repo)) as store:
        every = store.summaries()
        merged = {r[0] for r in store.con.execute("SELECT merged_into FROM sessions WHERE role = 'subagent'")}  # type: ignore[union-attr]
        assert merged and len(every) > 200
        rows = [s.row for s in every]
        for seed in range(5):
            picked = set(random.Random(seed).sample(rows, len(rows) // 3)) | merged
            assert store.summaries(picked) == [s for s in every if s.row in picked]
        assert store.summaries([]) == []


def test_diagnose_reads_one_skills_sessions_and_finds_what_it_found_from_all(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from skillgit.evidence.diagnosis import diagnose

    repo = generated_repo(tmp_path)
    ws = Workspace.open(repo)
    findings = 0
    for name in SKILLS:
        with Ingested.open(ws) as ev:
            ids = ev.used(name, count_weak=False)
            found = diagnose(ws, name, catalog=ev.catalog, facts=ev.facts(name, ids))
            assert "summaries" not in ev.__dict__  # the skill's sessions only were read
            count = ev.count
        with Ingested.open(ws) as ev:
            every = ev.summaries  # every session read first, as before
            assert ev.used(name, count_weak=False) == ids
            assert diagnose(ws, name, catalog=ev.catalog, facts=ev.facts(name, ids)) == found
            assert ev.count == count == len(every)
        assert ids
        findings += len(found)
    assert findings
    capsys.readouterr()
    assert sg(repo, "diagnose", "release") == 0
    assert capsys.readouterr().out.strip()


def walked_before(top: str) -> list[str]:
    """The walk as it was written before (os.walk, a stat of every folder): the reference."""
    out: list[str] = []
    seen: set[tuple[int, int]] = set()
    for root, dirs, files in os.walk(top, followlinks=True):
        st = os.stat(root)
        if (st.st_dev, st.st_ino) in seen:
            dirs[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        out.extend(os.path.join(root, f) for f in sorted(files) if not f.startswith("."))
    return [p for p in out if os.path.exists(p)]


def test_the_walk_finds_the_files_os_walk_finds_in_its_order_each_real_folder_once(tmp_path: Path) -> None:
    top = tmp_path / "traces"
    for folder in ["a", "a/b", "a/b/c", "B", "a.d", ".hidden", "z/y"]:
        (top / folder).mkdir(parents=True)
    for name in ["a/2.jsonl", "a/10.jsonl", "a/b/c/x.json", "B/u.jsonl", "a.d/v.jsonl", ".hidden/h.jsonl", "z/y/w.jsonl",
                 "top.jsonl", ".dot.jsonl", "a/b/notes.txt"]:
        (top / name).write_text("{}\n")
    (top / "z" / "back").symlink_to(top / "a", target_is_directory=True)  # a folder seen twice: once
    (top / "a" / "b" / "c" / "loop").symlink_to(top, target_is_directory=True)  # a loop
    (top / "a" / "gone.jsonl").symlink_to(top / "nowhere.jsonl")  # a broken link: left out
    found = _walk(str(top))
    assert [p for p, _ in found] == walked_before(str(top))
    assert all(key == [os.stat(p).st_size, os.stat(p).st_mtime_ns, os.stat(p).st_ino] for p, key in found)
    assert str(top / ".hidden" / "h.jsonl") not in dict(found) and str(top / "a" / "b" / "c" / "x.json") in dict(found)


def test_a_re_ingest_counts_the_subagents_folded_as_the_first_ingest_did(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    import json

    repo = generated_repo(tmp_path)
    traces = tmp_path / "traces"

    def folded(*paths: Path) -> int:
        capsys.readouterr()
        assert sg(repo, "ingest", "--json", *map(str, paths)) == 0
        data = json.loads(capsys.readouterr().out)
        assert data["files_read"] == 0
        return int(data["subagents_folded"])

    with Store.open(Repo.discover(repo)) as store:
        assert store.con is not None
        rows = store.con.execute("SELECT count(DISTINCT s.id) FROM sessions s JOIN sessions p"
                                 " ON p.session = s.parent AND p.tool = s.tool").fetchone()[0]
        kept = store.con.execute("SELECT value FROM meta WHERE key = 'subagents'").fetchone()[0]
    assert int(kept) == rows == 1
    assert folded(traces) == 1  # every source: the count kept
    assert folded(traces / "claude") == 1  # a part: counted from its rows
    assert folded(traces / "yoyo", traces / "otel") == 0


def test_metrics_read_from_the_store_are_those_computed_from_every_session_in_memory(tmp_path: Path) -> None:
    """The store's path (a timeline of a few bytes per session sorted by SQLite, each skill's uses read a
    skill at a time) against the plain computation: every session loaded whole and attributed again."""
    from dataclasses import replace

    from skillgit.cycle.gates import sessions_after
    from skillgit.cycle.watch import stored_watch, watch
    from skillgit.evidence.attribution import attribute, channels, session_time
    from skillgit.evidence.expectations import grade_expectations, stored_grades
    from skillgit.evidence.metrics import Weights, compute_metrics, per_version, stored_metrics, stored_uses
    from skillgit.evidence.store import load_learnings, load_sessions
    from skillgit.evidence.timeline import Timeline

    repo = generated_repo(tmp_path)
    # the generated sessions run from 2026-03-01T00:00 for some hours: graded, graded by days, still pending
    refine(repo, "social", skill_text("social", "Post once.\n", keywords=["social check"]), "2026-02-28T05:00",
           "uses >= 3 within 1 days; else widen the keywords")
    refine(repo, "release", skill_text("release", "Check the tree first.\n", keywords=["release check"]), "2026-03-01T02:00",
           "win_rate >= 0.6 within 40 sessions; else name the failing step")
    refine(repo, "pdf", skill_text("pdf", "Read it first.\n", keywords=["pdf check"]), "2026-03-01T04:00",
           "failure_rate <= 0.2 within 100000 sessions; else add a pitfall")
    ws = Workspace.open(repo)
    sessions = load_sessions(ws.repo)
    learnings = load_learnings(ws.repo)
    with Ingested.open(ws) as ev:
        plain = Timeline(sessions)
        assert [ev.timeline.time(p) for p in range(len(ev.timeline))] == plain.when
        assert list(ev.timeline.success) == list(plain.success) and list(ev.timeline.failed) == list(plain.failed)
        assert ev.channels == channels(sessions, ev.catalog)
        found = attribute(sessions, ws, catalog=ev.catalog)
        for count_weak in (False, True):
            config = replace(ws.config, metrics=replace(ws.config.metrics, count_weak=count_weak))
            stored = stored_metrics(ws, ev, config)
            computed = compute_metrics(ws, sessions, learnings, config, catalog=ev.catalog)
            assert stored == computed
            assert sum(m.uses for m in stored.values()) > 100 and any(m.windows for m in stored.values())
            w = Weights.from_config(config)
            versions = 0
            for name in SKILLS:
                by_store = per_version(ws, name, ev.timeline, learnings, config, catalog=ev.catalog, channels=ev.channels,
                                       uses=stored_uses(ev, name, w))
                assert by_store == per_version(ws, name, sessions, learnings, config, catalog=ev.catalog,
                                               attributions=found)
                versions += len(by_store)
            assert versions > len(SKILLS)  # `release` has two
        for count_weak in (False, True):
            config = replace(ws.config, metrics=replace(ws.config.metrics, count_weak=count_weak))
            graded = stored_grades(ws, ev, config)
            assert graded == grade_expectations(ws, sessions, learnings, config, catalog=ev.catalog)
            assert [g.status for g in graded] == ["pending", "hit", "hit"] and all(g.sessions > 0 for g in graded)
        now = datetime(2026, 3, 2, tzinfo=UTC)
        compared = stored_watch(ws, ev, now=now)
        assert compared == watch(ws, sessions, now=now, catalog=ev.catalog, attributions=found)
        assert {c.skill for c in compared} == {"social", "release", "pdf"} and any(c.new.uses and c.old.uses for c in compared)
        assert "summaries" not in ev.__dict__ and "attributions" not in ev.__dict__  # no session read as an object
        # what the cycle asks: the sessions after a time, the skills they used, the uses of a version
        with Ingested.open(ws) as whole:  # a second reader holds every session and use as objects
            every, uses = whole.summaries, whole.attributions
        times = sorted({t for s in every if (t := session_time(s)) is not None})
        for when in (None, times[0], times[len(times) // 2], times[-1]):
            after = sessions_after(every, when)
            assert sorted(ev.after(when), key=lambda s: s.row) == sorted(after, key=lambda s: s.row)
            assert len(ev.after(when)) == len(after)
            ids = {s.id for s in after}
            assert ev.used_after(when) == {a.skill for a in uses if a.session_id in ids}
        for name in SKILLS:
            blob = ev.catalog.entries[name].blob
            assert ev.has_uses(name, blob) == any(a.skill == name and a.version == blob for a in uses)
            assert ev.used(name, count_weak=False, version=blob) == [
                a.session_id for a in uses if a.skill == name and a.version == blob and a.counts()]
        assert "summaries" not in ev.__dict__ and "attributions" not in ev.__dict__


def test_the_learnings_that_name_a_skill_are_read_as_they_go_in_the_order_and_with_the_duplicates_of_all(
        tmp_path: Path) -> None:
    """`naming_learnings` (deduplicated and ordered by SQLite) and `learning_count` against `learnings`, on a
    store where every learning has a later duplicate that names a skill when it does not, and the reverse."""
    from skillgit.evidence import db
    from skillgit.evidence.metrics import complaints_by_skill

    repo = generated_repo(tmp_path)
    with Store.open(Repo.discover(repo)) as store:
        assert store.con is not None
        with db.write(store.con):
            store.con.execute(
                "INSERT INTO learnings (source_id, seq, title, ts, type, source, context, takeaway, pattern_key, skill,"
                " skills, origin, day) SELECT source_id, seq + 1000, title, ts, type, source, context, 'again',"
                " CASE WHEN pattern_key IS NULL THEN 'release' END, skill, skills, origin, day FROM learnings")
        every = store.learnings()
        assert store.con.execute("SELECT count(*) FROM learnings").fetchone()[0] == 2 * len(every)
        named = [x for x in every if x.pattern_key is not None or x.skill is not None or x.skills]
        assert 0 < len(named) < len(every) and all(x.takeaway != "again" for x in every)
        assert list(store.naming_learnings()) == named and store.learning_count() == len(every)
    with Ingested.open(Workspace.open(repo)) as ev:
        assert complaints_by_skill(ev.naming_learnings()) == complaints_by_skill(every) and ev.learning_count == len(every)
