"""The evidence store: trace records into the evidence database (`skillgit.evidence.db`) and back out.

Writing (ingest): every source file is one `sources` row with the rows read from it; `put` replaces
them (a file read whole) or adds to them (a file read on from where the last ingest stopped; the rows
are made and placed by `skillgit.evidence.rows`), in a transaction that also checks the row is still
the one the read started from (another ingest may have written it meanwhile: then this result is
dropped, the newer one stands).

Which rows are sessions of their own is settled after every write (`settle`), with the rules the
evidence has always had: a subagent session (a row naming a `parent` session of the same tool — an
adapter sets `meta.parent`, as the Claude Code one does for subagent transcripts) is merged into its
parent when the parent is stored; the same session id stored from several files counts once, from
the first file in path order. `sessions.role` says which (`session`, `subagent`
merged into `merged_into`, or `duplicate`); a session whose rows changed is marked unattributed.

Reading: `summaries` (what metrics need of every session, without tool calls), `sessions(rows)`
(whole sessions, subagents merged, in the order asked), `learnings`, and `skill_uses`.
"""

from __future__ import annotations

import json
import sqlite3
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypedDict, TypeGuard

from skillgit.errors import RepoStateError
from skillgit.evidence import db
from skillgit.evidence.adapters.lines import EPOCH, Skip
from skillgit.evidence.rows import (
    CHUNK,
    ENCODE,
    Later,
    Stored,
    StoredRow,
    Written,
    decode_calls,
    from_micros,
    mark_unattributed,
    micros,
    put_reading,
)
from skillgit.evidence.session import (
    Learning,
    Outcome,
    Session,
    SessionSummary,
    SkillUse,
    ToolCall,
    merge_subagents,
)

if TYPE_CHECKING:
    from skillgit.config import Config
    from skillgit.git import Repo

_Summary = tuple[int, str, int | None, int | None, Outcome | None, int, int, int]
"""A `sessions` row as `Store.summaries` reads it: id, session, started, ended, outcome, calls, failed calls, texts."""
_Member = tuple[int, int | None, int | None, int, int, int]
"""A subagent's row as `Store.summaries` reads it: the row it is merged into, started, ended, calls, failed calls,
texts."""

UNCHANGED, WRITES = "unchanged", "writes"
"""`meta` keys: what an ingest that found every file unchanged reported (`Store.keep_unchanged`); how many
times sources were written (`Store.writes`)."""





def stat_key(path: str) -> list[int] | None:
    """(size, mtime_ns, inode) of `path`, or None when it does not exist."""
    import os

    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ino]


class Unchanged(TypedDict):
    """What an ingest that found every file stored and unchanged reported, kept as JSON in `meta`
    (`Store.keep_unchanged`) for the next ingest of the same files (`Store.unchanged`)."""

    writes: int
    """`Store.writes()` when the rows counted were read: the report stands while it is the same."""
    fingerprint: str
    files: int
    sessions: int
    learnings: int
    subagents: int
    skipped: dict[str, int]
    examples: list[list[str | int]]
    """Each skip shown: [file, line, reason, detail]."""
    companions: dict[str, list[int] | None]
    ignored: int
    ignored_files: list[str]


_UNCHANGED_TYPES = {"writes": int, "fingerprint": str, "files": int, "sessions": int, "learnings": int,
                    "subagents": int, "skipped": dict, "examples": list, "companions": dict, "ignored": int,
                    "ignored_files": list}


def _is_unchanged(value: object) -> TypeGuard[Unchanged]:
    """Whether decoded `value` has the fields of an `Unchanged` report, each of its type (a report kept by
    another version of skillgit may not: then every file is looked at)."""
    return isinstance(value, dict) and all(type(value.get(key)) is kind for key, kind in _UNCHANGED_TYPES.items())


class SourceRow(NamedTuple):
    """What the store knows about one source file (its `sources` row, without the reader state); the JSON
    columns are read when asked for (a re-ingest of unchanged files looks at thousands of rows)."""

    id: int
    path: str
    format: str
    size: int
    mtime_ns: int
    inode: int
    read_to: int
    read_lines: int
    digest: str | None
    companions_json: str
    sessions: int
    learnings: int
    skipped_json: str
    examples_json: str
    reader: int
    generation: int
    resumable: bool

    @property
    def key(self) -> list[int]:
        return [self.size, self.mtime_ns, self.inode]

    @property
    def companions(self) -> dict[str, list[int] | None]:
        return {} if self.companions_json == "{}" else dict(json.loads(self.companions_json))

    @property
    def skipped(self) -> dict[str, int]:
        return {} if self.skipped_json == "{}" else dict(json.loads(self.skipped_json))

    def skips(self) -> list[Skip]:
        if self.examples_json == "[]":
            return []
        return [Skip(str(e[0]), int(e[1]), str(e[2]), str(e[3]) if len(e) > 3 else "") for e in json.loads(self.examples_json)]


class Store:
    """Open with `Store.open(repo)` (reading; an empty store when nothing was ingested) or
    `Store.open(repo, create=True)` (ingest). `close()` when done."""

    def __init__(self, path: Path, con: sqlite3.Connection | None) -> None:
        self.path = path
        self.con = con
        self.ahead: dict[int, tuple[bytes | None, Stored]] = {}
        """The states and stored rows read ahead for sources to be read on (`read_ahead`), by source row id."""

    @classmethod
    def open(cls, repo: Repo, *, create: bool = False) -> Store:
        """The store of `repo`, its roles settled (an ingest killed before it settled them leaves that to
        whoever reads next)."""
        path = db.db_path(repo)
        store = cls(path, db.connect(path, create=create))
        if not create and store.con is not None and store.con.execute("SELECT 1 FROM sources LIMIT 1").fetchone() is None:
            store.close()  # the file holds no evidence (only the event index, say): nothing was ingested
        if store.con is not None and not store.settled():
            with db.write(store.con):
                if not store.settled():
                    store.settle(store.con)
        return store

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def empty(self) -> bool:
        return self.con is None

    def _db(self) -> sqlite3.Connection:
        if self.con is None:
            self.con = db.connect(self.path, create=True)
            assert self.con is not None
        return self.con

    # -- sources -----------------------------------------------------------------------------------

    def sources(self) -> dict[str, SourceRow]:
        """Every stored source by path."""
        if self.con is None:
            return {}
        rows = self.con.execute(
            "SELECT id, path, format, size, mtime_ns, inode, read_to, read_lines, digest, companions, sessions, learnings,"
            " skipped, examples, reader, generation, resumable FROM sources"
        )
        make = SourceRow._make
        return {r[1]: make(r) for r in rows}

    def read_ahead(self, rows: Sequence[SourceRow]) -> None:
        """Read the reader states and stored rows of sources `rows` (to be read on next) in a few queries, not
        two each: `state` and `stored` give them once from here. The rows are those of the generation read
        then, as when each is read on its own (`put` stores a reading only if its source is still at it)."""
        con = self._db()
        for i in range(0, len(rows), CHUNK):
            part = rows[i : i + CHUNK]
            ids = [row.id for row in part]
            q = ",".join("?" * len(ids))
            states: dict[int, bytes | None] = dict.fromkeys(ids)
            sessions: dict[int, list[StoredRow]] = {i: [] for i in ids}
            learnings = dict.fromkeys(ids, (0, 0))
            with db.read(con):
                for source_id, state in con.execute(f"SELECT source_id, state FROM reader_states WHERE source_id IN ({q})", ids):
                    states[source_id] = None if state is None else bytes(state)
                for r in con.execute("SELECT source_id, id, seq, session, calls, failed_calls, texts, parent FROM sessions"
                                     f" WHERE source_id IN ({q}) ORDER BY source_id, seq", ids):
                    sessions[r[0]].append(r[1:])
                counted = [row.id for row in part if row.learnings]
                if counted:
                    for source_id, last, count in con.execute(
                            "SELECT source_id, coalesce(max(seq), 0), count(*) FROM learnings"
                            f" WHERE source_id IN ({','.join('?' * len(counted))}) GROUP BY source_id", counted):
                        learnings[source_id] = (int(last), int(count))
            for source_id in ids:
                self.ahead[source_id] = (states[source_id], Stored(sessions[source_id], learnings[source_id]))

    def state(self, row: SourceRow) -> bytes | None:
        """The reader state kept for source `row` (to go on reading it), or None: read ahead with others'
        (`read_ahead`), else now with what `stored` gives."""
        if row.id not in self.ahead:
            self.read_ahead([row])
        return self.ahead[row.id][0]

    def stored(self, row: SourceRow) -> Stored:
        """What is stored of source `row` for a reading that goes on from it (`Written.stored`), read with its
        state (`state`)."""
        if row.id not in self.ahead:
            self.read_ahead([row])
        return self.ahead.pop(row.id)[1]

    def calls(self, row: int, start: int, stop: int) -> list[ToolCall]:
        """The tool calls of session row `row` from place `start` up to `stop`, as stored."""
        out: list[ToolCall] = []
        for first, data in self._db().execute(
            "SELECT first, data FROM calls WHERE session = ? AND first < ? AND first + count > ? ORDER BY first", (row, stop, start)
        ):
            out.extend(decode_calls(data)[max(0, start - first) : stop - first])
        return out

    def subagents(self, paths: Sequence[str]) -> int:
        """How many of the sessions stored from `paths` (stored paths) are subagents of a session stored from
        them too."""
        if self.con is None or not paths:
            return 0
        wanted = set(paths)
        if self.settled() and len(wanted) == self.con.execute("SELECT count(*) FROM sources").fetchone()[0]:
            kept = db.get_meta(self.con, "subagents")  # every source's: counted when the roles were settled
            if kept is not None:
                return int(kept)
        sources = {source for source, path in self.con.execute("SELECT id, path FROM sources") if path in wanted}
        return len({row for row, source, parent_source in self.con.execute(
            "SELECT s.id, s.source_id, p.source_id FROM sessions s JOIN sessions p ON p.session = s.parent AND p.tool = s.tool"
            " WHERE s.parent IS NOT NULL") if source in sources and parent_source in sources})

    # -- writing -----------------------------------------------------------------------------------

    def put(self, items: Sequence[Written], then: Callable[[sqlite3.Connection], None] | None = None,
            attributed: Callable[[sqlite3.Connection], bool] | None = None) -> list[Written]:
        """Store what reading `items` gave, in one transaction; returns those dropped because another
        ingest wrote their source meanwhile (the stored rows are then that ingest's). The roles are to be
        settled again only when a session row was added or deleted or names another parent (sessions that
        only went on keep theirs). `then`, when given, runs last in the same transaction (to attribute what
        changed, say, without writing its rows a second time). The skill
        uses found before storing (`Inputs.uses`) are stored when `attributed` says the store's attribution
        is made as they were."""
        con = self._db()
        dropped = []
        moved = False
        with db.write(con):
            next_id = con.execute("SELECT coalesce(max(id), 0) + 1 FROM sessions").fetchone()[0]
            alone = attributed is not None and attributed(con)
            paths = [item.path for item in items]
            current: dict[str, tuple[int, int]] = {}
            for i in range(0, len(paths), CHUNK):
                part = paths[i : i + CHUNK]
                current.update((r[0], (r[1], r[2])) for r in con.execute(
                    f"SELECT path, id, generation FROM sources WHERE path IN ({','.join('?' * len(part))})", part))
            later = Later()
            for item in items:
                row = current.get(item.path)
                if (None if row is None else row[1]) != item.base:
                    dropped.append(item)
                    continue
                next_id, moved_here = put_reading(con, item, None if row is None else row[0], next_id, alone, later)
                moved |= moved_here
            later.write(con)
            if moved:
                db.set_meta(con, "settled", "0")
            db.set_meta(con, WRITES, str(int(db.get_meta(con, WRITES) or 0) + 1))
            if then is not None:
                then(con)
        return dropped

    def writes(self) -> int:
        """How many times sources were written (`put`, the only writer of sources, counts them)."""
        return 0 if self.con is None else int(db.get_meta(self.con, WRITES) or 0)

    def unchanged(self) -> Unchanged | None:
        """What an ingest that found every file stored and unchanged reported (`keep_unchanged`), when no
        source was written since; else None."""
        if self.con is None:
            return None
        found = dict(self.con.execute("SELECT key, value FROM meta WHERE key IN (?, ?)", (UNCHANGED, WRITES)).fetchall())
        if UNCHANGED not in found:
            return None
        kept: Any = json.loads(found[UNCHANGED])
        return kept if _is_unchanged(kept) and kept["writes"] == int(found.get(WRITES) or 0) else None

    def keep_unchanged(self, value: Unchanged) -> None:
        """Keep what an ingest of files that are all stored and unchanged reports (`value`: plain JSON, its
        `writes` the `writes()` read before the rows it counted) while no source is written; not when one
        was meanwhile, nor when the store is busy or cannot be written (the report is not worth a wait)."""
        con = self._db()
        wait = con.execute("PRAGMA busy_timeout").fetchone()[0]
        con.execute("PRAGMA busy_timeout = 100")
        try:
            with db.write(con):
                if int(db.get_meta(con, WRITES) or 0) == value["writes"]:
                    db.set_meta(con, UNCHANGED, ENCODE(value))
        except (RepoStateError, sqlite3.Error):
            pass
        finally:
            con.execute(f"PRAGMA busy_timeout = {int(wait)}")

    # -- which rows are sessions of their own ------------------------------------------------------

    def settled(self) -> bool:
        return self.con is None or db.get_meta(self.con, "settled") != "0"

    def settle(self, con: sqlite3.Connection) -> None:
        """Set every row's role (see the module doc) inside a write transaction; a session whose members
        changed is marked unattributed and its skill uses are dropped."""
        rows = con.execute(
            "SELECT s.id, src.path, s.seq, s.session, s.tool, s.parent, s.role, s.merged_into"
            " FROM sessions s JOIN sources src ON src.id = s.source_id ORDER BY src.path, s.seq"
        ).fetchall()
        parents = {(r[4], r[3]) for r in rows}
        db.set_meta(con, "subagents", str(sum(1 for r in rows if r[5] is not None and (r[4], r[5]) in parents)))
        folded = {r[3] for r in rows if r[5] is not None and (r[4], r[5]) in parents and r[5] != r[3]}
        main: dict[str, int] = {}
        for r in rows:
            if r[3] not in folded and r[3] not in main:
                main[r[3]] = r[0]
        child: dict[tuple[str, str], int] = {}  # (parent, child session id) -> row; the last stored wins
        for r in rows:
            if r[5] is not None and r[3] in folded and (r[4], r[5]) in parents and r[5] in main:
                child[(r[5], r[3])] = r[0]
        role: dict[int, tuple[str, int | None]] = {row: ("session", None) for row in main.values()}
        for (parent, _sid), row in child.items():
            role[row] = ("subagent", main[parent])
        changed_mains: set[int] = set()
        merged: set[int] = set()  # sessions whose subagents changed: their diagnosis facts are those of the whole
        updates = []
        for r in rows:
            new = role.get(r[0], ("duplicate", None))
            if (r[6], r[7]) != new:
                updates.append((new[0], new[1], r[0]))
                for old_or_new in (r[7], new[1]):
                    if old_or_new is not None:
                        changed_mains.add(old_or_new)
                        merged.add(old_or_new)
                if r[6] == "session" or new[0] == "session":
                    changed_mains.add(r[0])
        con.executemany("UPDATE sessions SET role = ?, merged_into = ? WHERE id = ?", updates)
        mark_unattributed(con, sorted(changed_mains))
        stale = sorted(merged)
        for i in range(0, len(stale), CHUNK):
            part = stale[i : i + CHUNK]
            con.execute(f"UPDATE sessions SET facts = NULL WHERE id IN ({','.join('?' * len(part))})", part)
        con.execute("DELETE FROM skill_uses WHERE session IN (SELECT id FROM sessions WHERE role IS NOT 'session')")
        db.set_meta(con, "settled", "1")

    # -- reading -----------------------------------------------------------------------------------

    def summaries(self, rows: Iterable[int] | None = None) -> list[SessionSummary]:
        """Every session (subagents merged), oldest first: by start (else EPOCH), then id; only those of `rows`
        (ids of `role = 'session'` rows) when given."""
        if self.con is None:
            return []
        subs: dict[int, list[_Member]] = {}
        found: list[_Summary] = []
        subagents = "SELECT merged_into, started, ended, calls, failed_calls, texts FROM sessions WHERE role = 'subagent'"
        mains = "SELECT id, session, started, ended, outcome, calls, failed_calls, texts FROM sessions WHERE role = 'session'"
        if rows is None:
            for r in self.con.execute(subagents):
                subs.setdefault(r[0], []).append(r)
            found = self.con.execute(mains).fetchall()
        else:
            wanted = sorted(set(rows))
            # `+role`: each row looked up by its key; with a long IN list SQLite would otherwise walk the whole
            # role index for every chunk (the sessions of the store for each few of the skill's)
            subagents, mains = subagents.replace("role", "+role"), mains.replace("role", "+role")
            for i in range(0, len(wanted), CHUNK):
                part = wanted[i : i + CHUNK]
                q = ",".join("?" * len(part))
                for r in self.con.execute(f"{subagents} AND merged_into IN ({q})", part):
                    subs.setdefault(r[0], []).append(r)
                found.extend(self.con.execute(f"{mains} AND id IN ({q})", part))
        out = []
        outcomes: dict[Outcome | None, Outcome | None] = {"success": "success", "failure": "failure"}  # one object each
        for r in found:
            row, sid, started, ended, outcome, calls, failed, texts = r
            outcome = outcomes.get(outcome, outcome)
            if row in subs:
                members = subs[row]
                times = [t for t in (started, ended) if t is not None]
                times += [t for m in members for t in (m[1], m[2]) if t is not None]
                started, ended = (min(times), max(times)) if times else (None, None)
                calls += sum(m[3] for m in members)
                failed += sum(m[4] for m in members)
                texts = texts or any(m[5] for m in members)
            out.append(SessionSummary(sid, from_micros(started), from_micros(ended), outcome, calls, failed, bool(texts), row))
        out.sort(key=lambda s: (s.started or EPOCH, s.id))
        return out

    def sessions(self, rows: Iterable[int]) -> Iterator[Session]:
        """The sessions of the given `rows` (ids of `role = 'session'` rows), subagents merged, in that order."""
        if self.con is None:
            return
        wanted = list(rows)
        for i in range(0, len(wanted), CHUNK):
            chunk = wanted[i : i + CHUNK]
            loaded = self.by_row(chunk)
            for row in chunk:
                if row in loaded:
                    yield loaded[row]

    def all_sessions(self) -> Iterator[Session]:
        """Every session, oldest first (see `summaries`)."""
        return self.sessions(s.row for s in self.summaries())

    def by_row(self, mains: list[int]) -> dict[int, Session]:
        """The sessions of `mains` (rows), subagents merged, by row; rows gone are left out."""
        con = self.con
        if con is None or not mains:
            return {}
        marks = ",".join("?" * len(mains))
        members = con.execute(
            f"SELECT s.id, s.merged_into FROM sessions s JOIN sources src ON src.id = s.source_id"
            f" WHERE s.merged_into IN ({marks}) AND s.role = 'subagent' ORDER BY src.path, s.seq", mains
        ).fetchall()
        every = mains + [m[0] for m in members]
        base: dict[int, Session] = {}
        calls: dict[int, list[ToolCall]] = {row: [] for row in every}
        skills: dict[int, list[SkillUse]] = {row: [] for row in every}
        for i in range(0, len(every), CHUNK):
            part = every[i : i + CHUNK]
            q = ",".join("?" * len(part))
            for r in con.execute(f"SELECT session, data FROM calls WHERE session IN ({q}) ORDER BY session, first", part):
                calls[r[0]].extend(decode_calls(r[1]))
            for r in con.execute(f"SELECT session, name, how, version, full_name FROM session_skills"
                                 f" WHERE session IN ({q}) ORDER BY session, seq", part):
                skills[r[0]].append(SkillUse(r[1], r[2], r[3], r[4]))
            for r in con.execute(f"SELECT id, session, tool, origin, started, ended, outcome, turns, final_message, meta"
                                 f" FROM sessions WHERE id IN ({q})", part):
                base[r[0]] = Session(
                    id=r[1], source=r[2], origin=r[3], started=from_micros(r[4]), ended=from_micros(r[5]), outcome=r[6],
                    tool_calls=tuple(calls[r[0]]), skills=tuple(skills[r[0]]), final_message=r[8], turns=r[7],
                    meta=json.loads(r[9]),
                )
        out = {row: base[row] for row in mains if row in base}
        subs: dict[int, list[Session]] = {}
        for row, parent in members:
            if row in base:
                subs.setdefault(parent, []).append(base[row])
        for row, children in subs.items():
            if row in out:
                out[row] = merge_subagents(out[row], children)
        return out

    def learnings(self) -> list[Learning]:
        """Every learning (duplicates — same origin, title and time — dropped), by time."""
        if self.con is None:
            return []
        out: list[Learning] = []
        seen: set[tuple[object, ...]] = set()
        for r in self.con.execute(f"SELECT {_LEARNING} FROM learnings l JOIN sources src ON src.id = l.source_id"
                                  " ORDER BY src.path, l.seq"):
            mark = (r[8], r[0], r[1])
            if mark in seen:
                continue
            seen.add(mark)
            out.append(_learning(r))
        out.sort(key=lambda x: (x.ts or EPOCH, x.origin))
        return out

    def learning_count(self) -> int:
        """How many `learnings` there are, without reading them."""
        if self.con is None:
            return 0
        return int(self.con.execute("SELECT count(*) FROM (SELECT DISTINCT l.origin, l.title, l.ts FROM learnings l"
                                    " JOIN sources src ON src.id = l.source_id)").fetchone()[0])

    def naming_learnings(self, *, texts: bool = True) -> Iterator[Learning]:
        """The `learnings` that name a skill (a pattern key, a skill or skills: those that can be complaints), in
        their order, read as they go: each one the first of its duplicates in path order, as there. SQLite sorts
        their keys, not their text; eight bytes each are held while they are read. Without `texts`, their title,
        context and takeaway are left empty, not read."""
        if self.con is None:
            return
        rows = array("q", (r[0] for r in self.con.execute(
            "SELECT l.id FROM learnings l JOIN (SELECT l.id, src.path, row_number() OVER (PARTITION BY l.origin, l.title,"
            " l.ts ORDER BY src.path, l.seq) AS n FROM learnings l JOIN sources src ON src.id = l.source_id) k ON k.id = l.id"
            " WHERE k.n = 1 AND (l.pattern_key IS NOT NULL OR l.skill IS NOT NULL OR l.skills != '[]')"
            " ORDER BY coalesce(l.ts, ?), l.origin, k.path, l.seq", (micros(EPOCH),))))
        for i in range(0, len(rows), CHUNK):
            part = rows[i : i + CHUNK]
            found = {r[0]: r[1:] for r in self.con.execute(
                f"SELECT l.id, {_LEARNING if texts else _LEARNING_BARE} FROM learnings l WHERE l.id IN ({','.join('?' * len(part))})", part)}
            yield from (_learning(found[row]) for row in part if row in found)  # a row gone since: left out


_LEARNING = "l.title, l.ts, l.type, l.source, l.context, l.takeaway, l.pattern_key, l.skill, l.origin, l.skills, l.day"
"""The columns of a `learnings` row that make a `Learning` (`_learning`)."""
_LEARNING_BARE = "'', l.ts, l.type, l.source, '', '', l.pattern_key, l.skill, l.origin, l.skills, l.day"
"""`_LEARNING` without the texts (title, context, takeaway): empty strings in their place."""


_LearningRow = tuple[str, int | None, str | None, str | None, str, str, str | None, str | None, str, str, int | None]
"""A `learnings` row as `_LEARNING` reads it."""


def _learning(r: _LearningRow) -> Learning:
    return Learning(title=r[0], ts=from_micros(r[1]), type=r[2], source=r[3], context=r[4], takeaway=r[5],
                    pattern_key=r[6], skill=r[7], origin=r[8], skills=tuple(json.loads(r[9])), day=r[10])


def load_sessions(repo: Repo, config: Config | None = None) -> list[Session]:
    """Every session ingested into `repo` (see `skillgit ingest`), oldest first, all in memory: for small
    stores and tests; commands read `skillgit.evidence.ingested.Ingested` instead."""
    with Store.open(repo) as store:
        return list(store.all_sessions())


def load_learnings(repo: Repo, config: Config | None = None) -> list[Learning]:
    """Every learning ingested into `repo`, oldest first."""
    with Store.open(repo) as store:
        return store.learnings()
