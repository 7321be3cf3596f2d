"""The trace adapter registry: a new format is one module and one line in `ADAPTERS`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from skillgit.evidence.adapters import claude_code, codex, native, otlp, yoyo
from skillgit.evidence.adapters.lines import LineReader, ReadReport, Skip
from skillgit.evidence.session import Learning, Session

__all__ = ["ADAPTERS", "HEAD_BYTES", "LineReader", "ReadReport", "Skip", "TraceAdapter", "detect"]

HEAD_BYTES = 8192


class TraceAdapter(Protocol):
    """Reads one trace format. `read` never raises for bad input: it reports and skips."""

    name: str

    def sniff(self, path: Path, head: bytes) -> bool:
        """Whether `path` (whose first bytes are `head`) is in this format."""

    def read(self, path: Path, report: ReadReport) -> Iterator[Session | Learning]:
        """The sessions and learnings of `path`; bad lines go to `report`."""

    def reader(self, path: Path) -> LineReader | None:
        """A reader of `path` record by record, whose state an ingest can keep and go on from when the file
        grows; None when the file is read whole (`read`), every time it changes."""


# Sniffed in this order: the most specific formats first.
ADAPTERS: dict[str, TraceAdapter] = {
    "skillgit": native.ADAPTER,
    "yoyo": yoyo.ADAPTER,
    "otlp": otlp.ADAPTER,
    "codex": codex.ADAPTER,
    "claude-code": claude_code.ADAPTER,
    "claude-stream-json": claude_code.STREAM_JSON,
}


def detect(path: Path, head: bytes) -> TraceAdapter | None:
    """The first adapter that recognizes `path`, or None."""
    for adapter in ADAPTERS.values():
        if adapter.sniff(path, head):
            return adapter
    return None
