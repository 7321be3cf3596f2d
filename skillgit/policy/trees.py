"""Trees and blobs for the rules, read through one `git cat-file --batch` process and cached by id.

Objects are content-addressed, so a cache keyed by object id is never stale: successive commits of
a `verify` walk share every untouched subtree and blob, and each is read (and parsed) once. The
caches are bounded (cleared when full), so memory stays flat over long histories.

`TreeFiles` answers `Change.tree_files(prefix)` by walking the path from the root tree through
cached tree objects: a commit's lookups cost one read of its root tree plus the subtrees that
changed, instead of one `rev:path` round trip per lookup.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from skillgit.git import BlobReader

TREE = "40000"
GITLINK = "160000"
Entries = dict[str, tuple[str, str]]
"""A tree's entries: name → (mode, object id)."""

_ENTRIES: dict[str, Entries] = {}
_ENTRIES_MAX = 400_000
"""Bound on the cached tree entries (summed over trees)."""
_entry_count = [0]
_FLAT: dict[str, tuple[tuple[str, str], ...]] = {}
_FLAT_MAX = 50_000


def parse_tree(oid: str, data: bytes) -> Entries:
    """The entries of the raw tree object `data` (id `oid`: its length gives the hash width)."""
    width = len(oid) // 2
    pattern = _ENTRY.get(width)
    if pattern is None:
        pattern = _ENTRY[width] = re.compile(rb"([0-7]+) ([^\0]*)\0(.{%d})" % width, re.DOTALL)
    return {name.decode("utf-8", "surrogateescape"): (mode.decode(), raw.hex()) for mode, name, raw in pattern.findall(data)}


_ENTRY: dict[int, re.Pattern[bytes]] = {}


def _remember(oid: str, entries: Entries) -> Entries:
    if _entry_count[0] + len(entries) > _ENTRIES_MAX:
        _ENTRIES.clear()
        _entry_count[0] = 0
    _ENTRIES[oid] = entries
    _entry_count[0] += len(entries)
    return entries


def tree_entries(reader: BlobReader, oid: str) -> Entries | None:
    """The entries of tree `oid` (None when it is not a tree), cached by id."""
    found = _ENTRIES.get(oid)
    if found is not None:
        return found
    obj = reader.read_object(oid)
    if obj is None or obj[1] != "tree":
        return None
    return _remember(obj[0], parse_tree(obj[0], obj[2]))


def subtree_files(reader: BlobReader, oid: str) -> tuple[tuple[str, str], ...]:
    """(path relative to tree `oid`, blob id) of every file under it (submodules left out), cached by id."""
    found = _FLAT.get(oid)
    if found is not None:
        return found
    files: list[tuple[str, str]] = []
    for name, (mode, child) in (tree_entries(reader, oid) or {}).items():
        if mode == TREE:
            files.extend((f"{name}/{path}", blob) for path, blob in subtree_files(reader, child))
        elif mode != GITLINK:
            files.append((name, child))
    if len(_FLAT) >= _FLAT_MAX:
        _FLAT.clear()
    _FLAT[oid] = found = tuple(files)
    return found


class TreeFiles:
    """`Change.tree_files` over one tree (or commit): `prefix` → `{path: blob id}` at or under it.

    `tree` may be a function giving the id (called once, at the first lookup). Answers are cached
    per prefix; a prefix with `.`/`..`/empty parts is left to git's own `rev:path` resolution.
    """

    def __init__(self, reader: BlobReader, tree: str | Callable[[], str]) -> None:
        self._reader = reader
        self._tree = tree
        self._root: str | None = None
        self._cache: dict[str, Mapping[str, str]] = {}
        self._dirs: dict[str, Entries | None] = {}

    def __call__(self, prefix: str) -> Mapping[str, str]:
        prefix = prefix.strip("/")
        found = self._cache.get(prefix)
        if found is None:
            found = self._cache[prefix] = self._files(prefix)
        return found

    def _spec(self) -> str:
        if self._root is None:
            self._root = self._tree if isinstance(self._tree, str) else self._tree()
        return self._root

    def _files(self, prefix: str) -> dict[str, str]:
        parent, _, leaf = prefix.rpartition("/")
        if "/" not in parent or any(part in ("", ".", "..") for part in prefix.split("/")):
            return self._resolved_by_git(prefix)
        entry = (self._dir(parent) or {}).get(leaf)
        if entry is None:
            return {}
        mode, oid = entry
        if mode == TREE:
            return {f"{prefix}/{path}": blob for path, blob in subtree_files(self._reader, oid)}
        return {} if mode == GITLINK else {prefix: oid}

    def _dir(self, path: str) -> Entries | None:
        """The entries of directory `path` (two or more levels down), None when it is not a directory.

        Read whole, once per tree: a rule that asks for one file in a skill's folder usually asks
        for its siblings too. Higher up (a skills root: big, and changing with every commit) only
        the path asked for is resolved, by git.
        """
        if path in self._dirs:
            return self._dirs[path]
        parent, _, leaf = path.rpartition("/")
        found: Entries | None = None
        if "/" in parent:
            entry = (self._dir(parent) or {}).get(leaf)
            if entry is not None and entry[0] == TREE:
                found = tree_entries(self._reader, entry[1])
        else:
            obj = self._reader.read_object(f"{self._spec()}:{path}")
            if obj is not None and obj[1] == "tree":
                found = _parsed(obj)
        self._dirs[path] = found
        return found

    def _resolved_by_git(self, prefix: str) -> dict[str, str]:
        """`prefix` resolved by git (`rev:path`; `rev^{tree}` for the whole tree)."""
        spec = f"{self._spec()}:{prefix}" if prefix else f"{self._spec()}^{{tree}}"
        obj = self._reader.read_object(spec)
        if obj is None:
            return {}
        if obj[1] == "blob":
            return {prefix: obj[0]}
        if obj[1] != "tree":
            return {}
        _parsed(obj)
        base = f"{prefix}/" if prefix else ""
        return {f"{base}{path}": blob for path, blob in subtree_files(self._reader, obj[0])}


def _parsed(obj: tuple[str, str, bytes]) -> Entries:
    """The entries of a tree object just read, remembered by id."""
    found = _ENTRIES.get(obj[0])
    return found if found is not None else _remember(obj[0], parse_tree(obj[0], obj[2]))


class BlobCache:
    """`Change.read_blob` through the batch reader, keeping recently read blobs (bounded in bytes)."""

    def __init__(self, reader: BlobReader, max_bytes: int = 64 << 20) -> None:
        self._reader = reader
        self._max = max_bytes
        self._size = 0
        self._blobs: dict[str, bytes] = {}

    def __call__(self, oid: str) -> bytes:
        found = self._blobs.get(oid)
        if found is None:
            found = self._reader.read(oid)
            if self._size + len(found) > self._max:
                self._blobs.clear()
                self._size = 0
            self._blobs[oid] = found
            self._size += len(found)
        return found
