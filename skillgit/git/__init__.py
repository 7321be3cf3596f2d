"""The one adapter that owns git: every git process starts here (`process`), and nothing else runs git.

Commits are built without touching the user's index or work tree: a temporary index is filled from
HEAD plus the event's own paths, written as a tree, committed with `git commit-tree`, and HEAD is
moved with a compare-and-swap `git update-ref` (so a commit that lands meanwhile aborts us). Only
then are the event's own paths synced into the real index and work tree. A small intent file makes
that last step restartable if the process dies half-way (`Repo.recover`).

Objects are read through `git cat-file --batch` (`blobs.BlobReader`), in the commands as in the hooks
(which run on every `git commit`): in a fresh process, reading one to a few hundred objects that way
takes less time than importing and opening pygit2 alone (`bench/bench_objects.py`).

Modules: `records` (plain data, the log record format), `process` (running git), `blobs` (object
reads), `core` (opening, refs, status, objects), `log` (log and diffs), `writing` (trees, commits, sync).
"""

from __future__ import annotations

from skillgit.git.blobs import BlobReader
from skillgit.git.core import RepoCore
from skillgit.git.log import LogMixin
from skillgit.git.merges import clean_merge, clean_merges
from skillgit.git.process import git_env, run_git
from skillgit.git.records import (
    ZERO,
    AddFromWorktree,
    CopyTree,
    Identity,
    LogRecord,
    PutFile,
    RawChange,
    RemovePath,
    TreeEdit,
    blob_id,
    parse_raw_z,
)
from skillgit.git.recovery import PENDING_FILE, Intent, process_alive
from skillgit.git.writing import WritingMixin


class Repo(LogMixin, WritingMixin):
    """A git work tree. Construct with `Repo.discover(path)`."""


__all__ = [
    "PENDING_FILE", "ZERO", "AddFromWorktree", "BlobReader", "CopyTree", "Identity", "Intent", "LogRecord", "PutFile",
    "RawChange", "RemovePath", "Repo", "RepoCore", "TreeEdit", "blob_id", "clean_merge", "clean_merges", "git_env",
    "parse_raw_z", "process_alive", "run_git",
]
