"""What was ingested into a repository, attributed: the evidence one command reads.

`Ingested.open(ws)` opens the evidence store, brings what attribution derived up to date with the
skills at HEAD (`refresh`), and reads — once per command — what the metrics, diagnosis,
expectations, watch and the cycle ask for: a light summary of every session, every learning, every
skill use (which skill, which version, how sure), and whole sessions only for the skills asked.

What attribution stores, and when it is done again:

    skill_reads    per session: the skills whose SKILL.md a call reads (found at ingest; again only
                   when the skill roots change)
    keyword_hits   per session: the skills whose keywords appear in its calls (found at ingest for the
                   keyword sets in force; a skill whose keywords changed is matched again, once)
    skill_uses     per session: skill, strength, stamp, version (done for sessions not yet attributed;
                   for all when the skills at HEAD, their keywords or the evolver's skill change)
    versions       every skill's version timeline, one `git log` over the skill roots, kept for the
                   HEAD it was read at; a skill whose timeline changed has its uses' versions redone
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from functools import cached_property
from itertools import islice
from typing import TYPE_CHECKING, overload

from skillgit.errors import RepoStateError
from skillgit.evidence import db
from skillgit.evidence.adapters.lines import EPOCH
from skillgit.evidence.attribution import (
    Attribution,
    Catalog,
    Channels,
    Strength,
    aware,
    call_text,
    session_time,
    strongest,
    version_of,
)
from skillgit.evidence.rows import Inputs, from_micros, micros
from skillgit.evidence.session import Facts, Learning, Session, SessionSummary, SkillUse
from skillgit.evidence.store import Store
from skillgit.evidence.timeline import Timeline, UsesAt
from skillgit.history import Version

if TYPE_CHECKING:
    from skillgit.config import Config
    from skillgit.git import Repo
    from skillgit.workspace import Workspace

_CHUNK = 500
_FACTS = 100
"""Sessions whose facts are read at a time (a few kilobytes of JSON each)."""
READING = ("cache_size = -512", "temp_store = FILE")
"""How a command reads the store once it is up to date: a page cache of 512 KiB (each page is read a few times
at most), and what SQLite sorts past its sorter's budget, or keeps in temporary tables, on disk — not in
memory that would grow with the store."""


def open_catalog(repo: Repo, config: Config | None, store: Store | None = None) -> Catalog:
    """The catalog of `repo` at HEAD, with the version timelines the store kept for this HEAD (if any)."""
    from skillgit.config import Config
    from skillgit.workspace import Workspace

    ws = Workspace(repo, config if config is not None else Config.load(repo.root))
    return catalog_of(ws, store)


def catalog_of(ws: Workspace, store: Store | None) -> Catalog:
    """The catalog of `ws` at HEAD, with the version timelines the store kept: for this HEAD as they are,
    for an earlier one (HEAD went on from it in a line) brought forward by reading only the new commits."""
    kept = _kept_versions(store, ws) if store is not None else None
    return Catalog(ws, versions=kept)


def _versions_key(ws: Workspace) -> str:
    return f"{ws.repo.head()}\t{ws.layout.key}"


def _kept_versions(store: Store, ws: Workspace) -> dict[str, list[Version]] | None:
    from skillgit.history import versions_after

    con = store.con
    at = db.get_meta(con, "versions_at") if con is not None else None
    if con is None or at is None or ws.repo.head() is None:
        return None
    base, _, roots = at.partition("\t")
    key = _versions_key(ws)
    if at != key and roots != key.partition("\t")[2]:
        return None
    out: dict[str, list[Version]] = {}
    for r in con.execute("SELECT skill, number, commit_id, time, event, author, blob, location, eval_summary, rollback_of"
                         " FROM versions ORDER BY skill, number"):
        when = from_micros(r[3])
        assert when is not None
        out.setdefault(r[0], []).append(Version(r[1], r[2], when, r[4], r[5], r[6], r[7], r[8], r[9]))
    return out if at == key else versions_after(ws, out, base)


# -- bringing the derived tables up to date ------------------------------------------------------


def _fingerprint(catalog: Catalog) -> str:
    data = [sorted(catalog.entries), catalog.self_skill, _roots(catalog), sorted(_keywords(catalog).items())]
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()


def _roots(catalog: Catalog) -> str:
    return catalog.ws.layout.key


def _keywords(catalog: Catalog) -> dict[str, str]:
    return {name: json.dumps(list(k)) for name, k in catalog.keywords.items() if k}


def _commands(catalog: Catalog) -> dict[str, str]:
    from skillgit.evidence.diagnosis import expected_for

    return {name: json.dumps(found) for name in catalog.names if (found := expected_for(catalog, name))}


def _facts_with(catalog: Catalog) -> str:
    d = catalog.ws.config.diagnosis
    return json.dumps([d.retry_min, d.similarity, d.revert_window, _roots(catalog)])


def prepare(store: Store, catalog: Catalog) -> None:
    """Make what the store found in every session's calls match `catalog`: SKILL.md reads under its roots,
    hits of its skills' keywords and named commands, diagnosis facts for its settings (before an ingest
    adds sessions matched with them)."""
    con = store.con
    if con is None or not _unprepared(con, catalog):
        return
    with db.write(con):
        _prepare(con, catalog)


def _unprepared(con: sqlite3.Connection, catalog: Catalog) -> bool:
    return (dict(con.execute("SELECT skill, keywords FROM keyword_sets").fetchall()) != _keywords(catalog)
            or dict(con.execute("SELECT skill, commands FROM command_sets").fetchall()) != _commands(catalog)
            or db.get_meta(con, "roots") not in (None, _roots(catalog))
            or db.get_meta(con, "facts_with") not in (None, _facts_with(catalog)))


def _prepare(con: sqlite3.Connection, catalog: Catalog) -> None:
    roots = db.get_meta(con, "roots")
    reads = roots is not None and roots != _roots(catalog)
    if reads:
        con.execute("DELETE FROM skill_reads")
    db.set_meta(con, "roots", _roots(catalog))
    if db.get_meta(con, "facts_with") not in (None, _facts_with(catalog)):
        con.execute("UPDATE sessions SET facts = NULL")  # found again when diagnosis asks for them
    db.set_meta(con, "facts_with", _facts_with(catalog))
    kept = dict(con.execute("SELECT skill, keywords FROM keyword_sets").fetchall())
    wanted = _keywords(catalog)
    changed = {name for name in kept.keys() | wanted.keys() if kept.get(name) != wanted.get(name)}
    for name in changed:
        con.execute("DELETE FROM keyword_hits WHERE skill = ?", (name,))
        con.execute("DELETE FROM keyword_sets WHERE skill = ?", (name,))
    again = {name: catalog.keywords[name] for name in changed if name in wanted}
    con.executemany("INSERT INTO keyword_sets VALUES (?, ?)", [(name, wanted[name]) for name in again])
    old = {c for (text,) in con.execute("SELECT commands FROM command_sets") for c in json.loads(text)}
    new_sets = _commands(catalog)
    new = {c for text in new_sets.values() for c in json.loads(text)}
    for command in sorted(old - new):
        con.execute("DELETE FROM command_hits WHERE command = ?", (command,))
    con.execute("DELETE FROM command_sets")
    con.executemany("INSERT INTO command_sets VALUES (?, ?)", sorted(new_sets.items()))
    if reads or again or new - old:
        _rescan(con, catalog, reads=reads, skills=again, commands=sorted(new - old))


def _rescan(con: sqlite3.Connection, catalog: Catalog, *, reads: bool, skills: Mapping[str, tuple[str, ...]],
            commands: list[str]) -> None:
    """Match every stored session's calls again: SKILL.md reads (`reads`), the keywords of `skills` and
    `commands` — once, when the skills or their roots changed."""
    from skillgit.evidence.attribution import is_edit
    from skillgit.evidence.rows import decode_calls

    search = catalog.read_pattern.finditer
    found_reads: list[tuple[int, str]] = []
    found_hits: list[tuple[str, int]] = []
    found_commands: list[tuple[str, int]] = []

    def done(row: int, texts: list[str], names: set[str]) -> None:
        found_reads.extend((row, n) for n in sorted(names))
        lowered = [t.lower() for t in texts if t]
        if lowered and skills:
            joined = "\n".join(lowered)
            found_hits.extend((name, row) for name, keywords in skills.items() if any(k in joined for k in keywords))
        if commands:
            text = " ".join("\n".join(texts).lower().split())
            found_commands.extend((c, row) for c in commands if c in text)

    current = -1
    texts: list[str] = []
    names: set[str] = set()
    for row, data in con.execute("SELECT session, data FROM calls ORDER BY session, first"):
        if row != current:
            if current >= 0:
                done(current, texts, names)
            current, texts, names = row, [], set()
        for call in decode_calls(data):
            text = call_text(call)
            texts.append(text)
            if reads and text and not is_edit(call):
                names.update(m.group(1) for m in search(text))
    if current >= 0:
        done(current, texts, names)
    con.executemany("INSERT OR IGNORE INTO skill_reads VALUES (?, ?)", found_reads)
    con.executemany("INSERT OR IGNORE INTO keyword_hits VALUES (?, ?)", found_hits)
    con.executemany("INSERT OR IGNORE INTO command_hits VALUES (?, ?)", found_commands)


def refresh(store: Store, catalog: Catalog) -> None:
    """Bring everything attribution derived up to date with `catalog` (see the module doc); nothing is
    written when it already is."""
    con = store.con
    if con is None:
        return
    key = _versions_key(catalog.ws)
    if not _stale(con, store, catalog, key):
        return
    with db.write(con):
        _refresh(con, store, catalog, key)


def refreshing(store: Store, catalog: Catalog) -> Callable[[sqlite3.Connection, bool], None]:
    """`refresh` inside a write transaction of `store` (`Store.put`'s `then`): the sessions a batch changed
    are attributed as it stores them, their rows written once; when the roles are to be settled first,
    only if asked to (settling reads every row: the last write of an ingest does it, not each one)."""
    key = _versions_key(catalog.ws)

    def then(con: sqlite3.Connection, settle: bool = False) -> None:
        if (settle or store.settled()) and _stale(con, store, catalog, key):
            _refresh(con, store, catalog, key)

    return then


def _stale(con: sqlite3.Connection, store: Store, catalog: Catalog, key: str) -> bool:
    return (
        _unprepared(con, catalog) or not store.settled() or db.get_meta(con, "attributed_with") != _fingerprint(catalog)
        or db.get_meta(con, "versions_at") != key
        or con.execute("SELECT 1 FROM sessions WHERE role = 'session' AND attributed = 0 LIMIT 1").fetchone() is not None
    )


def _refresh(con: sqlite3.Connection, store: Store, catalog: Catalog, key: str) -> None:
    _prepare(con, catalog)
    if not store.settled():
        store.settle(con)
    fingerprint = _fingerprint(catalog)
    if db.get_meta(con, "attributed_with") != fingerprint:
        con.execute("DELETE FROM skill_uses")
        con.execute("UPDATE sessions SET attributed = 0 WHERE role = 'session' AND attributed = 1")
        db.set_meta(con, "attributed_with", fingerprint)
    if db.get_meta(con, "versions_at") != key:
        _keep_versions(con, catalog, key)
    mains = [r[0] for r in con.execute("SELECT id FROM sessions WHERE role = 'session' AND attributed = 0")]
    for i in range(0, len(mains), _CHUNK):
        _attribute(con, catalog, mains[i : i + _CHUNK])


def _keep_versions(con: sqlite3.Connection, catalog: Catalog, key: str) -> None:
    """Store the catalog's timelines for this HEAD; redo the versions of uses of skills whose timeline changed."""
    kept: dict[str, list[tuple[object, ...]]] = {}
    for r in con.execute("SELECT skill, number, commit_id, time, event, author, blob, location, eval_summary, rollback_of"
                         " FROM versions ORDER BY skill, number"):
        kept.setdefault(r[0], []).append(tuple(r[1:]))
    now = {name: [(v.number, v.commit, micros(v.time), v.event, v.author, v.blob, v.location, v.eval_summary, v.rollback_of)
                  for v in history] for name, history in catalog.all_versions().items()}
    changed = [name for name in kept.keys() | now.keys() if kept.get(name) != now.get(name)]
    for name in changed:
        con.execute("DELETE FROM versions WHERE skill = ?", (name,))
        con.executemany("INSERT INTO versions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [(name, *row) for row in now.get(name, [])])
        uses = con.execute("SELECT session, stamp, time FROM skill_uses WHERE skill = ?", (name,)).fetchall()
        con.executemany("UPDATE skill_uses SET version = ? WHERE skill = ? AND session = ?",
                        [(version_of(catalog, name, stamp, from_micros(time)), name, row) for row, stamp, time in uses])
    db.set_meta(con, "versions_at", key)


def _attribute(con: sqlite3.Connection, catalog: Catalog, mains: list[int]) -> None:
    """Attribute the sessions of `mains` (their subagents merged) and mark them attributed."""
    marks = ",".join("?" * len(mains))
    members = con.execute(
        f"SELECT s.id, s.merged_into FROM sessions s JOIN sources src ON src.id = s.source_id"
        f" WHERE s.merged_into IN ({marks}) AND s.role = 'subagent' ORDER BY src.path, s.seq", mains).fetchall()
    rows = mains + [m[0] for m in members]
    subs: dict[int, list[int]] = {}
    for row, parent in members:
        subs.setdefault(parent, []).append(row)
    uses: dict[int, list[SkillUse]] = {}
    reads: dict[int, set[str]] = {}
    hits: dict[int, set[str]] = {}
    base: dict[int, tuple[str, int | None, int | None]] = {}
    for i in range(0, len(rows), _CHUNK):
        part = rows[i : i + _CHUNK]
        q = ",".join("?" * len(part))
        for r in con.execute(f"SELECT session, name, how, version, full_name FROM session_skills WHERE session IN ({q})"
                             f" ORDER BY session, seq", part):
            uses.setdefault(r[0], []).append(SkillUse(r[1], r[2], r[3], r[4]))
        for r in con.execute(f"SELECT session, name FROM skill_reads WHERE session IN ({q})", part):
            reads.setdefault(r[0], set()).add(r[1])
        for r in con.execute(f"SELECT session, skill FROM keyword_hits WHERE session IN ({q})", part):
            hits.setdefault(r[0], set()).add(r[1])
        for r in con.execute(f"SELECT id, session, started, ended FROM sessions WHERE id IN ({q})", part):
            base[r[0]] = (r[1], r[2], r[3])
    out: list[tuple[str, int, str, str | None, str | None, int | None]] = []
    for main in mains:
        sid, started, ended = base[main]
        found = list(uses.get(main, []))
        found_reads = set(reads.get(main, ()))
        found_hits = set(hits.get(main, ()))
        if main in subs:
            times = [t for t in (started, ended) if t is not None]
            for child in subs[main]:
                found.extend(use for use in uses.get(child, []) if use not in found)
                found_reads |= reads.get(child, set())
                found_hits |= hits.get(child, set())
                times += [t for t in base[child][1:] if t is not None]
            started, ended = (min(times), max(times)) if times else (None, None)
        out.extend((name, main, strength, stamp, version, at)
                   for name, strength, stamp, version, at in uses_of(catalog, found, found_reads, found_hits, started, ended))
    con.executemany("INSERT OR REPLACE INTO skill_uses VALUES (?, ?, ?, ?, ?, ?)", out)
    con.execute(f"UPDATE sessions SET attributed = 1 WHERE id IN ({marks})", mains)


def uses_of(catalog: Catalog, uses: Iterable[SkillUse], reads: Iterable[str], hits: Iterable[str], started: int | None,
            ended: int | None) -> list[tuple[str, str, str | None, str | None, int | None]]:
    """The `skill_uses` of a session (skill, strength, stamp, version, time), its subagents merged: the
    skills it names (`uses`), reads and hits, and its first and last times as stored (µs)."""
    when = aware(from_micros(started) or from_micros(ended))
    at = micros(when)
    return [(name, strength, stamp, version_of(catalog, name, stamp, when), at)
            for name, strength, stamp in strongest(uses, reads, hits, catalog)]


def attribute_alone(catalog: Catalog, session: Session, found: Inputs) -> None:
    """Give `found` (a session's inputs) the session's skill uses as a session of its own (`Inputs.uses`):
    what `refresh` finds for it when no other row is merged into it."""
    found.uses = uses_of(catalog, session.skills, found.reads, found.hits, micros(session.started), micros(session.ended))


def attributed_with(catalog: Catalog) -> Callable[[sqlite3.Connection], bool]:
    """Whether the store's attribution is made with `catalog` (its skills, keywords and roots, and the
    versions at this HEAD), tested in a write transaction: the uses found with it before storing stand."""
    fingerprint, key = _fingerprint(catalog), _versions_key(catalog.ws)

    def same(con: sqlite3.Connection) -> bool:
        return db.get_meta(con, "attributed_with") == fingerprint and db.get_meta(con, "versions_at") == key

    return same


# -- reading -------------------------------------------------------------------------------------


_SUBAGENTS = ("WITH u AS (SELECT merged_into AS main, min(started) AS s0, min(ended) AS e0, sum(failed_calls) AS failed"
              " FROM sessions WHERE role = 'subagent' GROUP BY merged_into)")
"""Each session's subagents (`u`, by the row they are merged into): their first start and end, their failed calls."""
_FIRST = ("min(coalesce(s.started, s.ended, u.s0, u.e0), coalesce(s.ended, u.s0, u.e0, s.started),"
          " coalesce(u.s0, u.e0, s.started, s.ended), coalesce(u.e0, s.started, s.ended, u.s0))")
"""When session `s` with subagents `u` starts, as `Store.summaries` and the timeline order it: the first
time of any of them."""


_Row = tuple[int, int | None, bool, int]
"""A session in the timeline: its row, time (µs; None: untimed), whether it succeeded, its failed calls."""
_TIES = 1000
"""More sessions than this at one time are put in order by SQLite, not here."""


def _timeline_rows(con: sqlite3.Connection) -> Iterator[_Row]:
    """Every session in timeline order: by time (untimed as 0), then session id. SQLite sorts them by their time
    alone (a few numbers a session: its sorter holds no ids); those of the same time (a few) are put in order of
    their ids here, or by SQLite when there are more than `_TIES`."""
    select = (f"{_SUBAGENTS} SELECT s.id, CASE WHEN u.main IS NULL THEN coalesce(s.started, s.ended) ELSE {_FIRST} END AS t,"
              " s.outcome IS 'success', s.failed_calls + coalesce(u.failed, 0)"
              " FROM sessions s LEFT JOIN u ON u.main = s.id WHERE s.role = 'session'")
    run: list[_Row] = []
    key = None
    skip = None
    for row in con.execute(f"{select} ORDER BY coalesce(t, 0)"):
        at = row[1] or 0
        if at == skip:
            continue
        if at != key:
            yield from _by_id(con, run)
            run, key = [], at
        run.append(row)
        if len(run) > _TIES:
            yield from con.execute(f"{select} AND coalesce(t, 0) = ? ORDER BY s.session", (at,))
            run, key, skip = [], None, at
    yield from _by_id(con, run)


def _by_id(con: sqlite3.Connection, run: list[_Row]) -> Iterable[_Row]:
    """Sessions of the same time in order of their ids (as SQLite compares them: their bytes)."""
    if len(run) < 2:
        return run
    ids = dict(con.execute("SELECT id, session FROM sessions WHERE id IN (SELECT value FROM json_each(?))",
                           (json.dumps([r[0] for r in run]),)).fetchall())
    return sorted(run, key=lambda r: ids[r[0]].encode())  # stable: the same time and id keep the store's order


class Ingested:
    """The evidence of a workspace, attributed against its skills at HEAD, for one command."""

    def __init__(self, ws: Workspace, store: Store, catalog: Catalog) -> None:
        self.ws = ws
        self.store = store
        self.catalog = catalog
        self._read: dict[int, SessionSummary] = {}
        """The summaries `used` read (when not every one was), by row."""

    @classmethod
    def open(cls, ws: Workspace) -> Ingested:
        store = Store.open(ws.repo)
        catalog = catalog_of(ws, store)
        refresh(store, catalog)
        if store.con is not None:
            for pragma in READING:
                store.con.execute(f"PRAGMA {pragma}")
        return cls(ws, store, catalog)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Ingested:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @cached_property
    def summaries(self) -> list[SessionSummary]:
        """Every session (subagents merged), oldest first."""
        return self.store.summaries()

    @cached_property
    def count(self) -> int:
        """How many sessions there are (subagents merged), without reading them."""
        if "summaries" in self.__dict__ or self.store.con is None:
            return len(self.summaries)
        return int(self.store.con.execute("SELECT count(*) FROM sessions WHERE role = 'session'").fetchone()[0])

    @cached_property
    def learnings(self) -> list[Learning]:
        return self.store.learnings()

    @cached_property
    def learning_count(self) -> int:
        """How many `learnings` there are, without reading them."""
        return len(self.learnings) if "learnings" in self.__dict__ else self.store.learning_count()

    def naming_learnings(self, *, texts: bool = True) -> Iterable[Learning]:
        """The learnings that can be complaints (`Store.naming_learnings`; without `texts`, their title, context and
        takeaway left empty), in the order of `learnings`: read as they go unless every learning was already read."""
        return self.learnings if "learnings" in self.__dict__ else self.store.naming_learnings(texts=texts)

    @cached_property
    def attributions(self) -> list[Attribution]:
        """Every skill use, in session order (then by skill)."""
        con = self.store.con
        if con is None:
            return []
        order = {s.row: (i, s.id) for i, s in enumerate(self.summaries)}
        found = []
        same: dict[str, str] = {}  # one object per skill name, version and strength: a few, each used thousands of times
        kinds: dict[str, Strength] = {}
        keep, kind = same.setdefault, kinds.setdefault
        for skill, row, strength, version, time in con.execute("SELECT skill, session, strength, version, time FROM skill_uses"):
            if row in order:
                skill = keep(skill, skill)
                version = version if version is None else keep(version, version)
                found.append((order[row][0], skill,
                              Attribution(order[row][1], skill, version, kind(strength, strength), from_micros(time))))
        found.sort(key=lambda t: (t[0], t[1]))
        return [a for _, _, a in found]

    @cached_property
    def channels(self) -> Channels:
        """Which evidence channels the sessions offer at all (see `Channels`)."""
        con = self.store.con
        if con is None:
            return Channels(0, False, False)
        skill_evidence, texts = con.execute(
            "SELECT EXISTS (SELECT 1 FROM sessions s WHERE s.role IN ('session', 'subagent') AND"
            " (EXISTS (SELECT 1 FROM session_skills k WHERE k.session = s.id AND k.how != 'keyword')"
            " OR EXISTS (SELECT 1 FROM skill_reads r WHERE r.session = s.id))),"
            " EXISTS (SELECT 1 FROM sessions WHERE role IN ('session', 'subagent') AND texts)"
        ).fetchone()
        return Channels(self.count, skill_evidence == 1, texts == 1)

    @cached_property
    def timeline(self) -> Timeline:
        """Every session (subagents merged) in the order metrics fold them, as columns of a few bytes each
        (see `timeline.Timeline`), sorted by the store; no session is held as an object."""
        con = self.store.con
        if con is None:
            return Timeline()
        return Timeline.stored(_timeline_rows(con))

    def after(self, when: datetime | None) -> Sequence[SessionSummary]:
        """The sessions that ran (started, else ended) after `when` (every timed one: None), in timeline order,
        read from the store a chunk at a time when iterated."""
        timeline = self.timeline
        first = 0 if when is None else bisect_right(timeline.keys, micros(when) or 0)
        return _Summaries(self.store, array("i", (timeline.rows[p] for p in range(first, len(timeline)) if timeline.timed[p])))

    def used_after(self, since: datetime | None) -> set[str]:
        """The skills used (weak uses included) by a session that ran after `since` (any time: None)."""
        con = self.store.con
        if con is None:
            return set()
        return {r[0] for r in con.execute(
            "SELECT DISTINCT u.skill FROM skill_uses u JOIN sessions s ON s.id = u.session"
            " WHERE s.role = 'session' AND u.time IS NOT NULL AND (?1 IS NULL OR u.time > ?1)", (micros(since),))}

    def has_uses(self, skill: str, version: str | None) -> bool:
        """Whether a session used version `version` of `skill` (weak uses included)."""
        con = self.store.con
        return con is not None and con.execute(
            "SELECT EXISTS (SELECT 1 FROM skill_uses u JOIN sessions s ON s.id = u.session"
            " WHERE u.skill = ? AND u.version IS ? AND s.role = 'session')", (skill, version)).fetchone()[0] == 1

    def uses_at(self, skill: str) -> UsesAt:
        """The uses of `skill`: (position in `timeline`, strength, version), by position."""
        con = self.store.con
        if con is None:
            return UsesAt(())
        position = self.timeline.position
        rows = con.execute("SELECT session, strength, version FROM skill_uses WHERE skill = ?", (skill,))
        return UsesAt((at, strength, version) for row, strength, version in rows if (at := position(row)) >= 0)

    def sessions(self, ids: Iterable[str] | None = None) -> Iterator[Session]:
        """Whole sessions (subagents merged) of `ids` (all when None), oldest first, read a few at a time."""
        wanted = None if ids is None else set(ids)
        return self.store.sessions(s.row for s in self.summaries if wanted is None or s.id in wanted)

    def facts(self, skill: str, ids: Iterable[str]) -> Iterator[tuple[str, str | None, Facts, list[str]]]:
        """What diagnosis needs of the sessions of `ids`, oldest first: (id, outcome, facts, the skill's named
        commands found in its calls). Facts not stored (a session that grew, or got subagents, since) are
        found in the session and stored."""
        if self.store.con is None:
            return
        wanted = set(ids)
        rows = [(s.row, s.id, s.outcome) for s in self._summaries_of(wanted) if s.id in wanted]
        for _, sid, outcome, facts, hits in self._facts(skill, rows, worked=True):
            yield sid, outcome, facts, hits

    def skill_rows(self, skill: str, *, count_weak: bool, version: str | None = None) -> Iterator[tuple[int, str, str | None]]:
        """(store row, id, outcome) of the sessions attributed to `skill` (weak ones only with `count_weak`; of one
        version when given), in the order of `summaries` — one query read as it goes, no summary made."""
        con = self.store.con
        if con is None:
            return iter(())
        return con.execute(
            f"{_SUBAGENTS} SELECT s.id, s.session, s.outcome FROM skill_uses k JOIN sessions s ON s.id = k.session"
            " LEFT JOIN u ON u.main = s.id WHERE k.skill = ? AND (? OR k.strength != 'weak') AND (? IS NULL OR k.version = ?)"
            " AND +s.role = 'session'"
            f" ORDER BY coalesce(CASE WHEN u.main IS NULL THEN s.started ELSE {_FIRST} END, 0), s.session, s.id",
            (skill, count_weak, version, version))

    def facts_at(self, skill: str, rows: Iterable[tuple[int, str, str | None]]
                 ) -> Iterator[tuple[int | None, str, str | None, Facts, list[str]]]:
        """`facts` of the sessions of `rows` (`skill_rows`), each with its store row, whose facts are then read
        without what worked in it (`worked` reads that; its `worked` is empty); None for facts found in the
        session, whole."""
        return self._facts(skill, rows, worked=False)

    def worked(self, rows: Sequence[int]) -> Iterator[dict[str, dict[str, int]]]:
        """What worked in the sessions of store `rows` (their facts' `worked`), in the order given; an empty
        mapping for a session gone since."""
        con = self.store.con
        chunk = 10  # a few hundred kilobytes of JSON at most at a time
        for i in range(0, len(rows), chunk):
            part = rows[i : i + chunk]
            found: dict[int, str] = dict(con.execute(
                f"SELECT id, json_extract(facts, '$.worked') FROM sessions WHERE id IN ({','.join('?' * len(part))})"
                " AND facts IS NOT NULL", part).fetchall()) if con is not None else {}
            for row in part:
                text = found.get(row)
                yield {} if text is None else json.loads(text)

    def _facts(self, skill: str, rows: Iterable[tuple[int, str, str | None]], *, worked: bool
               ) -> Iterator[tuple[int | None, str, str | None, Facts, list[str]]]:
        from skillgit.evidence.diagnosis import expected_for, fact_patterns, facts_of

        con = self.store.con
        if con is None:
            return
        commands = set(expected_for(self.catalog, skill))
        d = self.ws.config.diagnosis
        patterns = fact_patterns(self.ws.layout)
        found: list[tuple[str, int]] = []
        column = "facts" if worked else "json_remove(facts, '$.worked')"
        rows = iter(rows)
        while part := list(islice(rows, _FACTS)):
            q = ",".join("?" * len(part))
            keys = [row for row, _, _ in part]
            stored = dict(con.execute(f"SELECT id, {column} FROM sessions WHERE id IN ({q})", keys).fetchall())
            hits: dict[int, list[str]] = {}
            if commands:
                for command, row in con.execute(
                    f"SELECT h.command, coalesce(s.merged_into, s.id) FROM command_hits h JOIN sessions s ON s.id = h.session"
                    f" WHERE s.id IN ({q}) OR s.merged_into IN ({q})", keys + keys
                ):
                    if command in commands:
                        hits.setdefault(row, []).append(command)
            missing = self.store.by_row([row for row in keys if stored.get(row) is None])
            for row, sid, outcome in part:
                at: int | None = None
                if stored.get(row) is not None:
                    facts = json.loads(stored[row])
                    if not worked:
                        facts["worked"], at = {}, row
                elif row in missing:
                    facts = facts_of(missing[row], d, patterns)
                    found.append((json.dumps(facts), row))
                else:
                    continue  # gone since this command began (another ingest replaced it)
                yield at, sid, outcome, facts, hits.get(row, [])
        if found:
            try:
                with db.write(con):
                    con.executemany("UPDATE sessions SET facts = ? WHERE id = ?", found)
            except RepoStateError:
                pass  # a read-only or busy store: they are found again next time

    def used(self, skill: str, *, count_weak: bool, version: str | None = None) -> list[str]:
        """Ids of the sessions attributed to `skill` (weak ones only with `count_weak`; of one version when
        given), oldest first — one skill's uses read, not every skill's."""
        if "attributions" in self.__dict__ or self.store.con is None:
            return [a.session_id for a in self.attributions
                    if a.skill == skill and a.counts(count_weak) and (version is None or a.version == version)]
        rows = {r[0] for r in self.store.con.execute(
            "SELECT session FROM skill_uses WHERE skill = ? AND (? OR strength != 'weak') AND (? IS NULL OR version = ?)",
            (skill, count_weak, version, version))}
        if "summaries" in self.__dict__:
            return [s.id for s in self.summaries if s.row in rows]
        found = self.store.summaries(rows)  # one skill's sessions read, not every one
        self._read.update((s.row, s) for s in found)
        return [s.id for s in found]

    def _summaries_of(self, ids: set[str]) -> list[SessionSummary]:
        """Summaries (oldest first) that hold those of `ids`: those `used` read when they do, else all of them."""
        if "summaries" not in self.__dict__ and ids <= {s.id for s in self._read.values()}:
            return sorted(self._read.values(), key=lambda s: (s.started or EPOCH, s.id))
        return self.summaries

    def latest(self) -> datetime | None:
        """When the last session ran (its start, else its end)."""
        times = [t for s in self.summaries if (t := session_time(s)) is not None]
        return max(times) if times else None


class _Summaries(Sequence[SessionSummary]):
    """Summaries of store rows (given in the order wanted), read a chunk at a time: a count that costs four
    bytes a session until the sessions themselves are asked for."""

    def __init__(self, store: Store, rows: array[int]) -> None:
        self.store, self.rows = store, rows

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> SessionSummary: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[SessionSummary]: ...

    def __getitem__(self, index: int | slice) -> SessionSummary | Sequence[SessionSummary]:
        if isinstance(index, slice):
            return _Summaries(self.store, self.rows[index])
        (found,) = self.store.summaries([self.rows[index]])
        return found

    def __iter__(self) -> Iterator[SessionSummary]:
        for i in range(0, len(self.rows), _CHUNK):
            part = self.rows[i : i + _CHUNK]
            by_row = {s.row: s for s in self.store.summaries(part)}
            yield from (by_row[row] for row in part if row in by_row)
