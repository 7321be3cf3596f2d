"""`skillgit ingest`: find trace files, read the changed ones into the store, summarize.

Paths may be files or directories (walked; hidden entries skipped; symlinked folders followed, each
real folder once, so a link loop ends). A file that no adapter recognizes is skipped as
`unknown-format` (named in the report, failing `--strict`) when it was named explicitly or has a trace
file suffix (`.jsonl`, `.json`, `.ndjson`); other files found in a walk are counted as ignored and
named. A file read with a forced `--format` that yields nothing usable (no tool call, skill, message,
outcome or learning) is skipped as `wrong-format`, saying which format it looks like.
Unchanged files (same size, mtime and inode, companions included) are not opened again: their
sessions and skip counts come from the store, so a re-run reports the same totals.
"""

from __future__ import annotations

import gc
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skillgit.errors import UsageError
from skillgit.evidence.adapters.lines import MAX_EXAMPLES, ReadReport, Skip
from skillgit.evidence.adapters.registry import ADAPTERS, HEAD_BYTES, TraceAdapter, detect
from skillgit.evidence.legacy.store import TraceStore, lock, stat_key, store_dir
from skillgit.evidence.session import Learning, Session

TRACE_SUFFIXES = (".jsonl", ".json", ".ndjson")
SAVE_EVERY_SECONDS = 5.0


@dataclass(frozen=True)
class Source:
    """One file to ingest; `explicit` when named directly (not found by walking a directory)."""

    path: str
    format: str
    explicit: bool
    key: list[int]


@dataclass
class IngestResult:
    files_read: int = 0
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

    def to_json(self) -> dict[str, Any]:
        return {
            "files_read": self.files_read,
            "files_cached": self.files_cached,
            "files_ignored": self.files_ignored,
            "sessions": self.sessions,
            "learnings": self.learnings,
            "subagents_folded": self.subagents_folded,
            "bytes_read": self.bytes_read,
            "seconds": round(self.seconds, 3),
            "skipped": dict(sorted(self.skipped.items())),
            "examples": [{"file": s.file, "line": s.line, "reason": s.reason, "detail": s.detail} for s in self.examples],
            "warnings": self.warnings,
            "ignored": self.ignored,
        }


def check_format(fmt: str) -> str:
    if fmt != "auto" and fmt not in ADAPTERS:
        raise UsageError(f"unknown trace format {fmt!r}; use auto or one of: {', '.join(ADAPTERS)}.")
    return fmt


def configured_sources(root: Path, config: Any) -> list[tuple[Path, str]]:
    """`traces.sources` of skillgit.yaml: (path, format), relative paths against the repo root, `~` and globs expanded."""
    import glob

    out: list[tuple[Path, str]] = []
    for source in config.traces.sources:
        fmt = check_format(str(source.get("format", "auto")))
        pattern = os.path.expanduser(str(source["path"]))
        if not os.path.isabs(pattern):
            pattern = str(root / pattern)
        matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        out.extend((Path(m), fmt) for m in matches)
    return out


def collect(paths: Iterable[tuple[Path, str]], result: IngestResult) -> list[Source]:
    """Every file under `paths` (path, format), each once, in a stable order."""
    seen: set[str] = set()
    out: list[Source] = []
    for path, fmt in paths:
        if not os.path.exists(path):
            result.warnings.append(f"{path}: trace source does not exist; fix traces.sources in skillgit.yaml.")
            continue
        explicit = not os.path.isdir(path)
        for name in [os.fspath(path)] if explicit else _walk(os.fspath(path)):
            full = os.path.abspath(name)
            key = stat_key(full)
            if full not in seen and key is not None:
                seen.add(full)
                out.append(Source(full, fmt, explicit, key))
    return out


def _walk(top: str) -> list[str]:
    """Every non-hidden file under `top`, following symlinked folders but visiting each real folder once."""
    out: list[str] = []
    seen: set[tuple[int, int]] = set()
    for root, dirs, files in os.walk(top, followlinks=True):
        try:
            st = os.stat(root)
        except OSError:
            dirs[:] = []
            continue
        if (st.st_dev, st.st_ino) in seen:
            dirs[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        out.extend(os.path.join(root, f) for f in sorted(files) if not f.startswith("."))
    return out


def ingest_paths(repo: Any, config: Any, paths: Iterable[Path] = (), fmt: str = "auto") -> IngestResult:
    """Ingest `paths` (with format `fmt`) plus the configured `traces.sources`; the library entry point."""
    result = IngestResult()
    sources = [(Path(p), check_format(fmt)) for p in paths] + configured_sources(repo.root, config)
    return ingest(repo, collect(sources, result), config.traces.max_line_bytes, result)


def ingest(
    repo: Any,
    files: list[Source],
    max_line_bytes: int,
    result: IngestResult | None = None,
    progress: Callable[[int], None] | None = None,
) -> IngestResult:
    """Read every changed file of `files` into the repo's trace store; the result sums all of them."""
    started = time.perf_counter()
    result = result or IngestResult()
    held = lock(store_dir(repo))
    store = TraceStore.open(store_dir(repo))
    claude: list[list[str | None]] = []
    last_save = time.monotonic()
    gc_was_enabled = gc.isenabled()
    gc.disable()  # the records read hold no cycles; collecting while they pile up only costs time
    try:
        for source in files:
            forced = None if source.format == "auto" else source.format
            entry = store.fresh(source.path, source.key, forced)
            if entry is None:
                entry = _read(source, store, result, max_line_bytes)
                if entry is not None:
                    result.files_read += 1
                    result.bytes_read += source.key[0]
            else:
                result.files_cached += 1
            if entry is not None:
                result.sessions += entry.sessions
                result.learnings += entry.learnings
                _add_skips(result, entry.skipped, entry.skips())
                claude.extend(entry.claude)
            if progress:
                progress(source.key[0])
            if time.monotonic() - last_save > SAVE_EVERY_SECONDS:
                store.save()
                last_save = time.monotonic()
    finally:
        if gc_was_enabled:
            gc.enable()
        try:
            if result.files_read:
                store.save()
            store.close()
        finally:
            held.close()
    ids = {pair[0] for pair in claude}
    result.subagents_folded = sum(1 for _, parent in claude if parent is not None and parent in ids)
    result.sessions -= result.subagents_folded
    result.seconds = time.perf_counter() - started
    return result


def _read(source: Source, store: TraceStore, result: IngestResult, max_line_bytes: int) -> Any:
    """Read one changed file into the store; None when it is not (unreadable, ignored, unknown)."""
    path = Path(source.path)
    report = ReadReport(max_line_bytes=max_line_bytes)
    try:
        with open(path, "rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError as exc:
        _add_skips(result, {"unreadable": 1}, [Skip(source.path, 0, "unreadable", exc.strerror or "")])
        return None
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
        return None
    records: list[Session | Learning] = list(adapter.read(path, report))
    if report.counts.get("unreadable") and not records:
        _add_skips(result, dict(report.counts), report.examples)
        return None
    if source.format != "auto" and not any(_usable(r) for r in records):
        found = detect(path, head)
        looks = f"; it looks like {found.name}: read it without --format" if found and found.name != adapter.name else ""
        detail = f"read as {adapter.name}, it holds no tool call, skill, message, outcome or learning{looks}"
        _add_skips(result, {"wrong-format": 1}, [Skip(source.path, 0, "wrong-format", detail)])
        return None
    return store.put(source.path, source.key, adapter.name, records, report)


def _usable(record: Session | Learning) -> bool:
    if isinstance(record, Learning):
        return True
    return bool(record.tool_calls or record.skills or record.final_message or record.outcome or record.turns)


def _add_skips(result: IngestResult, counts: dict[str, int], examples: list[Skip]) -> None:
    result.skipped.update(counts)
    room = MAX_EXAMPLES - len(result.examples)
    if room > 0:
        result.examples.extend(examples[:room])
