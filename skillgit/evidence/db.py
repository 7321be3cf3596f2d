"""The evidence database: one SQLite file, `.git/skillgit/evidence.db` (its tables: docs/evidence-db.md).

It holds what ingest read (sources, sessions, tool calls, the skills each trace names, learnings) and
what attribution derived from it (skill uses with their strength and version, the version timelines
they were read against). Everything in it can be rebuilt from the trace files: deleting the file
loses nothing but time.

The file is in WAL mode: readers never wait for a writer and see the store as it was when their
transaction began; writers take SQLite's own lock (`BEGIN IMMEDIATE`) and wait up to
`BUSY_SECONDS` for one another. The schema has a version (`PRAGMA user_version`) and migrations:
`MIGRATIONS[n]` brings a version-n file to version n+1, in one transaction. A file written by a
newer skillgit is refused with a message, never changed.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from skillgit.errors import RepoStateError

if TYPE_CHECKING:
    from sqlite3 import _Parameters

    from skillgit.git import Repo

DB_NAME = "evidence.db"
BUSY_SECONDS = 600.0
"""How long a writer waits for another one (a long ingest commits every few seconds)."""
PAGE_SIZE = 16384
"""The page size of a new file (a file keeps the size it was made with). Most sessions' rows (with their
diagnosis facts) and tool-call chunks fit in one such page, where SQLite's default, 4096, spreads them
over chains of overflow pages: an ingest then writes, and copies from the WAL, fewer and larger pages
(a cold ingest's own process spent about a quarter less CPU time on 1 GB of traces)."""
CHECKPOINT_BYTES = 64 * 1024 * 1024
"""What is written to the WAL before it is copied into the file (SQLite's default, 1000 pages, makes an
ingest of a gigabyte of traces wait on a hundred and more syncs)."""

_V1 = (
    """CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    """CREATE TABLE sources (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        format TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        inode INTEGER NOT NULL,
        read_to INTEGER NOT NULL DEFAULT 0,
        read_lines INTEGER NOT NULL DEFAULT 0,
        digest TEXT,
        companions TEXT NOT NULL DEFAULT '{}',
        resumable INTEGER NOT NULL DEFAULT 0,
        sessions INTEGER NOT NULL DEFAULT 0,
        learnings INTEGER NOT NULL DEFAULT 0,
        skipped TEXT NOT NULL DEFAULT '{}',
        examples TEXT NOT NULL DEFAULT '[]',
        reader INTEGER NOT NULL,
        generation INTEGER NOT NULL DEFAULT 0
    )""",
    """CREATE TABLE reader_states (
        source_id INTEGER PRIMARY KEY REFERENCES sources(id),
        state BLOB NOT NULL
    )""",
    """CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        source_id INTEGER NOT NULL REFERENCES sources(id),
        seq INTEGER NOT NULL,
        session TEXT NOT NULL,
        tool TEXT NOT NULL,
        origin TEXT NOT NULL,
        started INTEGER,
        ended INTEGER,
        outcome TEXT,
        turns INTEGER NOT NULL,
        final_message TEXT,
        meta TEXT NOT NULL,
        parent TEXT,
        calls INTEGER NOT NULL,
        failed_calls INTEGER NOT NULL,
        texts INTEGER NOT NULL,
        role TEXT,
        merged_into INTEGER,
        attributed INTEGER NOT NULL DEFAULT 0,
        facts TEXT
    )""",
    "CREATE INDEX sessions_by_source ON sessions(source_id, seq)",
    "CREATE INDEX sessions_by_id ON sessions(session)",
    "CREATE INDEX sessions_by_role ON sessions(role, attributed)",
    "CREATE INDEX sessions_by_parent_row ON sessions(merged_into)",
    """CREATE TABLE calls (
        id INTEGER PRIMARY KEY,
        session INTEGER NOT NULL REFERENCES sessions(id),
        first INTEGER NOT NULL,
        count INTEGER NOT NULL,
        failed INTEGER NOT NULL,
        texts INTEGER NOT NULL,
        data TEXT NOT NULL
    )""",
    "CREATE INDEX calls_by_session ON calls(session, first)",
    """CREATE VIEW tool_calls AS
    SELECT c.session AS session, c.first + j.key AS seq,
           json_extract(j.value, '$[0]') AS name, json_extract(j.value, '$[1]') AS args,
           json_extract(j.value, '$[2]') AS ok, json_extract(j.value, '$[3]') AS ts,
           json_extract(j.value, '$[4]') AS duration_ms, json_extract(j.value, '$[5]') AS error,
           json_extract(j.value, '$[6]') AS exit_code
    FROM calls c, json_each(c.data) j""",
    """CREATE TABLE session_skills (
        session INTEGER NOT NULL REFERENCES sessions(id),
        seq INTEGER NOT NULL,
        name TEXT NOT NULL,
        how TEXT NOT NULL,
        version TEXT,
        full_name TEXT,
        PRIMARY KEY (session, seq)
    ) WITHOUT ROWID""",
    """CREATE TABLE learnings (
        id INTEGER PRIMARY KEY,
        source_id INTEGER NOT NULL REFERENCES sources(id),
        seq INTEGER NOT NULL,
        title TEXT NOT NULL,
        ts INTEGER,
        type TEXT,
        source TEXT,
        context TEXT NOT NULL,
        takeaway TEXT NOT NULL,
        pattern_key TEXT,
        skill TEXT,
        skills TEXT NOT NULL,
        origin TEXT NOT NULL,
        day INTEGER
    )""",
    "CREATE INDEX learnings_by_source ON learnings(source_id, seq)",
    """CREATE TABLE skill_reads (
        session INTEGER NOT NULL REFERENCES sessions(id),
        name TEXT NOT NULL,
        PRIMARY KEY (session, name)
    ) WITHOUT ROWID""",
    """CREATE TABLE keyword_sets (
        skill TEXT PRIMARY KEY,
        keywords TEXT NOT NULL
    )""",
    """CREATE TABLE keyword_hits (
        skill TEXT NOT NULL,
        session INTEGER NOT NULL REFERENCES sessions(id),
        PRIMARY KEY (skill, session)
    ) WITHOUT ROWID""",
    "CREATE INDEX keyword_hits_by_session ON keyword_hits(session)",
    """CREATE TABLE command_sets (
        skill TEXT PRIMARY KEY,
        commands TEXT NOT NULL
    )""",
    """CREATE TABLE command_hits (
        command TEXT NOT NULL,
        session INTEGER NOT NULL REFERENCES sessions(id),
        PRIMARY KEY (command, session)
    ) WITHOUT ROWID""",
    "CREATE INDEX command_hits_by_session ON command_hits(session)",
    """CREATE TABLE skill_uses (
        skill TEXT NOT NULL,
        session INTEGER NOT NULL REFERENCES sessions(id),
        strength TEXT NOT NULL,
        stamp TEXT,
        version TEXT,
        time INTEGER,
        PRIMARY KEY (skill, session)
    ) WITHOUT ROWID""",
    "CREATE INDEX skill_uses_by_session ON skill_uses(session)",
    """CREATE TABLE versions (
        skill TEXT NOT NULL,
        number INTEGER NOT NULL,
        commit_id TEXT NOT NULL,
        time INTEGER NOT NULL,
        event TEXT NOT NULL,
        author TEXT NOT NULL,
        blob TEXT,
        location TEXT NOT NULL,
        eval_summary TEXT,
        rollback_of TEXT,
        PRIMARY KEY (skill, number)
    ) WITHOUT ROWID""",
)

_V2 = (
    """CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        commit_id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        time INTEGER NOT NULL,
        author_email TEXT NOT NULL,
        committer_email TEXT NOT NULL,
        title TEXT NOT NULL,
        trailers TEXT NOT NULL,
        data TEXT NOT NULL
    )""",
    "CREATE INDEX events_by_kind ON events(kind)",
    """CREATE TABLE event_skills (
        event INTEGER NOT NULL REFERENCES events(id),
        skill TEXT NOT NULL,
        key TEXT NOT NULL,
        PRIMARY KEY (event, key, skill)
    ) WITHOUT ROWID""",
    "CREATE INDEX event_skills_by_skill ON event_skills(skill, event)",
    """CREATE TABLE event_walks (
        tip TEXT PRIMARY KEY,
        events BLOB NOT NULL,
        count INTEGER NOT NULL,
        used INTEGER NOT NULL
    ) WITHOUT ROWID""",
)
"""The event index (`skillgit.eventindex`): event commits by id, the skills they name, and walks."""

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2)
"""`MIGRATIONS[n]`: the statements that bring a version-n file to version n+1."""
SCHEMA_VERSION = len(MIGRATIONS)


def db_path(repo: Repo) -> Path:
    return Path(repo.state_dir) / DB_NAME


def connect(path: Path, *, create: bool = True, timeout: float | None = None) -> sqlite3.Connection | None:
    """The database at `path`, migrated to `SCHEMA_VERSION`; None when it does not exist and not `create`.

    The connection is in autocommit mode: callers group statements with `read()` and `write()`. It waits
    up to `timeout` seconds (default `BUSY_SECONDS`) for another writer (a migration, too, takes the write lock).
    """
    if not create and not path.exists():
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = sqlite3.connect(path, timeout=BUSY_SECONDS if timeout is None else timeout, isolation_level=None, factory=_Connection)
    except sqlite3.Error as exc:
        raise _unusable(path, exc) from None
    assert isinstance(con, _Connection)
    con.path = path
    deadline = time.monotonic() + BUSY_SECONDS
    while True:
        try:
            _set_up(con, path)
            return con
        except sqlite3.DatabaseError as exc:
            con.close()
            raise _unusable(path, exc) from None
        except RepoStateError as exc:
            # Two processes creating the file at once: switching it to WAL is refused at once (SQLITE_BUSY,
            # without SQLite's busy wait) while the other one does it, so it is tried again for as long.
            cause = exc.__context__
            busy = isinstance(cause, sqlite3.OperationalError) and ("locked" in str(cause) or "busy" in str(cause))
            if not busy or time.monotonic() >= deadline:
                con.close()
                raise
            time.sleep(0.05)


def _set_up(con: sqlite3.Connection, path: Path) -> None:
    con.execute(f"PRAGMA page_size={PAGE_SIZE}")  # taken by a new, empty file only
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("PRAGMA temp_store=MEMORY")
    page = con.execute("PRAGMA page_size").fetchone()[0]
    con.execute(f"PRAGMA wal_autocheckpoint={CHECKPOINT_BYTES // int(page)}")
    _migrate(con, path)


def _migrate(con: sqlite3.Connection, path: Path) -> None:
    version = con.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    if version > SCHEMA_VERSION:
        raise RepoStateError(
            f"{path}: written by a newer skillgit (evidence schema {version}, this one knows {SCHEMA_VERSION}); "
            "upgrade skillgit, or delete the file and run `skillgit ingest` again."
        )
    con.execute("BEGIN IMMEDIATE")
    try:
        version = con.execute("PRAGMA user_version").fetchone()[0]  # another process may have migrated meanwhile
        for step in MIGRATIONS[version:]:
            for statement in step:
                con.execute(statement)
        con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


class _Connection(sqlite3.Connection):
    """A connection whose failures name the file and the fix (exit 4), not a traceback."""

    path: Path = Path(DB_NAME)

    def execute(self, sql: str, parameters: _Parameters = (), /) -> sqlite3.Cursor:
        try:
            return super().execute(sql, parameters)
        except sqlite3.DatabaseError as exc:
            raise failed(self.path, exc) from None

    def executemany(self, sql: str, parameters: Iterable[_Parameters], /) -> sqlite3.Cursor:
        try:
            return super().executemany(sql, parameters)
        except sqlite3.DatabaseError as exc:
            raise failed(self.path, exc) from None


def failed(path: Path, exc: sqlite3.DatabaseError) -> RepoStateError:
    """What went wrong with the store at `path`, and what to do about it."""
    text = str(exc)
    if "readonly" in text or "read-only" in text:
        return RepoStateError(f"{path}: cannot write the evidence store ({text}); it must be writable to record what "
                              "was ingested or attributed: fix its permissions, or work in a clone you can write to.")
    if "locked" in text or "busy" in text:
        return RepoStateError(f"{path}: another skillgit process kept the evidence store locked for {BUSY_SECONDS:.0f} s "
                              f"({text}); run this again once it has finished.")
    if "full" in text:
        return RepoStateError(f"{path}: the disk is full ({text}); free some space and run this again.")
    if isinstance(exc, sqlite3.OperationalError):
        return RepoStateError(f"{path}: the evidence store failed ({text}); run this again, and if it keeps failing, "
                              "delete the file and run `skillgit ingest` again to rebuild it.")
    return _unusable(path, exc)


def _unusable(path: Path, exc: Exception) -> RepoStateError:
    return RepoStateError(
        f"{path}: not a usable evidence database ({exc}); delete it and run `skillgit ingest` again to rebuild it."
    )


@contextmanager
def write(con: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction (SQLite's write lock, taken at once; waits for another writer)."""
    con.execute("BEGIN IMMEDIATE")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


@contextmanager
def read(con: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One read transaction: every query inside sees the same state of the store."""
    con.execute("BEGIN")
    try:
        yield con
    finally:
        con.execute("COMMIT")


def get_meta(con: sqlite3.Connection, key: str) -> str | None:
    row = con.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def set_meta(con: sqlite3.Connection, key: str, value: str) -> None:
    con.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value))
