"""A reading of a trace file as rows of the evidence database (`skillgit.evidence.db`), and those rows back.

`Written` is what reading one file gave; `put_reading` stores it in a write transaction that
`skillgit.evidence.store.Store.put` opens: its session rows replace the source's (a file read whole) or
go on from them (a file read on), the rows of sessions that changed are marked unattributed. `Rows` are
the rows of new sessions, made where the file was read (a worker process) and placed when stored.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import NamedTuple

from skillgit.evidence.adapters.lines import EPOCH, MICROSECOND, Batch, tool_call
from skillgit.evidence.session import Facts, Learning, Session, ToolCall

READER_VERSION = 5
"""The adapters' reading rules; a source stored under another version is read again whole."""
EXAMPLES_PER_FILE = 5


def _encoder() -> Callable[[object], str]:
    """Compact JSON, non-ASCII kept: json's C encoder made once (`JSONEncoder.encode` makes one per call)."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode
    encode = make(None, str, json.encoder.encode_basestring, None, ":", ",", False, False, True)
    return lambda value: "".join(encode(value, 0))


ENCODE = _encoder()
CHUNK = 100  # sessions read at a time (and rows per `IN (...)` query)

@dataclass
class Inputs:
    """What attribution needs of one session beyond its skill uses, found while its calls are at hand:
    the skills whose SKILL.md a call reads (any name under the skill roots) and the skills whose
    keywords appear in the calls' arguments (for the keyword sets in force)."""

    reads: set[str] = field(default_factory=set)
    hits: list[str] = field(default_factory=list)
    texts: bool = False
    """Some call has string arguments (where keywords could appear)."""
    facts: Facts | None = None
    """What diagnosis needs of the session (`diagnosis.facts_of`); None: not found (a session given in part)."""
    commands: list[str] = field(default_factory=list)
    """The commands skills name (`diagnosis.expected_for`) that appear in its calls."""
    uses: list[Use] | None = None
    """Its `skill_uses` as a session of its own, found before it is stored (`ingested.attribute_alone`);
    None: not found (it names a parent, or is given in part)."""


Use = tuple[str, str, str | None, str | None, int | None]
"""A skill use found for a session: skill, strength, stamp, version, time (µs)."""


@dataclass
class Written:
    """What reading one file gave, for `Store.put`."""

    path: str
    format: str
    key: list[int]
    resume: bool
    """True: `batches` go on from the stored rows; False: they replace them."""
    base: int | None
    """The generation of the row the read started from (None: there was none)."""
    batches: list[Batch]
    inputs: dict[int, Inputs]
    """Attribution inputs by `id()` of the session records in `batches`."""
    read_to: int
    read_lines: int
    digest: str | None
    companions: dict[str, list[int] | None]
    state: bytes | None
    skipped: dict[str, int]
    examples: list[list[str | int]]
    stored: Stored | None = None
    """What was stored of the source when the reading that goes on from it began (`Store.stored`): `put`
    stores the reading only if the source is still at generation `base`, and nothing else changes these
    rows, so they stand there without being read again."""
    rows: Rows | None = None
    """The rows of the sessions in `batches`, made where the file was read (`encoded`); their row ids
    count from 0 and their source is 0 until `put` places them."""
    carried: bool = False
    """`inputs` are keyed by the records' places in `batches`, not their `id()` (`portable`)."""

    def portable(self) -> Written:
        """This reading as it is handed to another process (pickled): `inputs` keyed by place; `placed`
        there keys them by `id()` again."""
        if not self.inputs or self.carried:
            return self
        places = {id(r): i for i, r in enumerate(r for batch in self.batches for r in batch.records)}
        return replace(self, inputs={places[k]: v for k, v in self.inputs.items()}, carried=True)

    def placed(self) -> Written:
        """This reading as handed over (`portable`), its `inputs` keyed by the records' `id()`."""
        if not self.carried:
            return self
        records = [r for batch in self.batches for r in batch.records]
        return replace(self, inputs={id(records[k]): v for k, v in self.inputs.items()}, carried=False)

    def encoded(self) -> Written:
        """This reading with its sessions turned into rows (row ids from 0) and let go: what a worker
        process hands back, so the process that stores it does not encode them. A file read on from
        where it was read is left as it is (its rows depend on what is stored)."""
        if self.resume or self.rows is not None or len(self.batches) != 1 or self.batches[0].kept:
            return self
        (batch,) = self.batches
        sessions = [r for r in batch.records if isinstance(r, Session)]
        rows = session_rows(sessions, self.inputs, 0, 1, 0)
        rest = Batch([r for r in batch.records if not isinstance(r, Session)], batch.keep, batch.kept, batch.restart)
        return replace(self, batches=[rest], inputs={}, rows=rows)



@dataclass
class Later:
    """What storing readings writes of each that nothing else in its transaction reads or writes before it
    ends: the sources' rows, their reader states, the skill uses dropped of sessions that went on. Written
    for all the readings at once (`write`), before the transaction goes on to attribute them."""

    sources: list[tuple[object, ...]] = field(default_factory=list)
    states: list[tuple[int, bytes]] = field(default_factory=list)
    stateless: list[tuple[int]] = field(default_factory=list)
    uses: list[tuple[int]] = field(default_factory=list)

    def write(self, con: sqlite3.Connection) -> None:
        if self.sources:
            con.executemany(
                "UPDATE sources SET format = ?, size = ?, mtime_ns = ?, inode = ?, read_to = ?, read_lines = ?, digest = ?,"
                " companions = ?, resumable = ?, sessions = ?, learnings = ?, skipped = ?, examples = ?, reader = ?,"
                " generation = generation + 1 WHERE id = ?", self.sources)
        if self.stateless:
            con.executemany("DELETE FROM reader_states WHERE source_id = ?", self.stateless)
        if self.states:
            con.executemany("INSERT INTO reader_states VALUES (?, ?) ON CONFLICT(source_id) DO UPDATE SET state = excluded.state",
                            self.states)
        if self.uses:
            con.executemany("DELETE FROM skill_uses WHERE session = ?", self.uses)
        self.sources, self.states, self.stateless, self.uses = [], [], [], []


def put_reading(con: sqlite3.Connection, item: Written, source_id: int | None, next_id: int, alone: bool,
                later: Later | None = None) -> tuple[int, bool]:
    """Store `item` (of source row `source_id`, None: a new one), its new session rows numbered from
    `next_id` (with the uses found before storing them when `alone`): the next row id, and whether a
    session row was added, deleted or names another parent. What `later` takes is written when it is
    (`Later.write`); without it, at once."""
    now = later is None
    if later is None:
        later = Later()
    moved = not item.resume
    if source_id is None:
        source_id = con.execute(
            "INSERT INTO sources(path, format, size, mtime_ns, inode, reader) VALUES (?, ?, ?, ?, ?, ?)",
            (item.path, item.format, *item.key, READER_VERSION),
        ).lastrowid
        assert source_id is not None
    elif not item.resume:
        delete_sessions(con, "source_id = ?", (source_id,))
        con.execute("DELETE FROM learnings WHERE source_id = ?", (source_id,))
    seq = lseq = 0  # a source read whole has no rows left
    sessions_total = learnings_total = 0
    kept_rows: list[StoredRow] | None = None
    if item.resume:  # its rows stand: counted and numbered on from here
        if item.stored is not None:
            kept_rows, (lseq, learnings_total) = list(item.stored.rows), item.stored.learnings
        else:
            kept_rows = stored_rows(con, source_id)
            lseq, learnings_total = con.execute(
                "SELECT coalesce(max(seq), 0), count(*) FROM learnings WHERE source_id = ?", (source_id,)).fetchone()
        seq = kept_rows[-1][1] if kept_rows else 0
        sessions_total = len(kept_rows)
    if item.rows is not None:  # read whole in a worker (`encoded`): its rows are made, only placed here
        placed = (item.rows if alone else item.rows.alone()).moved(source_id, next_id)
        insert(con, placed)
        next_id += len(placed.sessions)
        seq += len(placed.sessions)
        sessions_total += len(placed.sessions)
    for batch in item.batches:
        sessions = [r for r in batch.records if isinstance(r, Session)]
        stored: dict[str, list[int]] = {}
        totals: dict[int, tuple[int, int, int, str | None]] = {}
        if item.resume:
            for row, _, sid, calls, failed, texts, parent in kept_rows if kept_rows is not None else stored_rows(con, source_id):
                stored.setdefault(sid, []).append(row)
                totals[row] = (calls, failed, texts, parent)
            kept_rows = None  # a next batch finds them changed by this one
        fresh, in_place = [], []
        for session in sessions:
            kept = batch.kept.get(session.id, 0)
            if kept and len(stored.get(session.id, ())) == 1:
                in_place.append((stored[session.id][0], session, kept))
            else:
                fresh.append(session)
        if stored:
            updated = {sid for sid in stored if any(row == stored[sid][0] for row, _, _ in in_place)}
            replaced = {s.id for s in fresh}
            gone = [row for sid, rows in stored.items() for row in rows
                    if sid not in updated and (sid in replaced or (batch.keep is not None and sid not in batch.keep))]
            delete_rows(con, gone)
            sessions_total -= len(gone)
            moved |= bool(gone)
        moved |= bool(fresh)
        insert(con, session_rows(fresh, item.inputs, source_id, seq + 1, next_id, alone))
        next_id += len(fresh)
        seq += len(fresh)
        for row, session, kept in in_place:
            moved |= _extend(con, row, session, kept, item.inputs.get(id(session)) or Inputs(), totals[row], later)
        learnings = [r for r in batch.records if isinstance(r, Learning)]
        if learnings:
            con.executemany(
                "INSERT INTO learnings(source_id, seq, title, ts, type, source, context, takeaway, pattern_key, skill,"
                " skills, origin, day) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(source_id, lseq + i + 1, x.title, micros(x.ts), x.type, x.source, x.context, x.takeaway, x.pattern_key,
                  x.skill, ENCODE(list(x.skills)), x.origin, x.day) for i, x in enumerate(learnings)],
            )
        lseq += len(learnings)
        sessions_total += len(fresh)
        learnings_total += len(learnings)
    later.sources.append(
        (item.format, *item.key, item.read_to, item.read_lines, item.digest, ENCODE(item.companions) if item.companions else "{}",
         int(item.state is not None), sessions_total, learnings_total, ENCODE(item.skipped) if item.skipped else "{}",
         ENCODE(item.examples[:EXAMPLES_PER_FILE]) if item.examples else "[]",
         READER_VERSION, source_id))
    if item.state is None:
        later.stateless.append((source_id,))
    else:
        later.states.append((source_id, item.state))
    if now:
        later.write(con)
    return int(next_id), moved


def delete_sessions(con: sqlite3.Connection, where: str, args: tuple[object, ...]) -> None:
    delete_rows(con, [r[0] for r in con.execute(f"SELECT id FROM sessions WHERE {where}", args)])


def delete_rows(con: sqlite3.Connection, rows: Sequence[int]) -> None:
    """Delete session rows and everything read or derived from them; their sessions are attributed again."""
    for i in range(0, len(rows), CHUNK):
        part = list(rows[i : i + CHUNK])
        q = ",".join("?" * len(part))
        parents = [r[0] for r in con.execute(
            f"SELECT DISTINCT merged_into FROM sessions WHERE id IN ({q}) AND merged_into IS NOT NULL", part)]
        mark_unattributed(con, parents)
        for table in ("calls", "session_skills", "skill_reads", "keyword_hits", "command_hits", "skill_uses"):
            con.execute(f"DELETE FROM {table} WHERE session IN ({q})", part)
        con.execute(f"UPDATE sessions SET role = NULL, merged_into = NULL WHERE merged_into IN ({q})", part)
        con.execute(f"DELETE FROM sessions WHERE id IN ({q})", part)


StoredRow = tuple[int, int, str, int, int, int, str | None]
"""A stored session row of a source read on: id, seq, session, calls, failed_calls, texts, parent."""


class Stored(NamedTuple):
    """What is stored of a source (`Store.stored`): its session rows by `seq`, and the last `seq` and the
    count of its learnings."""

    rows: list[StoredRow]
    learnings: tuple[int, int]


def stored_rows(con: sqlite3.Connection, source_id: int) -> list[StoredRow]:
    return con.execute("SELECT id, seq, session, calls, failed_calls, texts, parent FROM sessions WHERE source_id = ?"
                       " ORDER BY seq", (source_id,)).fetchall()


def _extend(con: sqlite3.Connection, row: int, session: Session, kept: int, found: Inputs,
            stored: tuple[int, int, int, str | None], later: Later) -> bool:
    """Row `row` goes on as `session`, whose tool calls are those from `kept` on (the first `kept` stand);
    `stored`: the row's calls, failed calls, texts and parent as stored. Whether it names another parent."""
    calls, failed, texts, was_parent = stored
    if kept < calls:  # a call before `kept` changed after it: the stored chunks are cut back to `kept`
        _cut_calls(con, row, kept)
        calls, failed, texts = con.execute(
            "SELECT coalesce(sum(count), 0), coalesce(sum(failed), 0), coalesce(max(texts), 0) FROM calls WHERE session = ?",
            (row,)).fetchone()
    if session.tool_calls:
        new_failed = sum(1 for c in session.tool_calls if c.ok is False)
        con.execute("INSERT INTO calls(session, first, count, failed, texts, data) VALUES (?, ?, ?, ?, ?, ?)",
                    (row, kept, len(session.tool_calls), new_failed, int(found.texts), encode_calls(session.tool_calls)))
        calls, failed, texts = calls + len(session.tool_calls), failed + new_failed, max(texts, int(found.texts))
    con.execute("DELETE FROM session_skills WHERE session = ?", (row,))
    insert(con, Rows(skills=[(row, n, u.name, u.how, u.version, u.full_name) for n, u in enumerate(session.skills)],
                       reads=[(row, name) for name in sorted(found.reads)], hits=[(skill, row) for skill in found.hits],
                       commands=[(command, row) for command in found.commands]))
    found_parent = session.meta.get("parent")
    parent = found_parent if isinstance(found_parent, str) else None
    (merged,) = con.execute(
        "UPDATE sessions SET origin = ?2, started = ?3, ended = ?4, outcome = ?5, turns = ?6, final_message = ?7, meta = ?8,"
        " facts = NULL, parent = ?9, calls = ?10, failed_calls = ?11, texts = ?12, attributed = 0 WHERE id = ?1"
        " RETURNING merged_into",
        (row, session.origin, micros(session.started), micros(session.ended), session.outcome, session.turns,
         session.final_message, ENCODE(dict(session.meta)), parent, calls, failed, texts),
    ).fetchone()
    if merged is None:
        later.uses.append((row,))
    else:
        mark_unattributed(con, [row, merged])
    return parent != was_parent


def _cut_calls(con: sqlite3.Connection, row: int, kept: int) -> None:
    """Keep only the first `kept` stored tool calls of row `row`."""
    for chunk, first, data in con.execute(
        "SELECT id, first, data FROM calls WHERE session = ? AND first + count > ? ORDER BY first", (row, kept)
    ).fetchall():
        if first >= kept:
            con.execute("DELETE FROM calls WHERE id = ?", (chunk,))
            continue
        calls = decode_calls(data)[: kept - first]
        con.execute("UPDATE calls SET count = ?, failed = ?, texts = ?, data = ? WHERE id = ?",
                    (len(calls), sum(1 for c in calls if c.ok is False), int(any(_has_text(c) for c in calls)),
                     encode_calls(calls), chunk))


def mark_unattributed(con: sqlite3.Connection, rows: Sequence[int]) -> None:
    for i in range(0, len(rows), CHUNK):
        part = list(rows[i : i + CHUNK])
        q = ",".join("?" * len(part))
        con.execute(f"UPDATE sessions SET attributed = 0 WHERE id IN ({q})", part)
        con.execute(f"DELETE FROM skill_uses WHERE session IN ({q})", part)


_SessionRow = tuple[int, int, int, str, str, str, int | None, int | None, str | None, int, str | None, str, str | None,
                    int, int, int, str | None, str | None, int]
"""A `sessions` row as ingest inserts it: id, source_id, seq, session, tool, origin, started, ended, outcome, turns,
final_message, meta, parent, calls, failed_calls, texts, facts, role, attributed. A session attributed before it is
stored (`Inputs.uses`) has the role `session` from the start: `settle` changes it only when another row
goes first or is merged into it, and then marks it unattributed."""


@dataclass
class Rows:
    sessions: list[_SessionRow] = field(default_factory=list)
    calls: list[tuple[int, int, int, int, int, str]] = field(default_factory=list)
    """session, first, count, failed, texts, data"""
    skills: list[tuple[int, int, str, str, str | None, str | None]] = field(default_factory=list)
    """session, seq, name, how, version, full_name"""
    reads: list[tuple[int, str]] = field(default_factory=list)
    hits: list[tuple[str, int]] = field(default_factory=list)
    commands: list[tuple[str, int]] = field(default_factory=list)
    uses: list[tuple[str, int, str, str | None, str | None, int | None]] = field(default_factory=list)
    """skill, session, strength, stamp, version, time"""

    def alone(self) -> Rows:
        """These rows without the attribution found before storing them (the store's is made otherwise)."""
        if not self.uses and not any(r[-1] for r in self.sessions):
            return self
        return replace(self, sessions=[(*r[:-2], None, 0) for r in self.sessions], uses=[])

    def moved(self, source_id: int, base: int) -> Rows:
        """These rows of source `source_id`, their row ids `base` on (they count from 0)."""
        return Rows(
            sessions=[(r[0] + base, source_id, *r[2:]) for r in self.sessions],
            calls=[(r[0] + base, *r[1:]) for r in self.calls],
            skills=[(r[0] + base, *r[1:]) for r in self.skills],
            reads=[(r[0] + base, r[1]) for r in self.reads],
            hits=[(r[0], r[1] + base) for r in self.hits],
            commands=[(r[0], r[1] + base) for r in self.commands],
            uses=[(r[0], r[1] + base, *r[2:]) for r in self.uses],
        )


def session_rows(sessions: list[Session], inputs: dict[int, Inputs], source_id: int, seq: int, next_id: int,
                  attributed: bool = True) -> Rows:
    """The rows of `sessions`, numbered from `next_id`; with the uses found before storing them unless not
    `attributed` (the store's attribution is made otherwise)."""
    out = Rows()
    for i, s in enumerate(sessions):
        row = next_id + i
        calls = s.tool_calls
        found = inputs.get(id(s)) or Inputs()
        failed = sum(1 for c in calls if c.ok is False)
        if calls:
            out.calls.append((row, 0, len(calls), failed, int(found.texts), encode_calls(calls)))
        out.skills.extend((row, n, u.name, u.how, u.version, u.full_name) for n, u in enumerate(s.skills))
        out.reads.extend((row, name) for name in sorted(found.reads))
        out.hits.extend((skill, row) for skill in found.hits)
        out.commands.extend((command, row) for command in found.commands)
        alone = attributed and found.uses is not None
        if alone and found.uses:
            out.uses.extend((name, row, strength, stamp, version, at) for name, strength, stamp, version, at in found.uses)
        parent = s.meta.get("parent")
        out.sessions.append((
            row, source_id, seq + i, s.id, s.source, s.origin, micros(s.started), micros(s.ended), s.outcome, s.turns,
            s.final_message, ENCODE(dict(s.meta)), parent if isinstance(parent, str) else None, len(calls), failed,
            int(found.texts), None if found.facts is None else ENCODE(found.facts), "session" if alone else None, int(alone),
        ))
    return out


_INSERTS = (
    ("sessions", "INSERT INTO sessions(id, source_id, seq, session, tool, origin, started, ended, outcome, turns, final_message,"
                 " meta, parent, calls, failed_calls, texts, facts, role, attributed)"
                 " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
    ("calls", "INSERT INTO calls(session, first, count, failed, texts, data) VALUES (?, ?, ?, ?, ?, ?)"),
    ("skills", "INSERT INTO session_skills VALUES (?, ?, ?, ?, ?, ?)"),
    ("reads", "INSERT OR IGNORE INTO skill_reads VALUES (?, ?)"),
    ("hits", "INSERT OR IGNORE INTO keyword_hits VALUES (?, ?)"),
    ("commands", "INSERT OR IGNORE INTO command_hits VALUES (?, ?)"),
    ("uses", "INSERT OR REPLACE INTO skill_uses VALUES (?, ?, ?, ?, ?, ?)"),
)


def insert(con: sqlite3.Connection, rows: Rows) -> None:
    """Insert `rows` (a table with nothing to insert costs no statement: an append touches few of them)."""
    for name, statement in _INSERTS:
        values = getattr(rows, name)
        if values:
            con.executemany(statement, values)


def encode_calls(calls: Sequence[ToolCall]) -> str:
    """Tool calls as one JSON array of `[name, args, ok, ts (µs), duration_ms, error, exit_code]`."""
    return ENCODE([[c.name, c.args if type(c.args) is dict else dict(c.args), c.ok,
                     None if c.ts is None else (c.ts - EPOCH) // MICROSECOND, c.duration_ms, c.error, c.exit_code]
                    for c in calls])


def decode_calls(data: str) -> list[ToolCall]:
    """The tool calls of one `calls.data` value."""
    return [tool_call(name, args, ok, None if ts is None else EPOCH + MICROSECOND * ts, duration, error, code)
            for name, args, ok, ts, duration, error, code in json.loads(data)]


def _has_text(call: ToolCall) -> bool:
    from skillgit.evidence.session import call_text

    return bool(call_text(call))


def micros(value: datetime | None) -> int | None:
    """A time as the store keeps it: integer microseconds since the Unix epoch (a naive time is UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - EPOCH) // MICROSECOND


def from_micros(value: int | None) -> datetime | None:
    """A time the store keeps, as an aware UTC datetime."""
    return None if value is None else EPOCH + MICROSECOND * value
