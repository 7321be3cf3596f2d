"""The incremental trace store under `.git/skillgit/traces/`.

`index.json` maps each ingested source file (absolute path) to the stat key it had when read
(size, mtime_ns, inode) — plus the keys of companion files it was read with (yoyo's outcome.json) —
and to a blob holding its normalized sessions and learnings. A file whose key is unchanged is never
opened again, so re-ingesting costs one `stat` per file.

Blobs are `marshal`ed positional tuples (sessions) and native dicts (learnings): this is private,
rebuildable state, and marshal writes and loads several times faster than JSON. They are appended
to one pack file per ingest run (`packs/*.pack`; creating a file per source costs more than
reading it), and the index records (pack, offset, length). `STORE_VERSION` is in the index; a
different version makes every entry stale, so sources are simply re-read.

Crash safety: pack data is flushed before the index that points at it is written, and the index is
replaced atomically (temporary file + rename), so an ingest killed at any point leaves a consistent
store and loses only the files read since the last save. Packs no index entry points at are deleted
at the end of an ingest, and packs that are mostly superseded bytes are rewritten.
"""

from __future__ import annotations

import gc
import json
import marshal
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from skillgit.evidence.adapters.lines import EPOCH, MICROSECOND, ReadReport, Skip, tool_call
from skillgit.evidence.adapters.native import learning_from_dict, learning_to_dict
from skillgit.evidence.session import Learning, Session, SkillUse, merge_subagents

STORE_VERSION = 4  # 4: adapters read outcomes from explicit signals, OTel sessions per conversation
INDEX = "index.json"
PACKS = "packs"
REPACK_MIN_DEAD = 64 * 1024 * 1024
EXAMPLES_PER_FILE = 5
MARSHAL_FORMAT = 2  # no back-references: ~30% faster to write and ~40% faster to load than format 4


def stat_key(path: str) -> list[int] | None:
    """(size, mtime_ns, inode) of `path`, or None when it does not exist."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ino]


@dataclass
class Entry:
    """What the store knows about one source file."""

    key: list[int]
    format: str
    deps: dict[str, list[int] | None] = field(default_factory=dict)
    blob: list[Any] | None = None  # [pack name, offset, length]
    sessions: int = 0
    learnings: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    examples: list[list[Any]] = field(default_factory=list)
    claude: list[list[str | None]] = field(default_factory=list)

    def skips(self) -> list[Skip]:
        return [Skip(str(e[0]), int(e[1]), str(e[2]), str(e[3]) if len(e) > 3 else "") for e in self.examples]


class TraceStore:
    """Open with `TraceStore.open(repo.state_dir / "traces")`; `save()` after `put`s."""

    def __init__(self, directory: Path, entries: dict[str, Entry]) -> None:
        self.directory = directory
        self.entries = entries
        self.problems: list[str] = []
        self._pack: Any = None
        self._pack_name = ""
        self._pack_size = 0
        self._readers: dict[str, Any] = {}

    @classmethod
    def open(cls, directory: Path) -> TraceStore:
        entries: dict[str, Entry] = {}
        try:
            data = json.loads((directory / INDEX).read_bytes())
        except (OSError, ValueError):
            data = None
        if isinstance(data, dict) and data.get("version") == [STORE_VERSION, MARSHAL_FORMAT]:
            for path, raw in (data.get("files") or {}).items():
                try:
                    entries[path] = Entry(**raw)
                except TypeError:
                    continue
        return cls(directory, entries)

    def fresh(self, path: str, key: list[int], fmt: str | None) -> Entry | None:
        """The entry of `path` if the file (and its companions) are unchanged since it was read."""
        entry = self.entries.get(path)
        if entry is None or entry.key != key or (fmt is not None and entry.format != fmt):
            return None
        for dep, dep_key in entry.deps.items():
            if stat_key(dep) != dep_key:
                return None
        return entry

    def put(self, path: str, key: list[int], fmt: str, records: list[Session | Learning], report: ReadReport) -> Entry:
        """Store what reading `path` gave; the blob is written now, the index on `save()`."""
        sessions = [r for r in records if isinstance(r, Session)]
        learnings = [r for r in records if isinstance(r, Learning)]
        entry = Entry(
            key=key,
            format=fmt,
            deps={str(dep): stat_key(str(dep)) for dep in report.depends},
            sessions=len(sessions),
            learnings=len(learnings),
            skipped=dict(report.counts),
            examples=[[s.file, s.line, s.reason, s.detail] for s in report.examples[:EXAMPLES_PER_FILE]],
            claude=[[s.id, s.meta.get("parent")] for s in sessions if s.source == "claude-code"],
        )
        if records:
            payload = ([_encode(s) for s in sessions], [learning_to_dict(x) for x in learnings])
            entry.blob = self._append(marshal.dumps(payload, MARSHAL_FORMAT))
        self.entries[path] = entry
        return entry

    def _append(self, data: bytes) -> list[Any]:
        if self._pack is None:
            (self.directory / PACKS).mkdir(parents=True, exist_ok=True)
            self._pack_name = f"{time.time_ns():x}-{os.getpid()}.pack"
            self._pack = open(self.directory / PACKS / self._pack_name, "xb")  # noqa: SIM115 - closed in close()
            self._pack_size = 0
        self._pack.write(data)
        self._pack_size += len(data)
        return [self._pack_name, self._pack_size - len(data), len(data)]

    def save(self) -> None:
        """Write the index (after the pack data it points at)."""
        if self._pack is not None:
            self._pack.flush()
        files = {path: vars(entry) for path, entry in sorted(self.entries.items())}
        data = {"version": [STORE_VERSION, MARSHAL_FORMAT], "files": files}
        _atomic_write(self.directory / INDEX, json.dumps(data, separators=(",", ":")).encode())

    def close(self) -> None:
        """Finish an ingest: close the pack, drop packs nothing points at, rewrite wasteful ones."""
        if self._pack is not None:
            self._pack.close()
            self._pack = None
        for handle in self._readers.values():
            handle.close()
        self._readers.clear()
        packs = self.directory / PACKS
        if not packs.is_dir():
            return
        live: dict[str, int] = {}
        for entry in self.entries.values():
            if entry.blob is not None:
                live[entry.blob[0]] = live.get(entry.blob[0], 0) + entry.blob[2]
        dead = 0
        for pack in packs.iterdir():
            if pack.name not in live:
                pack.unlink(missing_ok=True)
            else:
                dead += max(0, pack.stat().st_size - live[pack.name])
        if dead > REPACK_MIN_DEAD and dead * 2 > sum(live.values()):  # over a third of the bytes are dead
            self._repack()

    def _repack(self) -> None:
        old = {entry.blob[0] for entry in self.entries.values() if entry.blob is not None}
        for path in sorted(self.entries):
            entry = self.entries[path]
            if entry.blob is not None:
                data = self._read(entry.blob)
                entry.blob = self._append(data) if data is not None else None
        self.save()
        if self._pack is not None:
            self._pack.close()
            self._pack = None
        for handle in self._readers.values():
            handle.close()
        self._readers.clear()
        for name in old - {self._pack_name}:
            (self.directory / PACKS / name).unlink(missing_ok=True)

    def _read(self, blob: list[Any]) -> bytes | None:
        name, offset, length = blob
        handle = self._readers.get(name)
        if handle is None:
            handle = self._readers[name] = open(self.directory / PACKS / name, "rb")  # noqa: SIM115 - closed in close()
        handle.seek(offset)
        data = handle.read(length)
        return data if len(data) == length else None

    def _blob(self, path: str) -> tuple[list[tuple[Any, ...]], list[dict[str, Any]]]:
        entry = self.entries[path]
        if entry.blob is None:
            return [], []
        try:
            data = self._read(entry.blob)
            if data is None:
                raise EOFError("the pack file is shorter than the index says")
            sessions, learnings = marshal.loads(data)
        except (OSError, ValueError, EOFError, TypeError) as exc:
            self.problems.append(f"{path}: stored sessions unreadable ({exc}); run `skillgit ingest` again.")
            return [], []
        return sessions, learnings

    def iter_sessions(self) -> Iterator[Session]:
        """Every stored session, one source file at a time (memory stays flat), in path order.

        Subagent transcripts whose parent is stored are folded into it; a session id seen before
        (the same transcript stored twice, an export re-ingested) is skipped.
        """
        claude = [(path, sid, parent) for path, e in self.entries.items() for sid, parent in e.claude]
        parents = {sid for _, sid, _ in claude}
        children: dict[str, list[str]] = {}
        folded: set[str] = set()
        for path, sid, parent in claude:
            if parent is not None and parent in parents and parent != sid:
                children.setdefault(parent, []).append(path)
                folded.add(sid)  # type: ignore[arg-type]
        seen: set[str] = set()
        for path in sorted(p for p, e in self.entries.items() if e.sessions):
            for data in self._blob(path)[0]:
                sid = data[0]
                if sid in seen or sid in folded:
                    continue
                seen.add(sid)
                session = _decode(data)
                if sid in children:
                    subs = {d[0]: _decode(d) for p in children[sid] for d in self._blob(p)[0] if d[0] in folded and d[10].get("parent") == sid}
                    session = merge_subagents(session, list(subs.values()))
                yield session

    def sessions(self) -> list[Session]:
        """Every stored session (see `iter_sessions`), oldest first."""
        with _no_gc():
            return sorted(self.iter_sessions(), key=lambda s: (s.started or EPOCH, s.id))

    def learnings(self) -> list[Learning]:
        """Every stored learning (duplicates — same origin, title and time — dropped), by time."""
        out: list[Learning] = []
        seen: set[tuple[Any, ...]] = set()
        for path in sorted(p for p, e in self.entries.items() if e.learnings):
            for data in self._blob(path)[1]:
                mark = (data.get("origin"), data.get("title"), data.get("ts"))
                if mark not in seen:
                    seen.add(mark)
                    out.append(learning_from_dict(data))
        out.sort(key=lambda x: (x.ts or EPOCH, x.origin))
        return out


# -- blob encoding: positional tuples, times as integer microseconds since the epoch -------------
# (the native dict form with ISO times costs twice as much to write; this is private state)


def _encode(s: Session) -> tuple[Any, ...]:
    calls = tuple([
        (c.name, c.args, c.ok, None if c.ts is None else (c.ts - EPOCH) // MICROSECOND, c.duration_ms, c.error, c.exit_code)
        for c in s.tool_calls
    ])
    skills = tuple((u.name, u.how, u.version, u.full_name) for u in s.skills)
    return (s.id, s.source, s.origin, _us(s.started), _us(s.ended), s.outcome, s.turns, s.final_message, calls, skills, dict(s.meta))


def _decode(t: tuple[Any, ...]) -> Session:
    sid, source, origin, started, ended, outcome, turns, final, calls, skills, meta = t
    return Session(
        id=sid,
        source=source,
        origin=origin,
        started=_dt(started),
        ended=_dt(ended),
        outcome=outcome,
        tool_calls=tuple([
            tool_call(name, args, ok, None if ts is None else EPOCH + MICROSECOND * ts, duration, error, code)
            for name, args, ok, ts, duration, error, code in calls
        ]),
        skills=tuple(SkillUse(name, how, version, full) for name, how, version, full in skills),
        final_message=final,
        turns=turns,
        meta=meta,
    )


def _us(value: datetime | None) -> int | None:
    return None if value is None else (value - EPOCH) // MICROSECOND


def _dt(value: int | None) -> datetime | None:
    return None if value is None else EPOCH + MICROSECOND * value


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic GC while building many acyclic records (it would rescan them all, repeatedly)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def lock(directory: Path) -> Any:
    """Hold the store's lock (one ingest at a time) until the returned handle is closed."""
    from skillgit.errors import RepoStateError

    directory.mkdir(parents=True, exist_ok=True)
    handle = open(directory / "lock", "a+b")  # noqa: SIM115 - the caller holds it for the ingest
    try:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except ImportError:  # no flock (Windows): one ingest at a time is then the user's business
        pass
    except OSError:
        handle.close()
        raise RepoStateError(f"{directory / 'lock'}: another `skillgit ingest` is running on this repository; wait for it to finish.") from None
    return handle


def store_dir(repo: Any) -> Path:
    return Path(repo.state_dir) / "traces"


def load_sessions(repo: Any, config: Any = None) -> list[Session]:
    """Every session ingested into `repo` (see `skillgit ingest`), oldest first."""
    return TraceStore.open(store_dir(repo)).sessions()


def iter_sessions(repo: Any) -> Iterator[Session]:
    """Every session ingested into `repo`, streamed one source file at a time (unsorted)."""
    return TraceStore.open(store_dir(repo)).iter_sessions()


def load_learnings(repo: Any, config: Any = None) -> list[Learning]:
    """Every learning record ingested into `repo`, oldest first."""
    return TraceStore.open(store_dir(repo)).learnings()
