"""The event index: every event commit read from git once, kept by commit id in the evidence database.

The journal, `status`, the cycle and the rules' history (`verify`, the hooks) need the event commits
reachable from one commit, newest first, in `git log`'s order. `git log --grep` finds them by reading
every commit message of the history, every time. The index keeps, in `.git/skillgit/evidence.db`
(tables documented in docs/evidence-db.md):

* `events`: one row per event commit ever read, by commit id (its header fields, the parsed message);
* `event_skills`: the skills each event names, one row per value (`Skill-Name` today; other keys fit);
* `event_walks`: for the last few commits asked about, the events reachable from each, in order.

A commit id names its whole history, so what is kept for a commit stays true of it: an amend, a rebase,
a reset or another branch gives another id, never a changed one. The walk of a commit not kept yet is
made from a kept one by reading only the commits in between, when a line of commits (no merges) joins
them within `NEAR` commits: new commits on top of a kept tip, or commits taken off one (an amend, a
reset) and others put on — `git log` lists that line's commits before the walk of the commit it joins.
The ids are read by a `git rev-list` stopped as soon as the join is found, so a reader that may stop
early pays little when there is none. Otherwise a reader that wants every event (`build`: status, the
journal) reads the new commits' events and takes the order from one `git rev-list` (ids, no messages);
a reader that may stop early reads `git log` only as far as it goes.

What git shows of a commit's ancestry can change without the commit changing in two ways: a shallow
clone's boundary (the walks are kept for one `.git/shallow` and dropped when it changes), and
replacement refs or grafts (the index is not used while there are any). Rows are parsed with this
skillgit's rules: a fingerprint of the parsing code (`PARSER_MODULES`, `EVENT_GREP`) is kept with them
and another one reads the events again.

The index is a cache and never a reason to fail or wait: when the database cannot be opened, is written
by a newer skillgit, or another process holds its write lock for more than `WRITE_WAIT`, the events are
read from git as before (and what was found is simply not stored).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sqlite3
import sys
import time
import weakref
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from skillgit import trailers as T
from skillgit.errors import SkillgitError
from skillgit.events import Event, event_from_commit
from skillgit.trailers import Message, Trailers

if TYPE_CHECKING:
    from skillgit.git import Repo

FORMAT = 2
"""The layout of `events.data`; another one reads the events again."""
PARSER_MODULES = ("skillgit.trailers", "skillgit.events")
"""The modules whose rules turn a commit into an Event: a change to any of them reads the events again."""
WRITE_WAIT = 0.2
"""Seconds to wait for another writer of the database before going on without storing."""
KEEP_WALKS = 16
"""Walks kept (the most recently used)."""
NEAR = 2000
"""Commits read at most (ids only) to join a commit's walk to a kept one by a line of commits."""
NEAR_FIRST = 256
"""Commits read first (see `EventIndex._near`)."""
_CHUNK = 500

Item = int | Event
"""One entry of a walk: the row id of a stored event, or an event read but not stored."""
Source = tuple["Sequence[Item] | None", "EventIndex | None", "Iterator[Event] | None"]
"""What an EventLog reads: a walk's items and the index holding their rows, or a stream of events."""
Opener = Callable[[], Source]


# -- reading git ---------------------------------------------------------------------------------


def read_git(repo: Repo, rev: str, *, lazy: bool, exclude: Sequence[str] = ()) -> Iterator[Event]:
    """The events reachable from `rev` (and from none of `exclude`), newest first, read by `git log --grep`.

    `lazy`: for a reader that may stop early; git reads the history only as far as it is asked."""
    from skillgit.events import EVENT_GREP
    from skillgit.git.records import log_record

    args = [*EVENT_GREP, rev, *(["--ignore-missing", "--not", *exclude] if exclude else []), "--"]
    chunks = repo.iter_log_chunks(*args, lazy=lazy)
    if not lazy:
        from skillgit.policy.readahead import read_ahead

        chunks = read_ahead(chunks)  # parsed while git reads on
    try:
        for chunk in chunks:
            r = log_record(chunk)
            event = event_from_commit(r.commit, r.parents, r.author_name, r.author_email, r.time, r.message,
                                      r.committer_email)
            if event.kind is not None:
                yield event
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


# -- the log of one commit -----------------------------------------------------------------------


class EventLog:
    """The events reachable from one commit, newest first, read only as far as asked: from the index
    (a walk, rows loaded in growing batches) or from a `git log` that stops when the reader does."""

    def __init__(self, items: Sequence[Item] | None = None, index: EventIndex | None = None,
                 stream: Iterator[Event] | None = None, *, opener: Opener | None = None) -> None:
        self._opener = opener
        """Finds the source on first use (`event_log`): a log nobody reads costs nothing."""
        self._loaded: list[Event] = []
        self._use(items, index, stream)
        self._done = items is None and stream is None and opener is None

    def _use(self, items: Sequence[Item] | None, index: EventIndex | None, stream: Iterator[Event] | None) -> None:
        self._items = items
        self._index = index
        """The index the items' rows are read from; closed with the log."""
        self._stream = stream
        if stream is not None:
            # a reader that never closes the log (a hook's rules) still ends the `git log` it started
            weakref.finalize(self, _close, stream)

    def _open(self) -> None:
        opener, self._opener = self._opener, None
        if opener is not None:
            items, index, stream = opener()
            self._use(items, index, stream)
            self._done = items is None and stream is None

    @classmethod
    def of(cls, events: Iterable[Event]) -> EventLog:
        """A log of events already at hand (newest first)."""
        return cls(stream=iter(events))

    @property
    def indexed(self) -> bool:
        self._open()
        return self._items is not None

    def get(self, i: int) -> Event | None:
        """The `i`-th newest event (0: the newest), None when there are not that many."""
        self._open()
        if i >= len(self._loaded) and not self._done:
            self._load(i + 1)
        return self._loaded[i] if i < len(self._loaded) else None

    def __iter__(self) -> Iterator[Event]:
        i = 0
        while (event := self.get(i)) is not None:
            yield event
            i += 1

    def __len__(self) -> int:
        self._open()
        if self._items is not None:
            return len(self._items)
        self._load(sys.maxsize)
        return len(self._loaded)

    def all(self) -> list[Event]:
        """Every event, newest first."""
        self._open()
        self._load(sys.maxsize)
        return self._loaded

    def read(self) -> list[Event]:
        """The events read so far (the newest ones), without reading more."""
        return list(self._loaded)

    def has_kind(self, kind: str) -> bool:
        """Some event is of type `kind` (read from the newest on, until one is)."""
        self._open()
        if self._items is not None and self._index is not None and not self._done:
            stored = self._index.ids_of_kind(kind)
            if stored is not None:
                return any(item in stored if isinstance(item, int) else item.kind == kind for item in self._items)
        return any(e.kind == kind for e in self)

    def of_kind(self, kind: str) -> list[Event]:
        """The events of type `kind`, newest first (from the index: only their rows are read)."""
        self._open()
        if self._items is not None and self._index is not None and not self._done:
            stored = self._index.ids_of_kind(kind)
            if stored is not None:
                picked = [item for item in self._items if (item in stored if isinstance(item, int) else item.kind == kind)]
                rows = self._index.rows([item for item in picked if isinstance(item, int)])
                return [rows[item] if isinstance(item, int) else item for item in picked]
        return [e for e in self if e.kind == kind]

    def position(self, commit: str) -> int | None:
        """Where the event of `commit` is (0: the newest), None when it is not in the log."""
        self._open()
        if self._items is not None and self._index is not None and not self._done:
            row = self._index.ids_of([commit]).get(commit)
            if isinstance(self._items, array) and row is not None:
                return self._items.index(row) if row in self._items else None
            return next((i for i, item in enumerate(self._items)
                         if (item == row if isinstance(item, int) else item.commit == commit)), None)
        return next((i for i, e in enumerate(self) if e.commit == commit), None)

    def latest_by_skill(self, n: int) -> dict[str, tuple[str, str]]:
        """(type, commit) of the newest event naming each skill (`Skill-Name`, or the name a rename started
        from), among the `n` newest events; from the index, the skills of the events are read newest first
        and only until every skill the index knows has its event, then only those events' type and id."""
        self._open()
        out: dict[str, tuple[str, str]] = {}
        if self._items is not None and self._index is not None and not self._done:
            found = self._latest_from_index(self._index, self._items[:n])
            if found is not None:
                return found
        for i, event in enumerate(self):
            if i >= n:
                break
            for skill in _names(event):
                out.setdefault(skill, (str(event.kind), event.commit))
        return out

    @staticmethod
    def _latest_from_index(index: EventIndex, items: Sequence[int | Event]) -> dict[str, tuple[str, str]] | None:
        """`latest_by_skill` over `items` (newest first; stored events as row ids), None: the index cannot say."""
        size = len(items)
        at = {item: i for i, item in zip(range(size - 1, -1, -1), reversed(items)) if isinstance(item, int)}
        newest = index.newest_naming(at, size)
        if newest is None:
            return None
        for i, item in enumerate(items):
            if not isinstance(item, int):
                for skill in _names(item):
                    if newest.get(skill, size) > i:
                        newest[skill] = i
        heads = index.heads(list({item for i in newest.values() if isinstance(item := items[i], int)}))
        out: dict[str, tuple[str, str]] = {}
        for skill, i in newest.items():
            item = items[i]
            out[skill] = heads[item] if isinstance(item, int) else (str(item.kind), item.commit)
        return out

    def close(self) -> None:
        """Stop reading: a `git log` still running is ended, the index closed."""
        self._opener = None
        if self._stream is not None:
            _close(self._stream)
        self._stream = None
        if self._index is not None:
            self._index.close()
            self._index = None
        self._done = True

    def __enter__(self) -> EventLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _load(self, want: int) -> None:
        if self._items is not None:
            self._load_items(want)
            return
        stream = self._stream
        while len(self._loaded) < want and stream is not None:
            event = next(stream, None)
            if event is None:
                self.close()
                break
            self._loaded.append(event)

    def _load_items(self, want: int) -> None:
        items = self._items
        assert items is not None
        have = len(self._loaded)
        # growing batches: a rule that needs the last few events reads a few rows, a full read few queries
        end = min(len(items), max(want, 64, have * 4))
        part = items[have:end]
        rows = self._index.rows([i for i in part if isinstance(i, int)]) if self._index is not None else {}
        for item in part:
            self._loaded.append(rows[item] if isinstance(item, int) else item)
        if end >= len(items):
            self._done = True


def _skill_rows(event: Event) -> list[tuple[str, str]]:
    """(key, skill) rows of `event_skills`: each `Skill-Name`, and a rename's old name."""
    return [(T.NAME, name) for name in event.skills] + ([(T.RENAMED_FROM, event.renamed_from)] if event.renamed_from else [])


def _names(event: Event) -> tuple[str, ...]:
    return (*event.skills, *([event.renamed_from] if event.renamed_from else []))


def _close(stream: Iterator[Event]) -> None:
    close = getattr(stream, "close", None)
    if close is not None:
        close()


# -- the index -----------------------------------------------------------------------------------


class EventIndex:
    """The event tables of the evidence database of one repository. Open with `EventIndex.open`."""

    def __init__(self, repo: Repo, con: sqlite3.Connection) -> None:
        self.repo = repo
        self.con = con
        self._kinds: dict[str, frozenset[int]] = {}

    @classmethod
    def open(cls, repo: Repo, *, create: bool) -> EventIndex | None:
        """The index of `repo`, checked against the parsing rules and the clone's shallow state; None when
        it cannot be used now (see the module doc) — the caller reads git."""
        from skillgit.evidence import db

        try:
            if repo.replaced_history():
                return None
            con = db.connect(db.db_path(repo), create=create, timeout=WRITE_WAIT)
        except (SkillgitError, OSError, sqlite3.Error):
            return None
        if con is None:
            return None
        index = cls(repo, con)
        try:
            if index._current():
                return index
        except (SkillgitError, sqlite3.Error):
            pass
        con.close()
        return None

    def close(self) -> None:
        self.con.close()

    def _current(self) -> bool:
        """Make the stored rows and walks match this skillgit's parsing rules and the clone's shallow
        state (dropping what does not); False when that needed a write that could not be made now."""
        from skillgit.evidence import db

        parser, shallow = parser_fingerprint(), _shallow_key(self.repo)
        if db.get_meta(self.con, "events_parser") == parser and db.get_meta(self.con, "event_walks_shallow") == shallow:
            return True
        with db.write(self.con):
            if db.get_meta(self.con, "events_parser") != parser:
                for table in ("event_walks", "event_skills", "events"):
                    self.con.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
                db.set_meta(self.con, "events_parser", parser)
            if db.get_meta(self.con, "event_walks_shallow") != shallow:
                self.con.execute("DELETE FROM event_walks")
                db.set_meta(self.con, "event_walks_shallow", shallow)
        return True

    # -- walks ---------------------------------------------------------------------------------

    def walk(self, head: str, *, build: bool) -> Sequence[Item] | None:
        """The events reachable from commit `head` (a full id), as items; None when `build` is False and that
        would mean reading much of the history (the caller then reads git lazily)."""
        try:
            return self._walk(head, build=build)
        except (SkillgitError, sqlite3.Error):
            return None

    def _walk(self, head: str, *, build: bool) -> Sequence[Item] | None:
        kept = self._kept(head)
        if kept is not None:
            self._touch(head)
            return kept
        tips = [r[0] for r in self.con.execute("SELECT tip FROM event_walks ORDER BY used DESC LIMIT ?", (KEEP_WALKS,))]
        made = self._near(head, tips) if tips else None
        if made is None and build and tips:
            made = self._from_kept(head, tips)
        if made is None:
            if not build:
                return None
            made = self._reordered(head, tips) if tips else list(read_git(self.repo, head, lazy=False))
        return self._store(head, made)

    def _kept(self, tip: str) -> array[int] | None:
        row = self.con.execute("SELECT events FROM event_walks WHERE tip = ?", (tip,)).fetchone()
        return None if row is None else _ids(row[0])

    def _touch(self, tip: str) -> None:
        """Mark walk `tip` used now (best effort, at most once a minute: a read must not wait for it)."""
        from skillgit.evidence import db

        now = _now()
        row = self.con.execute("SELECT used FROM event_walks WHERE tip = ?", (tip,)).fetchone()
        if row is None or now - row[0] < 60_000_000:
            return
        try:
            with db.write(self.con):
                self.con.execute("UPDATE event_walks SET used = ? WHERE tip = ?", (now, tip))
        except (SkillgitError, sqlite3.Error):
            pass

    def _near(self, head: str, tips: list[str]) -> list[Item] | None:
        """`head`'s walk from a kept one when a line of commits joins them near `head` (None: not found
        within `NEAR` commits): commits on top of a kept tip, or taken off one (an amend, a reset, a rebase
        of the last commits) and maybe others put on. Reads only those commits' ids, newest first: first
        at most `NEAR_FIRST` of them each way (a commit just below a kept tip, such as a range's base,
        is found without reading `NEAR` commits below it), then `NEAR`."""
        found = self._near_within(head, tips, NEAR_FIRST)
        return found if found is not None else self._near_within(head, tips, NEAR)

    def _near_within(self, head: str, tips: list[str], limit: int) -> list[Item] | None:
        kept_tips = set(tips)
        mine = self.repo.line_below(head, kept_tips.__contains__, limit)
        if mine and mine[-1] in kept_tips:
            base = self._kept(mine[-1])
            return None if base is None else self._on(head, mine[-1], len(mine) > 1, base)
        at = {commit: i for i, commit in enumerate(mine)}
        for tip in tips[:3]:
            theirs = self.repo.line_below(tip, at.__contains__, limit)
            if not theirs or theirs[-1] not in at:
                continue
            kept = self._kept(tip)
            if kept is None:
                continue
            ids = self.ids_of(theirs[:-1])
            dropped = [ids[c] for c in theirs[:-1] if c in ids]
            if list(kept[: len(dropped)]) == dropped:
                return self._on(head, theirs[-1], at[theirs[-1]] > 0, kept[len(dropped):])
        return None

    def _on(self, head: str, below: str, new: bool, base: Sequence[Item]) -> list[Item]:
        """`head`'s walk: the events of the line of commits from `head` down to `below` (excluded), if `new`
        commits are there, then `base`, the walk of `below`."""
        fresh = list(read_git(self.repo, head, lazy=False, exclude=[below])) if new else []
        return [*fresh, *base]

    def _from_kept(self, head: str, tips: list[str]) -> list[Item] | None:
        """`head`'s walk from a kept one when the commits in between form a line however long (None: they
        do not); they are listed by one `git rev-list` over them (a full read: for `build` only)."""
        new = self.repo.new_commits(head, tips)
        if not new or not _is_line(new):
            return None
        parents = new[-1][1]
        if not parents:
            return list(read_git(self.repo, head, lazy=False))
        base = self._kept(parents[0]) if parents[0] in tips else None
        return None if base is None else self._on(head, parents[0], True, base)

    def _reordered(self, head: str, tips: list[str]) -> list[Item]:
        """`head`'s walk when merges came in since the kept walks: the new events read from git, the order
        from `git rev-list` (ids only)."""
        fresh = {e.commit: e for e in read_git(self.repo, head, lazy=False, exclude=tips)}
        order = self.repo.walk_order(head)
        stored = dict(self.con.execute("SELECT commit_id, id FROM events").fetchall())
        out: list[Item] = []
        for commit in order:
            item = fresh.get(commit) or stored.get(commit)
            if item is not None:
                out.append(item)
        return out

    def _store(self, head: str, items: list[Item]) -> Sequence[Item]:
        """Store the new events and the walk of `head` (best effort); the walk, as stored or as found."""
        from skillgit.evidence import db

        new = [item for item in items if isinstance(item, Event)]
        try:
            with db.write(self.con):
                if new:
                    self.con.executemany(
                        "INSERT OR IGNORE INTO events(commit_id, kind, time, author_email, committer_email, title, trailers,"
                        " data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [_row(e) for e in new])
                    ids = self.ids_of([e.commit for e in new])
                    self.con.executemany("INSERT OR IGNORE INTO event_skills(event, skill, key) VALUES (?, ?, ?)",
                                         [(ids[e.commit], _text(skill), key) for e in new for key, skill in _skill_rows(e)])
                    walk = array("i", (ids[item.commit] if isinstance(item, Event) else item for item in items))
                else:
                    walk = array("i", (item for item in items if isinstance(item, int)))
                self.con.execute("INSERT OR REPLACE INTO event_walks(tip, events, count, used) VALUES (?, ?, ?, ?)",
                                 (head, _blob(walk), len(walk), _now()))
                self.con.execute("DELETE FROM event_walks WHERE tip NOT IN"
                                 " (SELECT tip FROM event_walks ORDER BY used DESC LIMIT ?)", (KEEP_WALKS,))
        except (SkillgitError, sqlite3.Error, UnicodeError):
            return items
        self._kinds.clear()
        return walk

    # -- rows ----------------------------------------------------------------------------------

    def newest_naming(self, at: dict[int, int], size: int) -> dict[str, int] | None:
        """Skill → the smallest `at[event]` among the stored events naming it (events not in `at` left out;
        `size`: more than any position). None: not readable now."""
        out: dict[str, int] = {}
        get, best = at.get, out.get
        try:
            for row, skill in self.con.execute("SELECT event, skill FROM event_skills"):
                i = get(row, size)
                if i < best(skill, size):
                    out[skill] = i
        except (SkillgitError, sqlite3.Error):
            return None
        return out

    def heads(self, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        """(type, commit) of the stored events with row ids `ids`."""
        return {row: (kind, commit) for row, kind, commit in self._by_id("id, kind, commit_id", ids)}

    def _by_id(self, columns: str, ids: Sequence[int]) -> Iterator[tuple[int, str, str]]:
        """`columns` of the stored events with row ids `ids` (asked in chunks): the row id, then two of the
        text columns (`kind`, `commit_id`, `data`: all NOT NULL)."""
        for i in range(0, len(ids), _CHUNK):
            part = ids[i : i + _CHUNK]
            marks = ",".join("?" * len(part))
            yield from self.con.execute(f"SELECT {columns} FROM events WHERE id IN ({marks})", part)  # noqa: S608

    def ids_of(self, commits: Sequence[str]) -> dict[str, int]:
        """Row ids of the stored events of `commits`."""
        out: dict[str, int] = {}
        for i in range(0, len(commits), _CHUNK):
            part = commits[i : i + _CHUNK]
            marks = ",".join("?" * len(part))
            out.update(self.con.execute(f"SELECT commit_id, id FROM events WHERE commit_id IN ({marks})", part))  # noqa: S608
        return out

    def rows(self, ids: Sequence[int]) -> dict[int, Event]:
        """The stored events with row ids `ids`."""
        return {row: _event(commit, data) for row, commit, data in self._by_id("id, commit_id, data", ids)}

    def ids_of_kind(self, kind: str) -> frozenset[int] | None:
        """Row ids of the stored events of type `kind` (None: not readable now)."""
        if kind not in self._kinds:
            try:
                self._kinds[kind] = frozenset(r[0] for r in self.con.execute("SELECT id FROM events WHERE kind = ?", (kind,)))
            except (SkillgitError, sqlite3.Error):
                return None
        return self._kinds[kind]


# -- entry points --------------------------------------------------------------------------------


def event_log(repo: Repo, rev: str, *, build: bool) -> EventLog:
    """The events reachable from `rev`, newest first: from the index when it has them (or, with `build`,
    after reading what it lacks), else from a `git log` read only as far as asked. Nothing is opened or
    read until the log is first used."""

    def opener() -> Source:
        head = repo.commit_id(rev)
        if not head:
            return None, None, None
        index = EventIndex.open(repo, create=build)
        if index is not None:
            items = index.walk(head, build=build)
            if items is not None:
                return items, index, None
            index.close()
        return None, None, read_git(repo, head, lazy=True)

    return EventLog(opener=opener)


def all_events(repo: Repo, rev: str) -> list[Event]:
    """Every event reachable from `rev`, newest first (`git log --grep`'s order), through the index."""
    with event_log(repo, rev, build=True) as log:
        return list(log.all())


# -- rows ----------------------------------------------------------------------------------------


def _row(e: Event) -> tuple[object, ...]:
    m = e.message
    data = [list(e.parents), e.author_name, e.author_email, e.committer_email, int(e.time.timestamp()), m.title, m.body,
            [list(p) for p in m.trailers.items], [list(f) for f in m.forged], e.kind, e.revert_of]
    trailers = json.dumps(m.trailers.items)
    return (e.commit, e.kind, int(e.time.timestamp()) * 1_000_000, _text(e.author_email), _text(e.committer_email),
            _text(m.title), trailers, json.dumps(data))


def _event(commit: str, data: str) -> Event:
    parents, name, email, committer, when, title, body, items, forged, kind, revert_of = json.loads(data)
    message = Message(title, body, Trailers(tuple((k, v) for k, v in items)), tuple((n, k) for n, k in forged))
    return Event(commit, tuple(parents), name, email, datetime.fromtimestamp(when, tz=UTC), message, kind, revert_of,
                 committer)


def _text(value: str) -> str:
    """`value` as SQLite can store it (bytes that were not UTF-8 shown as U+FFFD); `data` keeps them exactly."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return value


def _blob(ids: array[int]) -> bytes:
    if sys.byteorder == "big":
        ids = array("i", ids)
        ids.byteswap()
    return ids.tobytes()


def _ids(blob: bytes) -> array[int]:
    ids = array("i")
    ids.frombytes(blob)
    if sys.byteorder == "big":
        ids.byteswap()
    return ids


def _is_line(commits: list[tuple[str, tuple[str, ...]]]) -> bool:
    """The commits (newest first) are one line: each the only parent of the one before, no merges."""
    if any(len(parents) > 1 for _, parents in commits):
        return False
    return all(parents == (below,) for (_, parents), (below, _) in zip(commits, commits[1:], strict=False))


def _now() -> int:
    return int(time.time() * 1_000_000)


def _shallow_key(repo: Repo) -> str:
    boundaries = repo.shallow_boundaries()
    return hashlib.sha256(" ".join(sorted(boundaries)).encode()).hexdigest()[:16] if boundaries else "complete"


_PARSER: list[str] = []


def parser_fingerprint() -> str:
    """A digest of the rules that turn a commit into an Event (the parsing modules' source and the grep)."""
    if not _PARSER:
        from skillgit.events import EVENT_GREP

        _PARSER.append(code_fingerprint(PARSER_MODULES, f"{FORMAT}\0{EVENT_GREP!r}"))
    return _PARSER[0]


def code_fingerprint(modules: Sequence[str], extra: str = "") -> str:
    """A digest of skillgit's version, `extra` and the source of `modules`: what a cache of their results is
    kept with (another one: read again)."""
    from skillgit.version import __version__

    digest = hashlib.sha256(f"{extra}\0{__version__}".encode())
    for name in modules:
        spec = importlib.util.find_spec(name)  # the source file, without importing the module
        try:
            digest.update(Path(str(spec.origin if spec else name)).read_bytes())
        except OSError:
            pass
    return digest.hexdigest()[:16]
