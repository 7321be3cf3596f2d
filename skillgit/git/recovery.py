"""Finishing what a killed command left: the index/work-tree sync after HEAD moved, and temp indexes.

A commit is made in two steps: HEAD moves (compare-and-swap), then the event's own paths are synced
into the index and work tree. Before HEAD moves the command writes an intent file; a process killed
between the two steps leaves it behind. Finishing the sync later is careful: an index entry or a
file is brought to the new commit's version only while it still holds the old commit's version.
Anything else is the user's own work since, and is left exactly as it is and reported.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from skillgit.frozenrecord import Record
from skillgit.git.core import RepoCore
from skillgit.git.records import blob_id

PENDING_FILE = "pending.json"
TEMP_INDEX_PREFIX = "index-"
GITLINK = "160000"


@dataclass(frozen=True, eq=False, repr=False)
class Intent(Record):
    """A commit whose sync may be unfinished: the new commit, its parent, the paths to sync."""

    commit: str
    old: str | None
    paths: tuple[str, ...]
    worktree: bool
    pid: int | None

    def to_json(self) -> str:
        return json.dumps({"commit": self.commit, "old": self.old, "paths": list(self.paths), "worktree": self.worktree,
                           "pid": self.pid})


def process_alive(pid: int | None) -> bool:
    """True when process `pid` exists (and is not this one) and, where /proc tells, is still a skillgit
    process (a dead command's id may since have gone to an unrelated process)."""
    if not pid or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        pass  # exists, owned by someone else
    try:
        return b"skillgit" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc: assume it is


class RecoveryMixin(RepoCore):
    """The intent file, the careful sync, and the clean-up of temp indexes."""

    @property
    def pending_path(self) -> Path:
        return self.git_dir / "skillgit" / PENDING_FILE

    def pending_intent(self) -> Intent | None:
        """The intent left by a commit whose sync may be unfinished (None: none, or unreadable and removed)."""
        try:
            data = json.loads(self.pending_path.read_text(encoding="utf-8"))
            return Intent(str(data["commit"]), data.get("old"), tuple(data.get("paths", ())), bool(data.get("worktree")),
                          data.get("pid"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            self.pending_path.unlink(missing_ok=True)
            return None

    def finish_sync(self, intent: Intent) -> list[str]:
        """Bring the intent's paths from its old commit's version to its new one in the index (and the
        work tree, when it asked for that), where they still hold the old version. Returns the paths
        left alone because they hold something else (the user's own changes since)."""
        if not intent.paths:
            return []
        old = self._listing(intent.old, intent.paths)
        new = self._listing(intent.commit, intent.paths)
        index = self._index_entries(intent.paths)
        left: set[str] = set()
        reset: list[str] = []
        for path in sorted(old.keys() | new.keys()):
            now = index.get(path)
            if now == new.get(path):
                continue
            if now == old.get(path):
                reset.append(path)
            else:
                left.add(path)
        if reset:
            self.run("reset", "-q", intent.commit, "--", *reset)
        if intent.worktree:
            left |= self._finish_worktree(intent.commit, old, new)
        return sorted(left)

    def _finish_worktree(self, commit: str, old: dict[str, tuple[str, str]], new: dict[str, tuple[str, str]]) -> set[str]:
        left: set[str] = set()
        restore: list[str] = []
        for path in sorted(old.keys() | new.keys()):
            disk = _disk_blob(self.root / path)
            want, was = new.get(path), old.get(path)
            if disk == (want[1] if want else None):
                continue
            if disk != (was[1] if was else None):
                left.add(path)
            elif want is not None:
                restore.append(path)
            else:
                target = self.root / path
                target.unlink()
                prune_empty_dirs(target.parent, self.root)
        if restore:
            self.run("restore", f"--source={commit}", "--worktree", "--", *restore)
        return left

    def _listing(self, rev: str | None, paths: tuple[str, ...]) -> dict[str, tuple[str, str]]:
        out: dict[str, tuple[str, str]] = {}
        if rev is None:
            return out
        for path in paths:
            for file, (mode, oid) in self.tree_files(rev, path).items():
                if mode != GITLINK:
                    out[file] = (mode, oid)
        return out

    def _index_entries(self, paths: tuple[str, ...]) -> dict[str, tuple[str, str]]:
        """`{path: (mode, id)}` of the index under `paths` (an unmerged path: `("unmerged", "")`)."""
        out: dict[str, tuple[str, str]] = {}
        for item in self.run("ls-files", "-s", "-z", "--", *paths).split("\0"):
            if not item:
                continue
            meta, path = item.split("\t", 1)
            mode, oid, stage = meta.split()
            out[path] = (mode, oid) if stage == "0" else ("unmerged", "")
        return out

    def clean_temp_indexes(self) -> None:
        """Remove the private indexes (`.git/skillgit/index-<pid>-…`) of skillgit processes that died."""
        folder = self.git_dir / "skillgit"
        try:
            names = [p.name for p in folder.iterdir() if p.name.startswith(TEMP_INDEX_PREFIX)]
        except OSError:
            return
        for name in names:
            pid = name[len(TEMP_INDEX_PREFIX):].split("-", 1)[0]
            if not pid.isdigit() or not (int(pid) == os.getpid() or process_alive(int(pid))):
                (folder / name).unlink(missing_ok=True)


def _disk_blob(path: Path) -> str | None:
    """The blob id git would store for the file at `path` (a symlink: its target text); None when absent."""
    try:
        if path.is_symlink():
            return blob_id(os.readlink(path).encode("utf-8", "surrogateescape"))
        if not path.is_file():
            return None
        return blob_id(path.read_bytes())
    except OSError:
        return None


def prune_empty_dirs(directory: Path, root: Path) -> None:
    while directory != root and directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent
