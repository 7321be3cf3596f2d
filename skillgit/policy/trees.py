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
import threading
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import TYPE_CHECKING, Generic, NamedTuple, Protocol, TypeVar

from skillgit.git import BlobReader, RawChange
from skillgit.model.skill import SKILL_FILE

if TYPE_CHECKING:
    from skillgit.model.layout import Layout

TREE = "40000"
GITLINK = "160000"
Entries = dict[str, tuple[str, str]]
"""A tree's entries: name → (mode, object id)."""

K = TypeVar("K")
V = TypeVar("V")


class Bounded(Generic[K, V]):
    """A cache by key that holds at most `limit` units (each value counts `size` of them when kept): one
    that would go over starts again empty, so memory stays flat over long histories."""

    def __init__(self, limit: int) -> None:
        self.items: dict[K, V] = {}
        self.limit = limit
        self.held = 0

    def put(self, key: K, value: V, size: int) -> V:
        if self.held + size > self.limit:
            self.items.clear()
            self.held = 0
        self.items[key] = value
        self.held += size
        return value


_ENTRIES: Bounded[str, Entries] = Bounded(400_000)
"""Tree entries by tree id, bounded by the entries summed over trees."""


def parse_tree(oid: str, data: bytes) -> Entries:
    """The entries of the raw tree object `data` (id `oid`: its length gives the hash width)."""
    width = len(oid) // 2
    pattern = _ENTRY.get(width)
    if pattern is None:
        pattern = _ENTRY[width] = re.compile(rb"([0-7]+) ([^\0]*)\0(.{%d})" % width, re.DOTALL)
    return {name.decode("utf-8", "surrogateescape"): (mode.decode(), raw.hex()) for mode, name, raw in pattern.findall(data)}


_ENTRY: dict[int, re.Pattern[bytes]] = {}


def _remember(oid: str, entries: Entries) -> Entries:
    return _ENTRIES.put(oid, entries, len(entries))


def tree_entries(reader: BlobReader, oid: str) -> Entries | None:
    """The entries of tree `oid` (None when it is not a tree), cached by id."""
    found = _ENTRIES.items.get(oid)
    if found is not None:
        return found
    obj = reader.read_object(oid)
    if obj is None or obj[1] != "tree":
        return None
    return _remember(obj[0], parse_tree(obj[0], obj[2]))


def listing(reader: BlobReader, oid: str, base: str) -> tuple[tuple[str, str], ...]:
    """(path, blob id) of every file under tree `oid` (submodules left out), paths prefixed with
    `base/` (nothing for base ""). Small subtrees are cached by (base, id): a big folder such as a
    skills root changes with every commit, but its listing is mostly the cached listings of its
    unchanged children. Subtrees not read yet are read a level at a time, in one request each."""
    _read_levels(reader, oid, base)
    return _listing(reader, oid, base)


def _read_levels(reader: BlobReader, oid: str, base: str) -> None:
    pending = [(oid, base)]
    while pending:
        unread: list[tuple[str, str]] = []
        deeper: list[tuple[str, str]] = []
        for tree, path in pending:
            if (path, tree) in _LISTED.items:
                continue
            entries = _ENTRIES.items.get(tree)
            if entries is None:
                unread.append((tree, path))
            else:
                deeper.extend(_subtrees(entries, path))
        for (_tree, path), obj in zip(unread, reader.read_many([tree for tree, _ in unread])):
            if obj is not None and obj[1] == "tree":
                deeper.extend(_subtrees(_remember(obj[0], parse_tree(obj[0], obj[2])), path))
        pending = deeper


def _subtrees(entries: Entries, base: str) -> list[tuple[str, str]]:
    return [(child, f"{base}/{name}" if base else name) for name, (mode, child) in entries.items() if mode == TREE]


def _listing(reader: BlobReader, oid: str, base: str) -> tuple[tuple[str, str], ...]:
    key = (base, oid)
    found = _LISTED.items.get(key)
    if found is not None:
        return found
    files: list[tuple[str, str]] = []
    for name, (mode, child) in (tree_entries(reader, oid) or {}).items():
        path = f"{base}/{name}" if base else name
        if mode == TREE:
            files.extend(_listing(reader, child, path))
        elif mode != GITLINK:
            files.append((path, child))
    found = tuple(files)
    return _LISTED.put(key, found, len(found)) if len(found) <= _LISTED_SMALL else found


_LISTED: Bounded[tuple[str, str], tuple[tuple[str, str], ...]] = Bounded(500_000)
"""The listings of small subtrees by (path, tree id), bounded by the files summed over them."""
_LISTED_SMALL = 256
_TYPES = {TREE: "tree", GITLINK: "commit"}
_UNKNOWN = ("", "")
Found = tuple[str, str] | None
"""What a path names: (object type, id), or None for nothing."""


class Overlay(Protocol):
    """Something that already knows some listings (a walk's view of the skill folders)."""

    def lookup(self, commit: str, prefix: str) -> dict[str, str] | None:
        """`tree_files(prefix)` in `commit`, or None to have git answer."""
        ...

    def skill_places(self, commit: str, layout: Layout) -> dict[tuple[str, str], str] | None:
        """(name, location) → folder of every skill in `commit` under `layout`, or None: not known here."""
        ...

    def skill_files_at(self, commit: str, root: str) -> dict[str, str] | None:
        """{path: blob id} of the SKILL.md files under skill root `root` in `commit`, or None: not known here."""
        ...

    def skill_changes(self, commit: str, root: str, since: Hashable) -> SkillChanges | None:
        """The SKILL.md files under skill root `root` in `commit` that changed since mark `since` (see
        `SkillChanges`), or None: not known here."""
        ...


class SkillChanges(NamedTuple):
    """What changed among the SKILL.md files under a root since a mark an earlier answer gave."""

    mark: Hashable
    """To ask with next time."""
    files: Mapping[str, str | None]
    """Path → blob id (None: gone) of each SKILL.md changed since the mark; with `whole`, every SKILL.md there."""
    whole: bool
    """The mark was not this view's, or the view was listed again since: `files` is the whole listing."""


class TreeFiles:
    """`Change.tree_files` over one tree (or commit): `prefix` → `{path: blob id}` at or under it.

    `tree` may be a function giving the id (called once, at the first lookup). Answers are cached
    per prefix; a prefix with `.`/`..`/empty parts is left to git's own `rev:path` resolution.
    Paths one level down (a skill's folder) are resolved by git; below that, from their folder's
    entries (read once per tree: a rule that asks for one file in a skill's folder usually asks for
    its siblings too). `overlay` answers what it knows (the skill folders, in `verify`) without
    reading anything.
    """

    def __init__(self, reader: BlobReader, tree: str | Callable[[], str], overlay: Overlay | None = None) -> None:
        self._reader = reader
        self._tree = tree
        self._root: str | None = None
        self._cache: dict[str, Mapping[str, str]] = {}
        self._objects: dict[str, Found] = {}
        self._overlay = overlay

    def __call__(self, prefix: str) -> Mapping[str, str]:
        prefix = prefix.strip("/")
        found = self._cache.get(prefix)
        if found is None:
            found = self._cache[prefix] = self._files(prefix)
        return found

    def skill_places(self, layout: Layout) -> dict[tuple[str, str], str] | None:
        """(name, location) → folder of every skill in the tree, when the overlay keeps them (None: list
        the roots and ask the layout)."""
        return self._overlay.skill_places(self._spec(), layout) if self._overlay is not None else None

    def skill_changes(self, root: str, since: Hashable) -> SkillChanges | None:
        """`Overlay.skill_changes` in this tree, when the overlay keeps them (None: not known)."""
        return self._overlay.skill_changes(self._spec(), root.strip("/"), since) if self._overlay is not None else None

    def skill_files(self, root: str) -> Mapping[str, str]:
        """{path: blob id} of the SKILL.md files under `root` (a skill root), in no set order: from the
        overlay when it keeps them, else from the listing of the root."""
        root = root.strip("/")
        if self._overlay is not None:
            known = self._overlay.skill_files_at(self._spec(), root)
            if known is not None:
                return known
        tail = "/" + SKILL_FILE
        return {path: oid for path, oid in self(root).items() if path.endswith(tail)}

    def _spec(self) -> str:
        if self._root is None:
            self._root = self._tree if isinstance(self._tree, str) else self._tree()
        return self._root

    def _files(self, prefix: str) -> dict[str, str]:
        if _odd(prefix):
            return self._resolved_by_git(prefix)
        if self._overlay is not None:
            known = self._overlay.lookup(self._spec(), prefix)
            if known is not None:
                return known
        found = self._object(prefix)
        if found is None:
            return {}
        kind, oid = found
        if kind == "tree":
            return dict(listing(self._reader, oid, prefix))
        return {prefix: oid} if kind == "blob" else {}

    def _object(self, path: str) -> Found:
        found = self._objects.get(path, _UNKNOWN)
        if found is not _UNKNOWN:
            return found
        parent, _, leaf = path.rpartition("/")
        if "/" in parent:
            above = self._object(parent)
            entries = tree_entries(self._reader, above[1]) if above is not None and above[0] == "tree" else None
            entry = entries.get(leaf) if entries is not None else None
            found = None if entry is None else (_TYPES.get(entry[0], "blob"), entry[1])
        else:
            obj = self._reader.read_object(f"{self._spec()}:{path}")
            found = None if obj is None else (obj[1], obj[0])
            if obj is not None and obj[1] == "tree":
                _parsed(obj)
        self._objects[path] = found
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
        return dict(listing(self._reader, obj[0], prefix))


def _odd(path: str) -> bool:
    """`path` is empty or has an empty, `.` or `..` part: git's `rev:path` resolves it, not the tree walk.
    (Tested as strings first: the rules look up thousands of plain paths per second.)"""
    return (not path or path[0] == "/" or path[-1] == "/" or "//" in path
            or ((path[0] == "." or "/." in path) and any(part in (".", "..") for part in path.split("/"))))


def _parsed(obj: tuple[str, str, bytes]) -> Entries:
    """The entries of a tree object just read, remembered by id."""
    found = _ENTRIES.items.get(obj[0])
    return found if found is not None else _remember(obj[0], parse_tree(obj[0], obj[2]))


class BlobCache:
    """`Change.read_blob` through the batch reader, keeping recently read blobs (bounded in bytes).

    Another thread may `keep` blobs it read ahead (see `policy.prefetch`); reads of blobs not
    kept (yet) go through the reader as usual.
    """

    def __init__(self, reader: BlobReader, max_bytes: int = 64 << 20) -> None:
        self._reader = reader
        self._max = max_bytes
        self._size = 0
        self._blobs: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def __call__(self, oid: str) -> bytes:
        found = self._blobs.get(oid)
        if found is None:
            found = self._reader.read(oid)
            self.keep(oid, found)
        return found

    def __contains__(self, oid: object) -> bool:
        return oid in self._blobs

    def read_many(self, oids: Iterable[str]) -> None:
        """Read the blobs of `oids` not kept yet in one request and keep them (a caller about to read many)."""
        wanted = [oid for oid in dict.fromkeys(oids) if oid not in self._blobs]
        for oid, obj in zip(wanted, self._reader.read_many(wanted)):
            if obj is not None and obj[1] == "blob":
                self.keep(oid, obj[2])

    def keep(self, oid: str, data: bytes) -> None:
        """Remember blob `oid` (forgetting everything when the bound is reached)."""
        with self._lock:
            if self._size + len(data) > self._max:
                self._blobs.clear()
                self._size = 0
            self._blobs[oid] = data
            self._size += len(data)


_NO_MODE = "000000"
_NO_OID = "0" * 40


def tree_changes(reader: BlobReader, old: str | None, new: str | None, only: tuple[str, ...] | None = None,
                 base: str = "") -> list[RawChange]:
    """The files that differ between trees `old` and `new` (None: the empty tree), as `git diff-tree -r
    --raw` lists them; subtrees with the same id on both sides are not read. With `only` (paths without
    a trailing slash), just the files at or under one of them."""
    if old == new:
        return []
    before = (tree_entries(reader, old) or {}) if old else {}
    after = (tree_entries(reader, new) or {}) if new else {}
    out: list[RawChange] = []
    for name in sorted(before.keys() | after.keys()):
        a, b = before.get(name), after.get(name)
        if a == b:
            continue
        path = f"{base}/{name}" if base else name
        inside = only is None or any(path == p or path.startswith(p + "/") for p in only)
        if not inside and not (only and any(p.startswith(path + "/") for p in only)):
            continue
        a_tree = a is not None and a[0] == TREE
        b_tree = b is not None and b[0] == TREE
        if a_tree or b_tree:
            out.extend(tree_changes(reader, a[1] if a and a_tree else None, b[1] if b and b_tree else None, only, path))
        if not inside:
            continue
        if a is not None and b is not None and not a_tree and not b_tree:
            out.append(RawChange("T" if a[0] != b[0] else "M", path, a[0], b[0], a[1], b[1]))
        elif a is not None and not a_tree:
            out.append(RawChange("D", path, a[0], _NO_MODE, a[1], _NO_OID))
        elif b is not None and not b_tree:
            out.append(RawChange("A", path, _NO_MODE, b[0], _NO_OID, b[1]))
    return out
