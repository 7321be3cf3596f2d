"""What `verify` keeps while it walks a range: history views, touched skills, the skill folders.

The log is read by a thread while the rules run (see `readahead`); records are split into their header
fields first and parsed in full only when the commit needs the rules, so the many commits that touch no skill cost a few microseconds each.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import TYPE_CHECKING, Protocol, overload

from skillgit.model.skill import SKILL_FILE
from skillgit.policy.model import FileChange

if TYPE_CHECKING:
    from skillgit.events import Event
    from skillgit.git import BlobReader, RawChange
    from skillgit.model.layout import Layout, SkillPlace, SkillsRepo
    from skillgit.policy.trees import SkillChanges

_NONE: frozenset[str] = frozenset()
_VIEWS = itertools.count()
"""A serial number for each `SkillFolders` (in the marks of `skill_changes`)."""


def plain_roots(roots: Sequence[str]) -> bool:
    """True when git prints paths under `roots` literally (no C-style quoting can hide the root)."""
    return all(32 <= ord(ch) < 127 and ch not in '"\\' for root in roots for ch in root)


class OlderEvents(Protocol):
    """Events read newest first, only as far as asked (`get(0)`: the newest; None past the last)."""

    def get(self, i: int) -> Event | None: ...
    def all(self) -> list[Event]: ...
    def read(self) -> list[Event]: ...
    def has_kind(self, kind: str) -> bool: ...
    def close(self) -> None: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Event]: ...


class History:
    """The events before the commit a walk is at, oldest first: those before the walk began (`older`, an
    log read newest first, only as far as a rule asks) and those the walk passed (`recent`)."""

    def __init__(self, older: OlderEvents | None = None) -> None:
        self.older = older
        self.recent: list[Event] = []

    def append(self, event: Event) -> None:
        self.recent.append(event)

    def has_kind(self, kind: str) -> bool:
        return any(e.kind == kind for e in self.recent) or (self.older is not None and self.older.has_kind(kind))

    def __iter__(self) -> Iterator[Event]:
        if self.older is not None:
            yield from reversed(self.older.all())
        yield from self.recent

    def read_before(self) -> list[Event]:
        """The events from before the walk began read so far (the newest ones), without reading more."""
        return self.older.read() if self.older is not None else []

    def close(self) -> None:
        if self.older is not None:
            self.older.close()


class HistoryView(Sequence["Event"]):
    """The history a change sees, oldest first: the first `n` events of a list that only grows (read-only;
    no copy per change checked), after the events of `older` when given (a `History`'s).

    The rules read it from the newest end (`reversed`, negative indexes, `view[-k:]`), so the older
    events are read only as far back as a rule goes; `len`, forward iteration and positive indexes read
    them all."""

    __slots__ = ("_events", "_n", "_older")

    def __init__(self, events: list[Event] | History, n: int | None = None) -> None:
        older = None
        if isinstance(events, History):
            older, events = events.older, events.recent
        self._events = events
        self._n = len(events) if n is None else n
        self._older = older

    def _newest(self, k: int) -> Event:
        """The `k`-th newest event (1: the newest)."""
        if k <= self._n:
            return self._events[self._n - k]
        found = self._older.get(k - self._n - 1) if self._older is not None else None
        if found is None:
            raise IndexError("history index out of range")
        return found

    def __len__(self) -> int:
        return self._n + (len(self._older) if self._older is not None else 0)

    @overload
    def __getitem__(self, index: int) -> Event: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Event, ...]: ...

    def __getitem__(self, index: int | slice) -> Event | tuple[Event, ...]:
        if isinstance(index, slice):
            if index.start is not None and index.start < 0 and index.stop is None and index.step is None:
                last = list(itertools.islice(reversed(self), -index.start))
                return tuple(reversed(last))
            return tuple(self[i] for i in range(len(self))[index])
        if index < 0:
            return self._newest(-index)
        size = len(self)
        if not 0 <= index < size:
            raise IndexError("history index out of range")
        return self._newest(size - index)

    def __iter__(self) -> Iterator[Event]:
        if self._older is not None:
            yield from reversed(self._older.all())
        yield from itertools.islice(self._events, self._n)

    def __reversed__(self) -> Iterator[Event]:
        events = self._events
        yield from (events[i] for i in range(self._n - 1, -1, -1))
        if self._older is not None:
            yield from self._older

    def __repr__(self) -> str:
        return f"HistoryView({self._n} events{' after older ones' if self._older is not None else ''})"


class Walk:
    """The skills each walked commit touched, for `Change.skills_changed_since` without a git call per commit
    (only what an agent reads counts: a change under a skill's `evals/` does not, see `agent_reads`).

    `since(base)` is the union over the commits walked after `base` (linear order of the walk); a
    base outside the walk falls back to `git log base..parent`. Results grow incrementally per base.
    """

    def __init__(self) -> None:
        self.order: list[frozenset[str]] = []
        self.commits: list[str] = []
        """The walked commits, in the order of `order`."""
        self._position: dict[str, int] = {}
        """Each walked commit's index, filled up to the walk's end when asked (in one go, not per commit)."""
        self._marked: dict[str, int] = {}
        """The index of each event commit walked and of its first parent when that was the commit walked before
        it: the bases the rules ask about, found without indexing every commit."""
        self._cache: dict[str, tuple[int, set[str]]] = {}

    def mark(self, parent: str | None) -> None:
        """The commit just walked is an event whose first parent is `parent`."""
        last = len(self.commits) - 1
        self._marked[self.commits[last]] = last
        if parent is not None and last > 0 and self.commits[last - 1] == parent:
            self._marked[parent] = last - 1

    def position(self, commit: str) -> int | None:
        """Where `commit` is in the walk (None: not walked)."""
        found = self._marked.get(commit)
        if found is not None:
            return found
        found = self._position.get(commit)
        if found is None and len(self._position) < len(self.commits):
            known = len(self._position)
            self._position.update(zip(self.commits[known:], range(known, len(self.commits))))
            found = self._position.get(commit)
        return found

    def add(self, commit: str, files: tuple[FileChange, ...], place: Callable[[str], SkillPlace | None]) -> None:
        """A walked commit that changed `files`; `place(path)` is the skill a path lies in after it (see
        `Layout.place`)."""
        from skillgit.policy.lookups import agent_reads

        names: set[str] = set()
        for f in files:
            hit = place(f.path)
            if hit and agent_reads(f.path, hit):
                names.add(hit.name)
        self.commits.append(commit)
        self.order.append(frozenset(names))

    def skip(self, commit: str) -> None:
        """A walked commit that touched no skill."""
        self.commits.append(commit)
        self.order.append(_NONE)

    def since(self, ws: SkillsRepo, parent: str | None) -> Callable[[str | None], frozenset[str]]:
        end = len(self.order)

        def lookup(base: str | None) -> frozenset[str]:
            start = self.position(base) if base else None
            if base is None or start is None or parent is None:
                from skillgit.policy.lookups import skills_changed_lookup

                return skills_changed_lookup(ws.repo, parent, ws.layout)(base)
            done, names = self._cache.get(base, (start + 1, set()))
            for index in range(done, end):
                names |= self.order[index]
            self._cache[base] = (max(done, end), names)
            return frozenset(names)

        return lookup


GITLINK_MODE = "160000"
LIST_AFTER = 32
"""Lookups of files under the roots answered by git (a few object reads each) before the view lists the
roots (every skill folder) and follows the walk from there: a short range never lists them for one lookup."""


class SkillFolders:
    """The files under the skill roots at the commit the walk is at, kept from each commit's diff.

    `verify` walks every commit oldest first, so the files under `paths.skills` and `paths.attic`
    after a commit are those after its parent plus its own changes: the rules' `tree_files`
    lookups there need no git read at all. A merge follows with its diff against its first parent
    (`follow_merge`); a commit off the view's line (a side branch) leaves the view
    at the commit it reflects. A lookup at a commit the view does not reflect lists the roots
    through git once and the walk goes on from there. Roots that overlap are left to git.
    """

    def __init__(self, reader: BlobReader, roots: Sequence[str]) -> None:
        self._reader = reader
        self.roots = tuple(r.strip("/") for r in roots)
        self._below = tuple((root, root + "/") for root in self.roots)
        self.usable = all(self.roots) and not any(
            a == b or a.startswith(b + "/") for i, a in enumerate(self.roots) for j, b in enumerate(self.roots) if i != j
        )
        self.current: str | None = None
        """The commit the walk is at."""
        self.at: str | None = None
        """The commit `files` reflects (None: not known)."""
        self.files: dict[str, dict[str, dict[str, str]]] = {root: {} for root in self.roots}
        """root → name of the entry right under it → {path: blob id} of the files in (or at) it."""
        self.flat: dict[str, dict[str, str]] = {root: {} for root in self.roots}
        """root → {path: blob id} of every file under it (the same files, for listing a whole root)."""
        self.skill_files: dict[str, dict[str, None]] = {root: {} for root in self.roots}
        """root → the SKILL.md paths among them, in the same order."""
        self._skill_folders: set[str] = set()
        """The folders of those SKILL.md files."""
        self._layout: Layout | None = None
        self._place_of: dict[str, SkillPlace | None] = {}
        """Each SKILL.md path's skill under `_layout` (None: it is not a skill's own file)."""
        self._moved: set[str] | None = None
        """SKILL.md paths added or removed since `_place_of` was made (None: make it again)."""
        self._sorted: list[str] = []
        """The SKILL.md paths `_place_of` knows, sorted (those below a folder are a slice of it)."""
        self._holders: dict[tuple[str, str], set[tuple[int, str]]] = {}
        """(name, location) → (root's index, SKILL.md path) of each skill of that name there."""
        self._listing: dict[tuple[str, str], str] = {}
        """(name, location) → folder of the first of those skills, in the order a listing of the roots gives."""
        self._asked = 0
        """Lookups left to git before the view was first listed (see `LIST_AFTER`)."""
        self._serial = next(_VIEWS)
        self._listed = 0
        """How many times the view was listed (a mark from before the last listing says nothing since)."""
        self._skill_log: dict[str, list[str]] = {root: [] for root in self.roots}
        """root → the SKILL.md paths added, changed or removed since the last listing, in walk order."""

    def advance(self, commit: str, parents: Sequence[str], changes: Sequence[RawChange] | None) -> None:
        """Move to `commit`; `changes` is its diff against its only parent (None: not known). A commit
        that does not follow the view's (a side branch's, say) leaves the view where it is: still true
        of that commit, and a merge back onto it can follow (`at` is what the view reflects)."""
        if self.at is not None and changes is not None and len(parents) == 1 and parents[0] == self.at:
            for change in changes:
                self._apply(change)
            self.at = commit
        elif changes is None and len(parents) == 1 and parents[0] == self.at:
            self.at = None  # it follows the view, by an unknown change
        self.current = commit

    def follow_merge(self, commit: str, parents: Sequence[str]) -> None:
        """Move to merge `commit`: its changes under the roots against its first parent come from the two
        trees (read through the cache; equal subtrees skipped), so the view is kept across merges instead
        of making the next lookup list every skill folder again."""
        from skillgit.policy.merges import commit_tree
        from skillgit.policy.trees import tree_changes

        if self.usable and self.at is not None and self.at == parents[0]:
            old, new = commit_tree(self._reader, parents[0]), commit_tree(self._reader, commit)
            if old is not None and new is not None:
                self.advance(commit, parents[:1], tree_changes(self._reader, old, new, self.roots))
                return
        self.advance(commit, parents, None)

    def step(self, commit: str, parents: str) -> None:
        """Move to `commit` (its parents as `git log` prints them), which changes nothing under the roots."""
        if self.at is not None and parents == self.at:
            self.at = commit
        self.current = commit

    def _apply(self, change: RawChange) -> None:
        for root in self.roots:
            if change.path.startswith(root + "/"):
                name = change.path[len(root) + 1 :].split("/", 1)[0]
                folder = self.files[root].setdefault(name, {})
                if change.path.endswith("/" + SKILL_FILE):
                    self._skill_log[root].append(change.path)
                if change.status == "D" or change.new_mode == GITLINK_MODE:
                    folder.pop(change.path, None)
                    self.flat[root].pop(change.path, None)
                    if self.skill_files[root].pop(change.path, 0) is None:
                        self._skill_folders.discard(change.path[: -len(SKILL_FILE) - 1])
                        self._moved_file(change.path)
                else:
                    folder[change.path] = self.flat[root][change.path] = change.new_oid
                    if change.path.endswith("/" + SKILL_FILE) and change.path not in self.skill_files[root]:
                        self.skill_files[root][change.path] = None
                        self._skill_folders.add(change.path[: -len(SKILL_FILE) - 1])
                        self._moved_file(change.path)
                if not folder:
                    del self.files[root][name]
                return

    def lookup(self, commit: str, prefix: str) -> dict[str, str] | None:
        """`tree_files(prefix)` in `commit` for a prefix under a skill root; None: ask git."""
        if not self.usable or commit != self.current:
            return None
        for root, below in self._below:
            if prefix.startswith(below) or prefix == root:
                break
        else:
            return None
        if self.at != commit:
            if prefix != root and self._asked < LIST_AFTER:
                self._asked += 1  # a few files: git reads their folders; the roots are listed once it pays
                return None
            self._load(commit)
        folders = self.files[root]
        if prefix == root:
            if not folders:
                return None  # nothing under it as a folder: git says what (if anything) is there
            return dict(self.flat[root])
        folder = folders.get(prefix[len(root) + 1 :].split("/", 1)[0])
        if not folder:
            return {}
        oid = folder.get(prefix)
        if oid is not None:
            return {prefix: oid}  # a file (nothing lies below a file)
        inside = prefix + "/"
        return {path: oid for path, oid in folder.items() if path == prefix or path.startswith(inside)}

    def skill_files_at(self, commit: str, root: str) -> dict[str, str] | None:
        """{path: blob id} of the SKILL.md files under `root` in `commit`, in no set order (None: not known here)."""
        if not self.usable or commit != self.current or root not in self.files:
            return None
        if self.at != commit:
            self._load(commit)
        flat = self.flat[root]
        return {path: flat[path] for path in self.skill_files[root]}

    def skill_changes(self, commit: str, root: str, since: Hashable) -> SkillChanges | None:
        """The SKILL.md files under `root` in `commit` changed since mark `since` (`Overlay.skill_changes`),
        from the changes the walk applied: not a listing of every skill folder."""
        from skillgit.policy.trees import SkillChanges

        if not self.usable or commit != self.current or root not in self.files:
            return None
        if self.at != commit:
            self._load(commit)
        log, flat = self._skill_log[root], self.flat[root]
        mark = (self._serial, self._listed, root, len(log))
        if not (isinstance(since, tuple) and since[:3] == mark[:3]):
            return SkillChanges(mark, {path: flat[path] for path in self.skill_files[root]}, True)
        return SkillChanges(mark, {path: flat.get(path) for path in log[since[3] :]}, False)

    def _load(self, commit: str) -> None:
        from skillgit.policy.trees import TreeFiles

        self._listed += 1
        self._skill_log = {root: [] for root in self.roots}

        listed = TreeFiles(self._reader, commit)
        for root in self.roots:
            folders: dict[str, dict[str, str]] = {}
            flat: dict[str, str] = {}
            for path, oid in listed(root).items():
                if path.startswith(root + "/"):
                    folders.setdefault(path[len(root) + 1 :].split("/", 1)[0], {})[path] = flat[path] = oid
            self.files[root] = folders
            self.flat[root] = flat
        self.skill_files = {root: dict.fromkeys(p for p in self.flat[root] if p.endswith("/" + SKILL_FILE)) for root in self.roots}
        self._skill_folders = {p[: -len(SKILL_FILE) - 1] for paths in self.skill_files.values() for p in paths}
        self._moved = None
        self.at = commit

    def _moved_file(self, path: str) -> None:
        if self._moved is not None:
            self._moved.add(path)

    def skill_places(self, commit: str, layout: Layout) -> dict[tuple[str, str], str] | None:
        """(name, location) → folder of every skill in `commit` (`skill_files` as `layout` places them; the
        first in the order a listing of the roots gives when a name is there twice), brought up to date
        with the SKILL.md files added or removed since the last call; None: not known here. The mapping
        returned is this view's own, true until the walk moves on."""
        if not self.usable or commit != self.current or tuple(r.strip("/") for r in layout.scan_roots) != self.roots:
            return None
        if self.at != commit:
            self._load(commit)
        if layout is not self._layout:
            self._layout, self._moved = layout, None
        if self._moved is None:
            self._place_all(layout)
        elif self._moved:
            self._place_moved(layout, self._moved)
        self._moved = set()
        return self._listing

    def _place_all(self, layout: Layout) -> None:
        self._place_of, self._holders, self._listing = {}, {}, {}
        self._sorted = sorted(p for paths in self.skill_files.values() for p in paths)
        self._replace(layout, self._sorted)

    def _place_moved(self, layout: Layout, moved: set[str]) -> None:
        """A SKILL.md added or removed changes the place of those below its folder (a SKILL.md inside a
        skill's folder is that skill's file) and its own, nothing else."""
        import bisect

        known = self._sorted
        for path in moved:
            at = bisect.bisect_left(known, path)
            present, listed = at < len(known) and known[at] == path, self._is_listed(path)
            if present and not listed:
                del known[at]
            elif listed and not present:
                known.insert(at, path)
        todo: dict[str, None] = {}
        for path in sorted(moved):
            below = path[: -len(SKILL_FILE)]
            todo[path] = None
            at = bisect.bisect_left(known, below)
            while at < len(known) and known[at].startswith(below):
                todo[known[at]] = None
                at += 1
        self._replace(layout, list(todo))

    def _is_listed(self, path: str) -> bool:
        """`path` is one of the SKILL.md files the view holds."""
        return any(path in files for files in self.skill_files.values())

    def _replace(self, layout: Layout, paths: list[str]) -> None:
        """Place `paths` again (those gone from `skill_files` are dropped) and bring the listing along."""
        folders = self._skill_folders
        changed: set[tuple[str, str]] = set()
        for path in paths:
            old = self._place_of.pop(path, None)
            root = next((i for i, r in enumerate(self.roots) if path.startswith(r + "/")), -1)
            if old is not None:
                key = (old.name, old.location)
                self._holders[key].discard((root, path))
                changed.add(key)
            if root < 0 or path not in self.skill_files[self.roots[root]]:
                continue
            found = layout.place(path, folders.__contains__)
            place = found if found is not None and found.skill_file == path else None
            self._place_of[path] = place
            if place is not None:
                key = (place.name, place.location)
                self._holders.setdefault(key, set()).add((root, path))
                changed.add(key)
        for key in changed:
            holders = self._holders.get(key)
            if holders:
                first = self._place_of[min(holders)[1]]
                assert first is not None
                self._listing[key] = first.dir
            else:
                self._holders.pop(key, None)
                self._listing.pop(key, None)
