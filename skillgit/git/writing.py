"""Writing: a tree from a private index, a commit with compare-and-swap on the ref, and the
restartable sync of the event's own paths into the real index and work tree (see `recovery`)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from skillgit import faults
from skillgit.errors import RepoStateError, UsageError
from skillgit.git.process import run_git
from skillgit.git.records import ZERO, AddFromWorktree, CopyTree, Identity, RemovePath, TreeEdit
from skillgit.git.recovery import PENDING_FILE, TEMP_INDEX_PREFIX, Intent, RecoveryMixin, process_alive, prune_empty_dirs


class WritingMixin(RecoveryMixin):
    """Commits that touch nothing but their own paths."""

    def build_tree(self, base: str | None, edits: Iterable[TreeEdit]) -> str:
        """Write the tree of `base` with `edits` applied, using a private index. Returns the tree id."""
        import tempfile  # only when a commit is made: a command that reads does not load it

        fd, index = tempfile.mkstemp(prefix=f"{TEMP_INDEX_PREFIX}{os.getpid()}-", dir=self.state_dir)
        os.close(fd)
        os.unlink(index)
        env = {"GIT_INDEX_FILE": index}
        try:
            if base:
                self.run("read-tree", base, env=env)
            else:
                self.run("read-tree", "--empty", env=env)
            for edit in edits:
                self._apply(edit, env)
            faults.point("tree:index")
            return self.run("write-tree", env=env).strip()
        finally:
            for leftover in (index, index + ".lock"):
                if os.path.exists(leftover):
                    os.unlink(leftover)

    def _apply(self, edit: TreeEdit, env: dict[str, str]) -> None:
        if isinstance(edit, RemovePath):
            self.run("rm", "-r", "-q", "--cached", "--ignore-unmatch", "--", edit.path, env=env)
        elif isinstance(edit, AddFromWorktree):
            self.run("add", "-A", "--", edit.path, env=env)
        elif isinstance(edit, CopyTree):
            self.run("read-tree", f"--prefix={edit.dst.rstrip('/')}/", f"{edit.rev}:{edit.src}", env=env)
        else:
            oid = self.run_bytes("hash-object", "-w", "--stdin", input=edit.data).decode().strip()
            self.run("update-index", "--add", "--cacheinfo", f"{edit.mode},{oid},{edit.path}", env=env)

    def commit(
        self,
        message: str,
        tree: str,
        *,
        parent: str | None,
        author: Identity,
        committer: Identity | None = None,
        sync: Sequence[str] = (),
        worktree: bool = False,
        ref: str | None = None,
    ) -> str:
        """Make a commit of `tree` on top of `parent` and move HEAD to it, iff HEAD is still `parent`.

        `sync` names the paths whose index entries (and, with `worktree`, files) are then brought
        in line with the new commit. Everything else in the index and work tree is left alone.
        With `ref` (e.g. `refs/heads/skillgit/proposal/x`), the commit goes to that new ref instead:
        it must not exist yet, and HEAD, index and work tree are not touched.
        """
        args = ["commit-tree", tree, "-F", "-"]
        if parent:
            args[2:2] = ["-p", parent]
        sha = self.run(*args, input=message, env=author.env(committer)).strip()
        faults.point("commit:object")
        title = message.splitlines()[0] if message else "skillgit"
        if ref is not None:
            result = run_git(self.root, "update-ref", "-m", title, ref, sha, ZERO, check=False)
            if result.returncode != 0:
                raise RepoStateError(f"{ref} already exists (or cannot be created); nothing was committed. Pick another name.")
            return sha
        intent = Intent(sha, parent, tuple(sync), worktree, os.getpid())
        pending = self.state_dir / PENDING_FILE
        pending.write_text(intent.to_json(), encoding="utf-8")
        result = run_git(self.root, "update-ref", "-m", title, "HEAD", sha, parent or ZERO, check=False)
        if result.returncode != 0:
            pending.unlink(missing_ok=True)
            raise RepoStateError(
                f"HEAD moved while the command ran (expected {(parent or 'no commit')[:12]}); "
                "nothing was committed. Run the command again."
            )
        faults.point("commit:ref")
        self._sync(parent, sha, sync, worktree)
        pending.unlink(missing_ok=True)
        return sha

    def _sync(self, old: str | None, new: str, paths: Sequence[str], worktree: bool) -> None:
        if not paths:
            return
        self.run("reset", "-q", new, "--", *paths)
        if not worktree:
            return
        for path in paths:
            old_files = set(self.tree_files(old, path)) if old else set()
            new_files = self.tree_files(new, path)
            for gone in sorted(old_files - set(new_files)):
                target = self.root / gone
                if target.is_file() or target.is_symlink():
                    target.unlink()
                prune_empty_dirs(target.parent, self.root)
            if new_files:
                self.run("checkout", new, "--", path)

    def commit_all(self, message: str) -> None:
        """`git add -A` and `git commit`: everything in the work tree, as the configured user (hooks run)."""
        self.run("add", "-A")
        self.run("commit", "-q", "-m", message)

    def append_trailers(self, path: Path, pairs: Sequence[tuple[str, str]], if_exists: str = "addIfDifferent") -> None:
        """Add trailers to the message in file `path` with `git interpret-trailers`, which keeps them above
        comments and the scissors line; `if_exists` as its `--if-exists`."""
        args = ["interpret-trailers", "--in-place", "--where", "end", "--if-exists", if_exists, "--if-missing", "add"]
        for key, value in pairs:
            args += ["--trailer", f"{key}: {value}"]
        self.run(*args, str(path))

    def recover(self) -> list[str]:
        """Finish the index/work-tree sync of a commit whose process died right after moving HEAD, and
        remove the temp indexes of dead skillgit processes. Returns the paths of that sync left as the
        user has them (changed since: see `finish_sync`); nothing is done while that process lives."""
        self.clean_temp_indexes()
        intent = self.pending_intent()
        if intent is None or process_alive(intent.pid):
            return []
        left = self.finish_sync(intent) if self.head() == intent.commit else []
        self.pending_path.unlink(missing_ok=True)
        return left

    def identity(self, name: str | None = None, email: str | None = None) -> Identity:
        """Author identity: GIT_AUTHOR_* env, then the given config values, then git config."""
        name = os.environ.get("GIT_AUTHOR_NAME") or name or self.config_value("user.name")
        email = os.environ.get("GIT_AUTHOR_EMAIL") or email or self.config_value("user.email")
        if not email:
            raise UsageError(
                "no author identity for the commit: set identity.email (and identity.name) in skillgit.yaml, "
                "or GIT_AUTHOR_NAME/GIT_AUTHOR_EMAIL, or `git config user.email`."
            )
        return Identity(name or email.split("@")[0], email)

    def committer(self, author: Identity) -> Identity:
        name = os.environ.get("GIT_COMMITTER_NAME")
        email = os.environ.get("GIT_COMMITTER_EMAIL")
        if name or email:
            return Identity(name or author.name, email or author.email)
        return author
