"""Plain records of the git adapter: identities, tree edits, log records, and blob ids."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from skillgit.frozenrecord import Record

ZERO = "0" * 40


def blob_id(data: bytes) -> str:
    """The git blob id of `data` (what `git hash-object` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass(frozen=True, eq=False, repr=False)
class Identity(Record):
    name: str
    email: str

    def env(self, committer: Identity | None = None) -> dict[str, str]:
        committer = committer or self
        return {
            "GIT_AUTHOR_NAME": self.name,
            "GIT_AUTHOR_EMAIL": self.email,
            "GIT_COMMITTER_NAME": committer.name,
            "GIT_COMMITTER_EMAIL": committer.email,
        }


@dataclass(frozen=True, eq=False, repr=False)
class RemovePath(Record):
    """Drop `path` (a file or a whole directory) from the new tree."""

    path: str


@dataclass(frozen=True, eq=False, repr=False)
class AddFromWorktree(Record):
    """Take `path` (file or directory) as it is in the work tree, deletions included."""

    path: str


@dataclass(frozen=True, eq=False, repr=False)
class CopyTree(Record):
    """Place the tree `rev:src` at `dst` (which must be empty at that point)."""

    rev: str
    src: str
    dst: str


@dataclass(frozen=True, eq=False, repr=False)
class PutFile(Record):
    """Write `data` at `path` with `mode` (octal string)."""

    path: str
    data: bytes
    mode: str = "100644"


TreeEdit = RemovePath | AddFromWorktree | CopyTree | PutFile


@dataclass(frozen=True, eq=False, repr=False)
class TreeEntry(Record):
    """One entry of `git ls-tree`: mode, kind (blob, tree, commit), object id and path."""

    mode: str
    kind: str
    oid: str
    path: str


@dataclass(frozen=True, eq=False, repr=False)
class RawChange(Record):
    """One file in `git log --raw`: status A/M/D/T, path, modes and blob ids (zeros when absent)."""

    status: str
    path: str
    old_mode: str
    new_mode: str
    old_oid: str
    new_oid: str


@dataclass(frozen=True, eq=False, repr=False)
class LogRecord(Record):
    commit: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    time: int
    message: str
    files: tuple[RawChange, ...] = ()
    signature: str = ""
    """git's %G? (G good, U good with unknown validity, N none, B bad, …) when asked for; else ""."""
    committer_email: str = ""


def unquote(path: str) -> str:
    """Undo git's C-style quoting of unusual paths."""
    if not (path.startswith('"') and path.endswith('"')):
        return path
    import codecs

    return codecs.escape_decode(path[1:-1].encode())[0].decode("utf-8", "surrogateescape")


def log_format(signatures: bool = False) -> str:
    """The `--format` of `git log` whose records `record_fields` splits (`signatures`: with %G?). Each record
    starts with RS (0x1e); its fields end with US (0x1f); `--raw` lines follow the last one."""
    return "--format=%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%at%x1f%ce%x1f" + ("%G?" if signatures else "") + "%x1f%B%x1f"


RECORD_START = b"\x1e"
"""What starts each record of `log_format` in `git log`'s output."""


def two_parent_merges(chunks: Iterable[bytes]) -> list[tuple[str, str, str]]:
    """(merge, first parent, second parent) of each two-parent merge among records of `log_format`, read
    without copying or decoding the rest of each record (a chunk that is not a whole record is passed over)."""
    out = []
    for chunk in chunks:
        end = chunk.find(b"\x1f")
        last = chunk.find(b"\x1f", end + 1) if end >= 0 else -1
        if last < 0:
            continue
        parents = chunk[end + 1 : last].split()
        if len(parents) == 2:
            out.append((chunk[:end].decode(), parents[0].decode(), parents[1].decode()))
    return out


def record_fields(chunk: bytes) -> list[str]:
    """One record of `log_format` (without its RS) as its nine fields: commit, parents, author name,
    author e-mail, author time, committer e-mail, signature, message, and the `--raw` lines."""
    return chunk.decode("utf-8", "surrogateescape").split("\x1f", 8)


def log_record(chunk: bytes) -> LogRecord:
    return record_from_fields(record_fields(chunk))


def record_from_fields(fields: Sequence[str]) -> LogRecord:
    """The record whose `record_fields` are `fields`."""
    commit, parents, name, email, when, committer, signature, body, rest = fields
    files = []
    for line in rest.splitlines():
        if line.startswith(":"):
            meta, _, path = line.partition("\t")
            old_mode, new_mode, old_oid, new_oid, status = meta[1:].split()
            files.append(RawChange(status[0], unquote(path), old_mode, new_mode, old_oid, new_oid))
    return LogRecord(commit, tuple(parents.split()), name, email, int(when), body, tuple(files), signature, committer)


def parse_raw_z(out: str) -> list[RawChange]:
    """The `:mode mode oid oid status NUL path NUL` records of a `--raw -z` diff."""
    parts = out.split("\0")
    changes = []
    for meta, path in zip(parts[0::2], parts[1::2]):
        if meta.startswith(":"):
            old_mode, new_mode, old_oid, new_oid, status = meta[1:].split()
            changes.append(RawChange(status[0], path, old_mode, new_mode, old_oid, new_oid))
    return changes
