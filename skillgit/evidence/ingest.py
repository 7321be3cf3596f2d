"""`skillgit ingest`: find trace files, read what changed into the evidence store, summarize.

Paths may be files or directories (walked; hidden entries skipped; symlinked folders followed, each
real folder once, so a link loop ends). A file that no adapter recognizes is skipped as
`unknown-format` (named in the report, failing `--strict`) when it was named explicitly or has a trace
file suffix (`.jsonl`, `.json`, `.ndjson`); other files found in a walk are counted as ignored and
named. A file read with a forced `--format` that yields nothing usable (no tool call, skill, message,
outcome or learning) is skipped as `wrong-format`, saying which format it looks like.

Unchanged files (same size, mtime and inode, companions included) are not opened again: their
sessions and skip counts come from the store, so a re-run reports the same totals. When every file is
stored and unchanged (or again not a trace), the report is kept for the next ingest of the same files,
which gives it without looking at each file's row, unless a source was written since. A JSON-lines file
that only grew (same inode, the bytes read last time unchanged: `digest`) is read on from where the
last ingest stopped, with the reader state kept then; any other change reads it again whole.

Files that changed are read by worker processes at once (one per CPU, `--jobs`) when there is much to
read whole: each gives back a file's sessions (as the rows to store, when it read the file whole), and
this process stores them in the order of the files, as it would have read them itself. A worker reads on
a file that grew with the state kept for it, read from the store on a connection of its own.

Results are written every few seconds, each batch in one transaction, so an ingest killed at any
point loses only what it read since the last one. Two ingests may run at once: SQLite orders their
writes, and a file both read is stored once (the later write of an older read is dropped). At the
end, the sessions are attributed (`skillgit.evidence.ingested.refresh`): commands that read the
evidence find it done.
"""

from __future__ import annotations

import gc
import hashlib
import io
import os
import pickle
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from skillgit.errors import RepoStateError, UsageError
from skillgit.evidence.adapters.lines import MAX_EXAMPLES, Batch, Cursor, ReadReport, Skip, duration_until, feed, tool_call
from skillgit.evidence.rows import READER_VERSION, Inputs, Stored, Written
from skillgit.evidence.session import Learning, Session
from skillgit.evidence.store import SourceRow, Store, Unchanged, stat_key
from skillgit.frozenrecord import Record
from skillgit.safefile import open_regular

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess
    from multiprocessing.sharedctypes import Synchronized
    from multiprocessing.synchronize import Semaphore as SemaphoreType
    from sqlite3 import Connection as SQLiteConnection

    from skillgit.config import Config
    from skillgit.evidence.adapters.lines import LineReader
    from skillgit.evidence.adapters.registry import TraceAdapter
    from skillgit.evidence.attribution import Catalog
    from skillgit.git import Repo
    from skillgit.jsontypes import JSONObject

TRACE_SUFFIXES = (".jsonl", ".json", ".ndjson")
SAVE_EVERY_SECONDS = 5.0
"""The longest a reading waits to be stored (a killed ingest loses at most that much reading). Going on
with thousands of grown files changes rows all over the file, and a batch after the first one writes the
pages of the sessions it settled and attributed again (every 2 s made a busy machine's ingest of 1% more
lines on 1 GB of traces two batches, and a sixth more written)."""
SAVE_EVERY_BYTES = 32 * 1024 * 1024
DIGEST_WINDOW = 8 * 1024
PARALLEL_MIN_BYTES = 16 * 1024 * 1024
"""Files to read whole that hold less than this (in all) are read by the ingest process itself, with the
files to read on: starting worker processes would cost more than it saves. (Reading on thousands of grown
files in workers costs a third more CPU time than here, for a wall time little shorter on two CPUs: the
ingest process storing their readings is as busy as the workers reading them.)"""
MAX_JOBS = 8
AHEAD = 200
"""How many files to read on have their states and stored rows read at once (`Store.read_ahead`)."""
WORKERS_AHEAD_BYTES = 16 * 1024 * 1024
"""How much the worker processes read past the file being stored, in files of the average size to read (at
least 4 files a worker, at most `WORKERS_MAX_AHEAD` files): enough for them to go on reading while this
process stores a batch and SQLite copies the WAL into the file. (4 files a worker left them idle for most of
each save: a tenth of a cold ingest's time on 1 GB of traces, one CPU unused.)"""
WORKERS_MAX_AHEAD = 256


@dataclass(frozen=True, eq=False, repr=False)
class Source(Record):
    """One file to ingest; `explicit` when named directly (not found by walking a directory)."""

    path: str
    format: str
    explicit: bool
    key: list[int]


@dataclass
class IngestResult:
    files_read: int = 0
    files_appended: int = 0
    """Files read on from where the last ingest stopped (counted in `files_read` too)."""
    files_cached: int = 0
    files_ignored: int = 0
    sessions: int = 0
    learnings: int = 0
    subagents_folded: int = 0
    bytes_read: int = 0
    seconds: float = 0.0
    skipped: Counter[str] = field(default_factory=Counter)
    examples: list[Skip] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    """The first files found in a walk that are not traces (`files_ignored` counts them all)."""

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def to_json(self) -> JSONObject:
        return {
            "files_read": self.files_read,
            "files_appended": self.files_appended,
            "files_cached": self.files_cached,
            "files_ignored": self.files_ignored,
            "sessions": self.sessions,
            "learnings": self.learnings,
            "subagents_folded": self.subagents_folded,
            "bytes_read": self.bytes_read,
            "seconds": round(self.seconds, 3),
            "skipped": dict(sorted(self.skipped.items())),
            "examples": [{"file": s.file, "line": s.line, "reason": s.reason, "detail": s.detail} for s in self.examples],
            "warnings": list(self.warnings),
            "ignored": list(self.ignored),
        }


def check_format(fmt: str) -> str:
    from skillgit.evidence.adapters.registry import ADAPTERS

    if fmt != "auto" and fmt not in ADAPTERS:
        raise UsageError(f"unknown trace format {fmt!r}; use auto or one of: {', '.join(ADAPTERS)}.")
    return fmt


def configured_sources(root: Path, config: Config) -> list[tuple[Path, str]]:
    """`traces.sources` of skillgit.yaml: (path, format), relative paths against the repo root, `~` and globs expanded."""
    import glob

    out: list[tuple[Path, str]] = []
    for source in config.traces.sources:
        fmt = check_format(source.format)
        pattern = os.path.expanduser(source.path)
        if not os.path.isabs(pattern):
            pattern = str(root / pattern)
        matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        out.extend((Path(m), fmt) for m in matches)
    return out


def collect(paths: Iterable[tuple[Path, str]], result: IngestResult) -> list[Source]:
    """Every file under `paths` (path, format), each once, in a stable order."""
    gc_was_enabled = gc.isenabled()
    gc.disable()  # the walk's lists hold no cycles: collecting while thousands of them pile up only costs time
    try:
        return _collect(paths, result)
    finally:
        if gc_was_enabled:
            gc.enable()


def _collect(paths: Iterable[tuple[Path, str]], result: IngestResult) -> list[Source]:
    seen: set[str] = set()
    out: list[Source] = []
    for path, fmt in paths:
        if not os.path.exists(path):
            result.warnings.append(f"{path}: trace source does not exist; fix traces.sources in skillgit.yaml.")
            continue
        explicit = not os.path.isdir(path)
        top = os.path.abspath(path)
        single = stat_key(top) if explicit else None
        found = ([] if single is None else [(top, single)]) if explicit else _walk(top)  # absolute, as `top` is
        for full, key in found:
            if full not in seen:
                seen.add(full)
                if not full.isascii() and not _utf8(full):
                    shown = os.fsencode(full).decode("utf-8", "backslashreplace")
                    result.warnings.append(f"{shown}: not ingested: its name is not valid UTF-8, which the evidence store"
                                           " keeps paths in; rename it to ingest it.")
                    continue
                out.append(Source(full, fmt, explicit, key))
    return out


def _utf8(path: str) -> bool:
    """Whether `path` (from the file system: bytes that are not UTF-8 as lone surrogates) is valid UTF-8."""
    try:
        path.encode()
    except UnicodeEncodeError:
        return False
    return True


def _walk(top: str) -> list[tuple[str, list[int]]]:
    """Every non-hidden file under `top` with its `stat_key`, in `os.walk` order (a folder's files by name,
    then its folders by name), following symlinked folders but visiting each real folder once.

    A folder is known by its real path: a real folder's is its parent's plus its name, a symlinked one's
    is resolved (`os.path.realpath`). Only files and links are looked up, as `os.walk` does: a walk of a
    tree of small folders costs a `stat` a file, not one an entry."""
    out: list[tuple[str, list[int]]] = []
    if not os.path.isdir(top):
        return out
    seen: set[str] = set()
    stack = [(top, os.path.realpath(top))]
    while stack:
        folder, real = stack.pop()
        if real in seen:
            continue
        seen.add(real)
        try:
            with os.scandir(folder) as found:
                entries = [e for e in found if not e.name.startswith(".")]
        except OSError:
            continue
        entries.sort(key=_NAME)
        prefix = real if real.endswith(os.sep) else real + os.sep
        folders = []
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                folders.append((entry.path, os.path.realpath(entry.path) if entry.is_symlink() else prefix + entry.name))
                continue
            try:
                st = entry.stat()
            except OSError:  # a broken link, a file gone meanwhile
                continue
            out.append((entry.path, [st.st_size, st.st_mtime_ns, st.st_ino]))
        stack.extend(reversed(folders))
    return out


_NAME = attrgetter("name")


def ingest_paths(repo: Repo, config: Config, paths: Iterable[Path] = (), fmt: str = "auto") -> IngestResult:
    """Ingest `paths` (with format `fmt`) plus the configured `traces.sources`; the library entry point."""
    result = IngestResult()
    sources = [(Path(p), check_format(fmt)) for p in paths] + configured_sources(repo.root, config)
    return ingest(repo, collect(sources, result), config.traces.max_line_bytes, result, config=config)


def ingest(
    repo: Repo,
    files: list[Source],
    max_line_bytes: int,
    result: IngestResult | None = None,
    progress: Callable[[int], None] | None = None,
    *,
    config: Config | None = None,
    jobs: int | None = None,
) -> IngestResult:
    """Read every changed file of `files` into the repo's evidence store; the result sums all of them.

    Files to read are read by `jobs` worker processes at once (default: one a CPU, when they hold
    `PARALLEL_MIN_BYTES` or more to read), this one storing what they give in the order of `files`, as one
    process reading them in turn would: the store ends up the same."""
    started = time.perf_counter()
    result = result or IngestResult()
    store = Store.open(repo, create=True)
    try:
        fingerprint = _fingerprint(files)
        if not _as_before(store.unchanged(), fingerprint, files, result):
            reading = _Reading(repo, config, store, files, max_line_bytes, result)
            reading.run(progress, jobs)
            _settle(reading, fingerprint)
            result.sessions -= result.subagents_folded
    finally:
        store.close()
    result.seconds = time.perf_counter() - started
    return result


class _Reading:
    """One ingest's pass over the files that changed: read (here or by worker processes, `_Workers`) and
    stored a batch at a time (`SAVE_EVERY_BYTES`, `SAVE_EVERY_SECONDS`)."""

    def __init__(self, repo: Repo, config: Config | None, store: Store, files: list[Source], max_line_bytes: int,
                 result: IngestResult) -> None:
        self.repo, self.config, self.store, self.files = repo, config, store, files
        self.max_line_bytes, self.result = max_line_bytes, result
        self.writes = store.writes()  # before the rows are read: a write after it keeps nothing (`_keep_unchanged`)
        self.stored = store.sources()
        self.plan = _plan(files, self.stored)
        self.warned = len(result.warnings)
        self.counted: list[str] = []
        """The files whose rows stand or were stored now."""
        self.nothing: set[str] = set()
        """The files that gave nothing to store (not traces, unreadable…)."""
        self.pending: list[Written] = []
        self.pending_bytes = 0
        self.last_save = time.monotonic()
        self.catalog: Catalog | None = None
        self.finder: _FactFinder | None = None
        self.workers: _Workers | None = None
        self.then: Callable[[SQLiteConnection], None] | None = None
        """What each write runs last in its transaction (`ingested.refreshing`)."""
        self.last: Callable[[SQLiteConnection], None] | None = None
        """What the last write runs last in its transaction: the same, the roles settled first."""
        self.attributed: Callable[[SQLiteConnection], bool] | None = None
        """Whether the store's attribution is made with the skills the sessions read are attributed with."""

    def run(self, progress: Callable[[int], None] | None, jobs: int | None) -> None:
        gc_was_enabled = gc.isenabled()
        gc.disable()  # the records read hold no cycles; collecting while they pile up only costs time
        try:
            for index, source in enumerate(self.files):
                self._file(index, source, jobs)
                if progress:
                    progress(source.key[0])
                if self.pending and (self.pending_bytes > SAVE_EVERY_BYTES
                                     or time.monotonic() - self.last_save > SAVE_EVERY_SECONDS):
                    self._save()
            if self.pending:
                self._save(last=True)
        finally:
            if self.workers is not None:
                self.workers.close()
            if gc_was_enabled:
                gc.enable()

    def _file(self, index: int, source: Source, jobs: int | None) -> None:
        result, how = self.result, self.plan[index]
        if how == _CACHED:
            result.files_cached += 1
            self.counted.append(source.path)
            return
        if self.finder is None:  # the skills are read only when a file is: re-ingesting nothing new is cheap
            self._start(jobs)
        assert self.finder is not None
        row = self.stored.get(source.path)
        if self.workers is not None:
            written, found = self.workers.next()
            written = None if written is None else written.placed()
            _merge(result, found)
        else:
            if how == _ON and row is not None and row.id not in self.store.ahead:
                self._read_ahead(index)
            written = _read(source, row, self.store, result, self.max_line_bytes, self.finder, resumable=how == _ON)
        if written is None:
            self.nothing.add(source.path)
            return
        result.files_read += 1
        result.files_appended += written.resume
        done = row.read_to if written.resume and row is not None else 0
        result.bytes_read += source.key[0] - done
        self.pending_bytes += source.key[0] - done
        self.pending.append(written)
        self.counted.append(source.path)

    def _read_ahead(self, index: int) -> None:
        """Read what is kept for the next files to read on, from `index` on (`Store.read_ahead`)."""
        rows = []
        for source, how in zip(self.files[index:], self.plan[index:]):
            row = self.stored.get(source.path)
            if how == _ON and row is not None:
                rows.append(row)
                if len(rows) == AHEAD:
                    break
        self.store.read_ahead(rows)

    def _start(self, jobs: int | None) -> None:
        from skillgit.evidence.ingested import attributed_with, open_catalog, refresh, refreshing

        self.catalog = open_catalog(self.repo, self.config, self.store)
        refresh(self.store, self.catalog)  # the store's attribution made with these skills: sessions are attributed as read
        then = refreshing(self.store, self.catalog)
        self.then, self.last = (lambda con: then(con, False)), (lambda con: then(con, True))
        self.attributed = attributed_with(self.catalog)
        self.finder = _FactFinder(self.catalog)
        self.workers = _Workers.start(self.files, self.stored, self.plan, self.finder, self.max_line_bytes, jobs,
                                      self.store.path)

    def _save(self, last: bool = False) -> None:
        then = self.last if last else self.then
        try:
            warnings = _save(self.store, self.pending, then, self.attributed)
        except UnicodeEncodeError:  # a lone surrogate, which UTF-8 text cannot hold: nothing was stored
            self.pending = self._carefully(self.pending)
            warnings = _save(self.store, self.pending, then, self.attributed)
        self.result.warnings.extend(warnings)
        self.pending, self.pending_bytes, self.last_save = [], 0, time.monotonic()

    def _carefully(self, pending: list[Written]) -> list[Written]:
        """`pending`, each file read again as it was, its lone surrogates mended (`lines.CAREFUL`); what the
        readings found (skips, counts) is counted already."""
        from skillgit.evidence.adapters import lines

        assert self.finder is not None
        plans = {source.path: (source, how) for source, how in zip(self.files, self.plan)}
        again: list[Written] = []
        lines.CAREFUL = True
        try:
            for item in pending:
                source, how = plans[item.path]
                row = self.stored.get(source.path)
                written = _read(source, row, self.store, IngestResult(), self.max_line_bytes, self.finder,
                                resumable=how == _ON)
                if written is not None:
                    again.append(written)
        finally:
            lines.CAREFUL = False
        return again


def _settle(reading: _Reading, fingerprint: str) -> None:
    """After `reading`: count what the files hold, attribute what was stored, and keep the report for the
    next ingest of the same files when it will find them all unchanged."""
    store, result, files = reading.store, reading.result, reading.files
    writes, rows = (store.writes(), store.sources()) if result.files_read else (reading.writes, reading.stored)
    looked = IngestResult(files_ignored=result.files_ignored, skipped=Counter(result.skipped),
                          examples=list(result.examples), ignored=list(result.ignored))
    """What the files that gave nothing added (the rest comes from the rows stored, `_count`)."""
    _count(result, rows, reading.counted)
    result.subagents_folded = store.subagents(reading.counted)
    if reading.catalog is not None:
        from skillgit.evidence.ingested import refresh

        refresh(store, reading.catalog)
    stored_now = set(reading.counted)
    if len(result.warnings) == reading.warned and all(
            source.path in stored_now or (source.path in reading.nothing and source.path not in rows) for source in files):
        # the next ingest of these files finds each stored and unchanged (as read: `counted`; its row has
        # the stat keys of the walk), or again gives nothing of it (and nothing was stored of it before)
        _keep_unchanged(store, writes, fingerprint, files, rows, looked,
                        None if result.files_read else result.subagents_folded)


def _count(result: IngestResult, rows: dict[str, SourceRow], paths: Iterable[str]) -> None:
    """Add the sessions, learnings and skips stored from `paths` to `result`."""
    for path in paths:
        row = rows.get(path)
        if row is not None:
            result.sessions += row.sessions
            result.learnings += row.learnings
            if row.skipped_json != "{}" or row.examples_json != "[]":
                _add_skips(result, row.skipped, row.skips())


def _fingerprint(files: list[Source]) -> str:
    """A digest of the files to ingest: each one's path, format, whether it was named and stat key."""
    import marshal  # its format may change with Python's version: then the digest does, and the files are looked at

    columns = [list(map(attrgetter(name), files)) for name in ("path", "format", "explicit", "key")]
    return hashlib.sha256(marshal.dumps((READER_VERSION, columns))).hexdigest()  # columns: no tuple a file


def _keep_unchanged(store: Store, writes: int, fingerprint: str, files: list[Source], rows: dict[str, SourceRow],
                    report: IngestResult, subagents: int | None) -> None:
    """Keep what the next ingest of `files` reports — each one stored and unchanged (as `rows`, read after
    the store's `writes` was, has it) or giving nothing again (what those added: `report`) — for it to
    report that without looking at each file (`_as_before`). `subagents`: the folded subagents of the
    stored files, when counted already."""
    stored = [source.path for source in files if source.path in rows]
    _count(report, rows, stored)
    report.subagents_folded = store.subagents(stored) if subagents is None else subagents
    companions: dict[str, list[int] | None] = {}
    for path in stored:
        row = rows[path]
        if row.companions_json != "{}":
            companions.update(row.companions)
    if companions:  # a companion walked with the key it was read with is in the fingerprint already
        walked = {source.path: source.key for source in files}
        companions = {dep: key for dep, key in companions.items() if walked.get(dep) != key}
    store.keep_unchanged({
        "writes": writes, "fingerprint": fingerprint, "files": len(stored), "sessions": report.sessions,
        "learnings": report.learnings, "subagents": report.subagents_folded, "skipped": dict(report.skipped),
        "examples": [[e.file, e.line, e.reason, e.detail] for e in report.examples], "companions": companions,
        "ignored": report.files_ignored, "ignored_files": report.ignored,
    })


def _as_before(kept: Unchanged | None, fingerprint: str, files: list[Source], result: IngestResult) -> bool:
    """Whether `files` are the files an earlier ingest found all stored and unchanged (`kept`: what it
    reported), their companions unchanged too and nothing stored since; then `result` is given its report."""
    if kept is None or kept.get("fingerprint") != fingerprint:
        return False
    if kept["companions"]:
        walked = {source.path: source.key for source in files}
        if not all((walked[dep] if dep in walked else stat_key(dep)) == key for dep, key in kept["companions"].items()):
            return False
    result.files_cached += int(kept["files"])
    result.files_ignored += int(kept["ignored"])
    result.ignored.extend(str(path) for path in kept["ignored_files"][: max(0, MAX_EXAMPLES - len(result.ignored))])
    result.sessions += int(kept["sessions"]) - int(kept["subagents"])
    result.learnings += int(kept["learnings"])
    result.subagents_folded = int(kept["subagents"])
    _add_skips(result, {str(k): int(v) for k, v in kept["skipped"].items()},
               [Skip(str(e[0]), int(e[1]), str(e[2]), str(e[3])) for e in kept["examples"]])
    return True


_CACHED, _ON, _WHOLE = 0, 1, 2
"""How a file is ingested: its stored rows stand, it is read on from where it was read, it is read whole."""


def _plan(files: list[Source], stored: dict[str, SourceRow]) -> list[int]:
    """How each of `files` is ingested (`_CACHED`, `_ON`, `_WHOLE`)."""
    walked = {source.path: source.key for source in files}  # companions are usually walked too: no second stat
    plan = []
    for source in files:
        row = stored.get(source.path)
        forced = None if source.format == "auto" else source.format
        if row is None:
            plan.append(_WHOLE)
        elif _fresh(row, source, forced, walked):
            plan.append(_CACHED)
        else:
            plan.append(_ON if _resumable(row, source, forced) else _WHOLE)
    return plan


def _fresh(row: SourceRow, source: Source, forced: str | None, walked: dict[str, list[int]]) -> bool:
    """Whether the stored rows of `source` stand: file and companions unchanged, read by these adapters."""
    if row.key != source.key or (forced is not None and row.format != forced) or row.reader != READER_VERSION:
        return False
    return row.companions_json == "{}" or all(
        (walked[dep] if dep in walked else stat_key(dep)) == key for dep, key in row.companions.items())


def _resumable(row: SourceRow | None, source: Source, forced: str | None) -> bool:
    """Whether `source` may only have grown since `row` was read: same file, as long, same companions
    (its prefix is compared where it is read, `_resume`)."""
    if row is None or not row.resumable or row.reader != READER_VERSION or (forced is not None and row.format != forced):
        return False
    size, _mtime, inode = source.key
    return inode == row.key[2] and size >= row.read_to and all(stat_key(d) == k for d, k in row.companions.items())


def prefix_digest(path: str, size: int) -> str | None:
    """A digest of the first `size` bytes of `path`: its length and its first and last `DIGEST_WINDOW`
    bytes (the whole prefix when it is shorter). A file rewritten in place (other content, the same
    length or longer) differs there; hashing every byte would cost a read of the whole file."""
    prefix = _Prefix(path)
    try:
        return prefix.digest(size)
    finally:
        prefix.close()


class _Prefix:
    """One file opened for `prefix_digest`s: a file read on is digested twice (the prefix read before, to
    compare; the one read now, to keep), through one descriptor, and their first windows are read once."""

    def __init__(self, path: str) -> None:
        try:
            self.fd: int | None = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        except OSError:
            self.fd = None
        self.first = b""

    def digest(self, size: int) -> str | None:
        """`prefix_digest` of the first `size` bytes; None when the file cannot be read."""
        if self.fd is None:
            return None
        try:
            if len(self.first) != min(size, DIGEST_WINDOW):
                self.first = os.pread(self.fd, min(size, DIGEST_WINDOW), 0)
            last = os.pread(self.fd, min(size, DIGEST_WINDOW), max(0, size - DIGEST_WINDOW)) if size > DIGEST_WINDOW else b""
        except OSError:
            return None
        digest = hashlib.sha256(b"%d\0" % size)
        digest.update(self.first)
        digest.update(last)
        return digest.hexdigest()

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _save(store: Store, pending: list[Written], then: Callable[[SQLiteConnection], None] | None = None,
          attributed: Callable[[SQLiteConnection], bool] | None = None) -> list[str]:
    dropped = store.put(pending, then, attributed)
    return [f"{w.path}: another ingest stored it meanwhile; its reading was kept." for w in dropped]


def _read(source: Source, row: SourceRow | None, store: Store | None, result: IngestResult, max_line_bytes: int,
          finder: _FactFinder, resumable: bool = False) -> Written | None:
    """Read one changed file (on from where it was read, when it only grew: `resumable`, then `store` is
    needed); None when it cannot be."""
    if not resumable or store is None:
        return _read_from(source, row, None, result, max_line_bytes, finder, None)
    prefix = _Prefix(source.path)
    try:
        return _read_from(source, row, store, result, max_line_bytes, finder, prefix)
    finally:
        prefix.close()
        if row is not None:
            store.ahead.pop(row.id, None)  # what was read ahead for it, when it was read whole after all


def _read_from(source: Source, row: SourceRow | None, store: Store | None, result: IngestResult, max_line_bytes: int,
               finder: _FactFinder, prefix: _Prefix | None) -> Written | None:
    """`_read`: on from where `source` was read when `prefix` (its prefix, opened) is given."""
    from skillgit.evidence.adapters.registry import HEAD_BYTES, detect
    path = Path(source.path)
    resumed = _resume(source, path, row, store, max_line_bytes, prefix) if prefix is not None and store is not None else None
    reader: LineReader | None
    if resumed is not None:
        assert row is not None
        adapter, reader, report, cursor = resumed
    else:
        report = ReadReport(max_line_bytes=max_line_bytes)
        try:
            with open_regular(path) as handle:
                head = handle.read(HEAD_BYTES)
        except OSError as exc:
            _add_skips(result, {"unreadable": 1}, [Skip(source.path, 0, "unreadable", exc.strerror or "")])
            return None
        found = _adapter(source, path, head, result)
        if found is None:
            return None
        adapter = found
        reader = adapter.reader(path)
        cursor = Cursor()
    state: list[bytes] = []
    if reader is not None:
        tail: list[bool] = []

        def keep() -> None:
            state.append(pickle.dumps((reader, report), protocol=pickle.HIGHEST_PROTOCOL))
            tail.append(True)

        cursor.before_tail = keep
        feed(path, report, reader, cursor)
        if not state:
            keep()
            tail.clear()
        batch = reader.flush(report)
        if not (cursor.resumable and cursor.data) or (tail and not getattr(reader, "tail_safe", True)):
            state.clear()  # read whole next time
    else:
        batch = Batch(list(adapter.read(path, report)), frozenset())
    stored = None if resumed is None or store is None or row is None else store.stored(row)
    if stored is not None and store is not None and batch.changed:
        batch = _mended(batch, stored, store)
    if stored is not None and (batch.restart or batch.kept and not set(batch.kept) <= {r[2] for r in stored.rows}):
        return _read(source, row, store, result, max_line_bytes, finder)  # it cannot go on from what is stored
    if resumed is None:
        if report.counts.get("unreadable") and not batch.records:
            _add_skips(result, dict(report.counts), report.examples)
            return None
        if source.format != "auto" and not any(_usable(r) for r in batch.records):
            head = _head(path)
            found_fmt = detect(path, head)
            looks = f"; it looks like {found_fmt.name}: read it without --format" if found_fmt and found_fmt.name != adapter.name else ""
            detail = f"read as {adapter.name}, it holds no tool call, skill, message, outcome or learning{looks}"
            _add_skips(result, {"wrong-format": 1}, [Skip(source.path, 0, "wrong-format", detail)])
            return None
    inputs = {id(r): finder.inputs(r, not batch.kept.get(r.id)) for r in batch.records if isinstance(r, Session)}
    return Written(
        path=source.path, format=adapter.name, key=source.key, resume=resumed is not None,
        base=None if row is None else row.generation, batches=[batch], inputs=inputs, stored=stored,
        read_to=cursor.offset if state else 0, read_lines=cursor.line if state else 0,
        digest=(prefix_digest(source.path, cursor.offset) if prefix is None else prefix.digest(cursor.offset)) if state else None,
        companions={dep: stat_key(dep) for dep in map(str, report.depends)},
        state=state[0] if state else None, skipped=dict(report.counts),
        examples=[[s.file, s.line, s.reason, s.detail] for s in report.examples],
    )


def _mended(batch: Batch, stored: Stored, store: Store) -> Batch:
    """`batch` with the calls it says changed (`Batch.changed`) given again: each such session's record goes
    on from the first of them, the calls up to those it carries as stored, changed as said."""
    records, kept = list(batch.records), dict(batch.kept)
    for k, record in enumerate(records):
        changed = batch.changed.get(record.id) if isinstance(record, Session) else None
        if not changed or not isinstance(record, Session):
            continue
        rows = [r for r in stored.rows if r[2] == record.id]
        given, start = kept.get(record.id, 0), min(changed)
        calls = store.calls(rows[0][0], start, given) if len(rows) == 1 else []
        if len(calls) != given - start:
            return Batch([], restart=True)  # not as stored: read the file again whole
        for place, (ok, end, error, code) in changed.items():
            call = calls[place - start]
            calls[place - start] = tool_call(call.name, call.args, ok, call.ts, duration_until(call.ts, end),
                                             call.error if error is ... else error, call.exit_code if code is ... else code)
        records[k] = replace(record, tool_calls=(*calls, *record.tool_calls))
        if start:
            kept[record.id] = start
        else:
            del kept[record.id]
    return Batch(records, batch.keep, kept, batch.restart)


class _FactFinder:
    """What attribution and diagnosis need of a session, found while its calls are at hand."""

    def __init__(self, catalog: Catalog) -> None:
        from skillgit.evidence.attribution import call_text
        from skillgit.evidence.attribution import inputs as attribution_inputs
        from skillgit.evidence.diagnosis import commands_in, expected_for, fact_patterns, facts_of
        from skillgit.evidence.ingested import attribute_alone

        self.call_text, self.attribution_inputs, self.commands_in, self.facts_of, self.attribute_alone = (
            call_text, attribution_inputs, commands_in, facts_of, attribute_alone)
        self.catalog = catalog
        self.commands = list(dict.fromkeys(c for name in catalog.names for c in expected_for(catalog, name)))
        self.diagnosis = catalog.ws.config.diagnosis
        self.patterns = fact_patterns(catalog.ws.layout)

    def inputs(self, session: Session, whole: bool) -> Inputs:
        """The session's inputs; diagnosis facts, and its skill uses when it names no parent (`Inputs.uses`),
        only for a `whole` session (not the calls added to one)."""
        call_text = self.call_text
        texts = [call_text(c) for c in session.tool_calls]
        found = self.attribution_inputs(session, self.catalog, texts)
        found.commands = self.commands_in(session, self.commands, texts)
        if whole:
            found.facts = self.facts_of(session, self.diagnosis, self.patterns, texts)
            if not isinstance(session.meta.get("parent"), str):
                self.attribute_alone(self.catalog, session, found)
        return found


_Found = tuple[Written | None, IngestResult]
"""A file's reading by a worker (`_work`) and what it adds to the result."""


class _Workers:
    """Worker processes reading the files that changed (`_work`: read whole, or on from where they were read,
    with a read-only connection of their own to the store for the states kept): each takes the next file when it is free,
    at most `_workers_ahead` files past the one being stored, and hands its reading back on a pipe of its own; `next`
    gives the readings in the order of the files. (Not a `multiprocessing.Pool`: its helper threads wake at
    every result and take the interpreter from this process, which stores them.)"""

    def __init__(self, processes: Sequence[BaseProcess], pipes: list[Connection], slots: SemaphoreType) -> None:
        self.processes, self.pipes, self.slots = processes, pipes, slots
        self.ready: dict[int, _Found | BaseException] = {}
        self.given = 0

    @classmethod
    def start(cls, files: list[Source], stored: dict[str, SourceRow], plan: list[int], finder: _FactFinder,
              max_line_bytes: int, jobs: int | None, store: Path) -> _Workers | None:
        """Workers for the files of `plan` to read (None: this process reads them): `jobs` of them, else one
        a CPU when the files to read whole hold `PARALLEL_MIN_BYTES` or more. Forked, so they find the skills
        read; `store`: the evidence database's path."""
        import multiprocessing

        work = [(source, stored.get(source.path), how == _ON) for source, how in zip(files, plan) if how != _CACHED]
        if jobs is None:
            size = sum(source.key[0] for source, _, on in work if not on)
            jobs = 1 if size < PARALLEL_MIN_BYTES else min(len(os.sched_getaffinity(0)), MAX_JOBS)
        jobs = min(jobs, len(work))
        if jobs < 2 or "fork" not in multiprocessing.get_all_start_methods():
            return None
        context = multiprocessing.get_context("fork")
        slots, taken = context.Semaphore(_workers_ahead(work, jobs)), context.Value("q", 0)
        processes, pipes = [], []
        for _ in range(jobs):
            receive, send = context.Pipe(duplex=False)
            _widen(send)
            process = context.Process(target=_serve, args=(work, finder, max_line_bytes, store, taken, slots, send,
                                                            os.getpid()), daemon=True)
            process.start()
            send.close()  # the worker's end: the pipe ends when the worker does
            processes.append(process)
            pipes.append(receive)
        return cls(processes, pipes, slots)

    def next(self) -> _Found:
        """The reading of the next file, in the order of the files (what went wrong reading it is raised)."""
        from multiprocessing.connection import wait

        index = self.given
        while index not in self.ready:
            ready = wait(self.pipes)
            for pipe in [p for p in self.pipes if p in ready]:
                try:
                    number, found = pipe.recv()
                except EOFError:  # a worker stays until `close`: it was ended by something else
                    raise RepoStateError("a worker process of this ingest ended before giving what it read (it was"
                                         " killed?); what was stored stands: run `skillgit ingest` again.") from None
                self.ready[number] = found
        found = self.ready.pop(index)
        self.given += 1
        self.slots.release()
        if isinstance(found, BaseException):
            raise found
        return found

    def close(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.join()
        for pipe in self.pipes:
            pipe.close()


def _workers_ahead(work: list[tuple[Source, SourceRow | None, bool]], jobs: int) -> int:
    """How many files of `work` the `jobs` workers may read past the one being stored (`WORKERS_AHEAD_BYTES`)."""
    size = sum(source.key[0] for source, _, _ in work)
    return max(4 * jobs, min(WORKERS_MAX_AHEAD, WORKERS_AHEAD_BYTES * len(work) // max(1, size)))


def _widen(pipe: Connection) -> None:
    """Let a worker's pipe hold a few readings (1 MiB, Linux) so that it seldom waits for this process."""
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError):
        pass


def _serve(work: list[tuple[Source, SourceRow | None, bool]], finder: _FactFinder, max_line_bytes: int, path: Path,
           taken: Synchronized[int], slots: SemaphoreType, out: Connection, parent: int) -> None:
    """A worker process: read the next file of `work` (source, stored row, whether it is read on) not taken
    yet (`taken` counts them) whenever a slot is free, and send its index and reading (or what went wrong)
    on `out` (by a thread of its own, `_Outbox`: it goes on reading while the pipe is full), until none is
    left; `path`: the store's, for the states of files read on. It leaves
    Ctrl-C to the ingest process, which ends it, and prints nothing; when the ingest process is gone (its
    pipe breaks, or it is no longer the parent) it just ends."""
    import signal
    import sys
    from multiprocessing.reduction import ForkingPickler

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.stderr = open(os.devnull, "w")  # the worker's, for its whole life
    store = Store(path, None)  # its own connection, made when a file is read on (never the parent's)
    outbox = _Outbox(out)
    while True:
        while not slots.acquire(timeout=1.0):
            if os.getppid() != parent:
                return
        with taken.get_lock():
            index = taken.value
            taken.value = index + 1
        if index >= len(work):  # none left: it stays until the ingest process ends it, or is gone
            while os.getppid() == parent:
                time.sleep(0.5)
            return
        found: _Found | BaseException
        try:
            found = _work(*work[index], store, finder, max_line_bytes)
        except Exception as exc:  # raised in the ingest process
            found = exc
        if outbox.gone:
            return
        try:
            data = ForkingPickler.dumps((index, found))
        except Exception as exc:  # what went wrong does not pickle
            data = ForkingPickler.dumps((index, RuntimeError(f"reading {work[index][0].path}: {exc!r}")))
        outbox.put(data)


class _Outbox:
    """A worker's readings on their way to the ingest process: a thread of the worker writes them to its pipe,
    so that the worker goes on reading while the pipe is full (the ingest process storing a batch)."""

    def __init__(self, out: Connection) -> None:
        import queue
        import threading

        self.out, self.gone = out, False
        self.queue: queue.SimpleQueue[memoryview] = queue.SimpleQueue()
        threading.Thread(target=self._send, daemon=True).start()

    def put(self, data: memoryview) -> None:
        self.queue.put(data)

    def _send(self) -> None:
        get, send = self.queue.get, self.out.send_bytes
        try:
            while True:
                send(get())
        except OSError:  # the ingest process is gone
            self.gone = True


def _work(source: Source, row: SourceRow | None, on: bool, store: Store, finder: _FactFinder, max_line_bytes: int) -> _Found:
    """In a worker: read `source` (on from where it was read: `on`, with `store` read); its reading, with
    the rows made when it was read whole, and what it adds to the result."""
    found = IngestResult()
    written = _read(source, row, store if on else None, found, max_line_bytes, finder, resumable=on)
    return (None if written is None else written.encoded().portable()), found


def _merge(result: IngestResult, found: IngestResult) -> None:
    """Add what a worker's reading of one file added to its own result (skips of files, files ignored)."""
    _add_skips(result, found.skipped, found.examples)
    result.files_ignored += found.files_ignored
    result.ignored.extend(found.ignored[: max(0, MAX_EXAMPLES - len(result.ignored))])


def _resume(source: Source, path: Path, row: SourceRow | None, store: Store, max_line_bytes: int,
            prefix: _Prefix) -> tuple[TraceAdapter, LineReader, ReadReport, Cursor] | None:
    """The adapter, reader, report and cursor to go on reading `source` (at `path`, its prefix opened:
    `prefix`) with, from the state kept; None when its prefix changed or that state cannot be used (then
    the file is read whole)."""
    from skillgit.evidence.adapters.registry import ADAPTERS

    assert row is not None
    adapter = ADAPTERS.get(row.format)
    if adapter is None or prefix.digest(row.read_to) != row.digest:
        return None
    data = store.state(row)
    if data is None:
        return None
    try:
        reader, report = _Unpickler(io.BytesIO(data), path).load()
    except Exception:  # a state this version cannot read: read the file again, whole
        return None
    if not isinstance(report, ReadReport):
        return None
    report.max_line_bytes = max_line_bytes
    return adapter, reader, report, Cursor(offset=row.read_to, line=row.read_lines, data=True)


class _Unpickler(pickle.Unpickler):
    """Reader states hold skillgit's own records and a few standard types: nothing else is loaded."""

    ALLOWED = {("builtins", n) for n in ("set", "frozenset", "dict", "list", "tuple", "object")} | {
        ("datetime", "datetime"), ("datetime", "timezone"), ("datetime", "timedelta"), ("pathlib", "PosixPath"),
        ("pathlib", "WindowsPath"), ("pathlib", "Path"), ("collections", "Counter"), ("collections", "OrderedDict"),
        ("copyreg", "_reconstructor"), ("copyreg", "__newobj__"),
    }

    FOUND: ClassVar[dict[tuple[str, str], object]] = {}
    """The classes found so far (thousands of states name the same few)."""

    def __init__(self, file: io.BytesIO, path: Path) -> None:
        super().__init__(file)
        self.path = partial(_path, path, path.parts)  # not a method: the memo holds it (a cycle never collected)
        self.kind = type(path).__name__

    def find_class(self, module: str, name: str) -> object:
        if module == "pathlib" and name == self.kind:
            return self.path
        found = self.FOUND.get((module, name))
        if found is not None:
            return found
        if module.startswith("skillgit.evidence.") or (module, name) in self.ALLOWED:
            found = self.FOUND[(module, name)] = super().find_class(module, name)
            return found
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a reader state")


def _path(path: Path, parts: tuple[str, ...], *found: str) -> Path:
    """A path of a reader state (`found`, its parts): `path` when it is that one (the reader's own is not made again)."""
    return path if found == parts else type(path)(*found)


def _adapter(source: Source, path: Path, head: bytes, result: IngestResult) -> TraceAdapter | None:
    """The adapter for a file about to be read whole; None (after counting why) when there is none."""
    from skillgit.evidence.adapters.registry import ADAPTERS, detect

    adapter: TraceAdapter | None
    if source.format != "auto":
        adapter = ADAPTERS[source.format]
        if not source.explicit and not adapter.sniff(path, head):
            adapter = None
    else:
        adapter = detect(path, head)
    if adapter is None:
        if not head.strip() and (source.explicit or path.suffix in TRACE_SUFFIXES):
            _add_skips(result, {"empty": 1}, [Skip(source.path, 0, "empty")])
        elif source.explicit or path.suffix in TRACE_SUFFIXES:
            forced = "" if source.format == "auto" else f" (and it is not {source.format})"
            detail = f"no adapter recognizes it{forced}; formats: {', '.join(ADAPTERS)}; pass --format if it is one"
            _add_skips(result, {"unknown-format": 1}, [Skip(source.path, 0, "unknown-format", detail)])
        else:
            result.files_ignored += 1
            if len(result.ignored) < MAX_EXAMPLES:
                result.ignored.append(source.path)
    return adapter


def _head(path: Path) -> bytes:
    from skillgit.evidence.adapters.registry import HEAD_BYTES

    try:
        with open_regular(path) as handle:
            return handle.read(HEAD_BYTES)
    except OSError:
        return b""


def _usable(record: Session | Learning) -> bool:
    if isinstance(record, Learning):
        return True
    return bool(record.tool_calls or record.skills or record.final_message or record.outcome or record.turns)


def _add_skips(result: IngestResult, counts: dict[str, int], examples: list[Skip]) -> None:
    result.skipped.update(counts)
    room = MAX_EXAMPLES - len(result.examples)
    if room > 0:
        result.examples.extend(examples[:room])
