"""The incremental trace store under `.git/skillgit/traces/`.

`index.json` maps each ingested source file (absolute path) to the stat key it had when read
(size, mtime_ns, inode) — plus the keys of companion files it was read with (yoyo's outcome.json) —
and to a blob in `blobs/` holding its normalized sessions and learnings. A file whose key is
unchanged is never opened again, so re-ingesting costs one `stat` per file.

Blobs are `marshal`ed positional tuples (sessions) and native dicts (learnings): this is private,
rebuildable state, and marshal writes and loads several times faster than JSON.
`STORE_VERSION` is in the index; a different version (or Python's marshal version) makes every
entry stale, so sources are simply re-read. Every write is atomic (temporary file + rename), so an
ingest killed at any point leaves a consistent store and loses only the work since the last save.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

from skillgit.traces.claude_code import fold_subagents
from skillgit.traces.lines import EPOCH, MAX_EXAMPLES, MICROSECOND, ReadReport, Skip, tool_call
from skillgit.traces.native import learning_from_dict, learning_to_dict
from skillgit.traces.session import Learning, Session, SkillUse

STORE_VERSION = 2
INDEX = "index.json"
BLOBS = "blobs"
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
    blob: str | None = None
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
            entry.blob = hashlib.sha1(path.encode("utf-8", "surrogateescape")).hexdigest() + ".bin"
            payload = ([_encode(s) for s in sessions], [learning_to_dict(x) for x in learnings])
            _atomic_write(self.directory / BLOBS / entry.blob, marshal.dumps(payload, MARSHAL_FORMAT))
        self.entries[path] = entry
        return entry

    def save(self) -> None:
        files = {path: vars(entry) for path, entry in sorted(self.entries.items())}
        data = {"version": [STORE_VERSION, MARSHAL_FORMAT], "files": files}
        _atomic_write(self.directory / INDEX, json.dumps(data, separators=(",", ":")).encode())

    def records(self) -> Iterator[tuple[list[tuple[Any, ...]], list[dict[str, Any]]]]:
        """(encoded sessions, learning dicts) of every stored source, in path order."""
        for path, entry in sorted(self.entries.items()):
            if entry.blob is None:
                continue
            try:
                sessions, learnings = marshal.loads((self.directory / BLOBS / entry.blob).read_bytes())
            except (OSError, ValueError, EOFError, TypeError) as exc:
                self.problems.append(f"{path}: stored sessions unreadable ({exc}); run `skillgit ingest` again.")
                continue
            yield sessions, learnings

    def sessions(self) -> list[Session]:
        """Every stored session: subagents folded into parents, duplicates (same id) dropped, by start time."""
        out: list[Session] = []
        seen: set[str] = set()
        for encoded, _ in self.records():
            for data in encoded:
                if data[0] not in seen:
                    seen.add(data[0])
                    out.append(_decode(data))
        out = fold_subagents(out)
        out.sort(key=lambda s: (s.started or EPOCH, s.id))
        return out

    def learnings(self) -> list[Learning]:
        """Every stored learning (duplicates — same origin, title and time — dropped), by time."""
        out: list[Learning] = []
        seen: set[tuple[Any, ...]] = set()
        for _, dicts in self.records():
            for data in dicts:
                mark = (data.get("origin"), data.get("title"), data.get("ts"))
                if mark not in seen:
                    seen.add(mark)
                    out.append(learning_from_dict(data))
        out.sort(key=lambda x: (x.ts or EPOCH, x.origin))
        return out

    def skips(self, paths: list[str]) -> tuple[dict[str, int], list[Skip]]:
        """Skip counts and examples recorded for `paths`."""
        report = ReadReport()
        for path in paths:
            entry = self.entries.get(path)
            if entry is not None and entry.skipped:
                report.merge(entry.skipped, entry.skips())
        return dict(report.counts), report.examples[:MAX_EXAMPLES]


# -- blob encoding: positional tuples, times as integer microseconds since the epoch -------------
# (the native dict form with ISO times costs twice as much to write; this is private state)


def _encode(s: Session) -> tuple[Any, ...]:
    calls = tuple(
        (c.name, c.args, c.ok, None if c.ts is None else (c.ts - EPOCH) // MICROSECOND, c.duration_ms, c.error, c.exit_code)
        for c in s.tool_calls
    )
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
        tool_calls=tuple(
            tool_call(name, args, ok, None if ts is None else EPOCH + MICROSECOND * ts, duration, error, code)
            for name, args, ok, ts, duration, error, code in calls
        ),
        skills=tuple(SkillUse(name, how, version, full) for name, how, version, full in skills),
        final_message=final,
        turns=turns,
        meta=meta,
    )


def _us(value: datetime | None) -> int | None:
    return None if value is None else (value - EPOCH) // MICROSECOND


def _dt(value: int | None) -> datetime | None:
    return None if value is None else EPOCH + MICROSECOND * value


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


def store_dir(repo: Any) -> Path:
    return Path(repo.state_dir) / "traces"


def load_sessions(repo: Any, config: Any = None) -> list[Session]:
    """Every session ingested into `repo` (see `skillgit ingest`), oldest first."""
    return TraceStore.open(store_dir(repo)).sessions()


def load_learnings(repo: Any, config: Any = None) -> list[Learning]:
    """Every learning record ingested into `repo`, oldest first."""
    return TraceStore.open(store_dir(repo)).learnings()
