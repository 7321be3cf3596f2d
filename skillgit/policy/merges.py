"""A merge's own change: what its tree holds that a clean re-merge of its parents would not.

A merge that only joins histories has no own change (its tree is the clean re-merge); one that
resolves a conflict, or slips an edit in, has the files it changed by itself, and the rules check
them like the files of any commit. `verify` re-merges the merges of each batch of log records on
the thread that reads the log, all in one `git merge-tree --stdin`, so the walk finds the answer
ready; the hooks re-merge the one merge being committed.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from skillgit.git import BlobReader, RawChange, clean_merge, clean_merges
from skillgit.git.records import two_parent_merges
from skillgit.policy.trees import tree_changes


def commit_tree(reader: BlobReader, commit: str) -> str | None:
    """The tree id of `commit` (None when it is not a commit)."""
    found = reader.read_object(commit)
    if found is None or found[1] != "commit":
        return None
    header = found[2].split(b"\n", 1)[0]
    return header[5:].decode() if header.startswith(b"tree ") else None


def own_change(reader: BlobReader, root: Path, parents: Sequence[str], tree: str,
               only: tuple[str, ...] | None = None, clean: str | None = None) -> list[RawChange]:
    """The files of `tree` (a merge's) that differ from the clean re-merge of `parents` (`clean`, when
    already known); with `only`, just those at or under those paths."""
    if clean is None:
        clean = clean_merge(root, parents)
    return tree_changes(reader, clean, tree, only)


class MergeTrees:
    """Clean re-merges of the two-parent merges of a `verify` walk, made ahead on the log-reading thread.

    `register(batch)` (before the batch is handed to the walk) notes its merges; `compute(batch)`
    (after) re-merges them in one `git merge-tree --stdin` and reads their own trees; `own(…)` on
    the walk's thread waits for that batch, then compares. Anything not made ahead (an octopus,
    a merge git could not re-merge in the batch) is made on the spot, so an error names its merge.
    """

    def __init__(self, root: Path, reader: BlobReader) -> None:
        self._root = root
        self._reader = reader
        self._ahead = BlobReader(root)
        self._lock = threading.Lock()
        self._pending: dict[str, threading.Event] = {}
        self._done: dict[str, tuple[str | None, str | None]] = {}
        self._noted: dict[int, tuple[Sequence[bytes], list[tuple[str, str, str]]]] = {}
        """id of a batch `register` saw → the batch and its merges, until `compute` takes them (one reading of each)."""
        self._closed = False

    def register(self, batch: Sequence[bytes]) -> None:
        merges = two_parent_merges(batch)  # (merge, first parent, second parent) of each
        self._noted[id(batch)] = (batch, merges)
        if merges:
            event = threading.Event()
            with self._lock:
                for commit, _a, _b in merges:
                    self._pending[commit] = event

    def compute(self, batch: Sequence[bytes]) -> None:
        noted = self._noted.pop(id(batch), None)
        merges = noted[1] if noted is not None and noted[0] is batch else two_parent_merges(batch)
        if not merges:
            return
        found: dict[str, tuple[str | None, str | None]] = {}
        try:
            trees = clean_merges(self._root, [(a, b) for _c, a, b in merges])
            with self._lock:
                objects = [] if self._closed else self._ahead.read_many([c for c, _a, _b in merges])
            for (commit, _a, _b), clean, obj in zip(merges, trees, objects):
                own = None
                if obj is not None and obj[1] == "commit" and obj[2].startswith(b"tree "):
                    own = obj[2][5 : obj[2].index(b"\n")].decode()
                found[commit] = (clean, own)
        finally:
            with self._lock:
                self._done.update(found)
                events = {self._pending.pop(commit, None) for commit, _a, _b in merges}
            for event in events:
                if event is not None:
                    event.set()

    def own(self, commit: str, parents: Sequence[str], only: tuple[str, ...] | None) -> list[RawChange]:
        """The own change of merge `commit` (with `parents`), restricted to `only` when given."""
        with self._lock:
            event = self._pending.get(commit)
        if event is not None:
            event.wait()
        with self._lock:
            clean, tree = self._done.pop(commit, (None, None))
        if tree is None:
            tree = commit_tree(self._reader, commit)
        if tree is None:
            return []
        if clean == tree:
            return []
        return own_change(self._reader, self._root, parents, tree, only, clean)

    def forget(self, commit: str) -> None:
        """Drop what was made ahead for a merge the walk does not check (before the `init` event)."""
        with self._lock:
            event = self._pending.get(commit)
        if event is not None:
            event.wait()
        with self._lock:
            self._done.pop(commit, None)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._ahead.close()
