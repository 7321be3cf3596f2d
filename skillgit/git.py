"""The one adapter that owns git: subprocess `git` for writes and history, pygit2 for object reads.

Commits are built without touching the user's index or work tree: a temporary index is filled from
HEAD plus the event's own paths, written as a tree, committed with `git commit-tree`, and HEAD is
moved with a compare-and-swap `git update-ref` (so a commit that lands meanwhile aborts us). Only
then are the event's own paths synced into the real index and work tree. A small intent file makes
that last step restartable if the process dies half-way (`Repo.recover`).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from skillgit.errors import GitError, RepoStateError, UsageError

ZERO = "0" * 40
PENDING_FILE = "pending.json"


def blob_id(data: bytes) -> str:
    """The git blob id of `data` (what `git hash-object` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass(frozen=True)
class Identity:
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


@dataclass(frozen=True)
class RemovePath:
    """Drop `path` (a file or a whole directory) from the new tree."""

    path: str


@dataclass(frozen=True)
class AddFromWorktree:
    """Take `path` (file or directory) as it is in the work tree, deletions included."""

    path: str


@dataclass(frozen=True)
class CopyTree:
    """Place the tree `rev:src` at `dst` (which must be empty at that point)."""

    rev: str
    src: str
    dst: str


@dataclass(frozen=True)
class PutFile:
    """Write `data` at `path` with `mode` (octal string)."""

    path: str
    data: bytes
    mode: str = "100644"


TreeEdit = RemovePath | AddFromWorktree | CopyTree | PutFile


@dataclass(frozen=True)
class RawChange:
    """One file in `git log --raw`: status A/M/D/T, path, modes and blob ids (zeros when absent)."""

    status: str
    path: str
    old_mode: str
    new_mode: str
    old_oid: str
    new_oid: str


@dataclass(frozen=True)
class LogRecord:
    commit: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    time: int
    message: str
    files: tuple[RawChange, ...] = ()
    signature: str = ""
    """git's %G? (G good, U good with unknown validity, N none, B bad, …) when asked for; else ""."""


class Repo:
    """A git work tree. Construct with `Repo.discover(path)`."""

    def __init__(self, root: Path, git_dir: Path) -> None:
        self.root = root
        self.git_dir = git_dir
        self._pygit2: Any = None

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def discover(cls, path: Path | str = ".") -> Repo:
        path = Path(path)
        if not path.is_dir():
            raise UsageError(f"{path}: no such directory; pass -C with an existing repository.")
        result = _git(path, "rev-parse", "--show-toplevel", "--absolute-git-dir", check=False)
        if result.returncode != 0:
            if "not a git repository" in result.stderr:
                raise UsageError(
                    f"{path.resolve()}: not a git repository (or any parent); run `git init` there or pass -C DIR."
                )
            raise UsageError(f"{path.resolve()}: {result.stderr.strip() or 'not a git work tree'}; pass -C DIR.")
        lines = result.stdout.splitlines()
        if len(lines) < 2:
            raise UsageError(f"{path.resolve()}: a bare repository has no work tree; run skillgit in a checkout.")
        return cls(Path(lines[0]), Path(lines[1]))

    @classmethod
    def init(cls, path: Path, identity: tuple[str, str] | None = None) -> Repo:
        """`git init -b main` at `path` (optionally with a repo-local user identity)."""
        _git(path, "init", "-q", "-b", "main")
        if identity:
            _git(path, "config", "user.name", identity[0])
            _git(path, "config", "user.email", identity[1])
        return cls.discover(path)

    @property
    def pygit2(self) -> Any:
        if self._pygit2 is None:
            import pygit2

            try:
                self._pygit2 = pygit2.Repository(str(self.root))
            except pygit2.GitError as exc:
                raise GitError(f"{self.root}: cannot open the repository ({exc}).") from exc
        return self._pygit2

    @property
    def state_dir(self) -> Path:
        """`.git/skillgit/`: skillgit's private state (indexes, locks, intent files)."""
        path = self.git_dir / "skillgit"
        path.mkdir(parents=True, exist_ok=True)
        return path

    # -- running git ---------------------------------------------------------------------------

    def run(
        self,
        *args: str,
        input: str | bytes | None = None,
        env: dict[str, str] | None = None,
        check: bool = True,
    ) -> str:
        """Run git in the work tree; return stdout as text. Failures raise GitError with git's words."""
        result = _git(self.root, *args, input=input, env=env, check=False)
        if check and result.returncode != 0:
            raise GitError(f"git {' '.join(args[:3])} failed: {result.stderr.strip() or result.returncode}")
        return result.stdout

    def run_bytes(self, *args: str, input: bytes | None = None, env: dict[str, str] | None = None) -> bytes:
        result = subprocess.run(
            ["git", *args], cwd=self.root, input=input, capture_output=True, env=_env(env)
        )
        if result.returncode != 0:
            raise GitError(f"git {' '.join(args[:3])} failed: {result.stderr.decode(errors='replace').strip()}")
        return result.stdout

    # -- reading -------------------------------------------------------------------------------

    def head(self) -> str | None:
        """The commit id of HEAD, or None on an unborn branch."""
        out = self.run("rev-parse", "-q", "--verify", "HEAD^{commit}", check=False).strip()
        return out or None

    def branch(self) -> str | None:
        out = self.run("symbolic-ref", "-q", "--short", "HEAD", check=False).strip()
        return out or None

    def ref_exists(self, ref: str) -> bool:
        return self.run("rev-parse", "-q", "--verify", f"{ref}^{{commit}}", check=False).strip() != ""

    def check_branch_name(self, name: str) -> str:
        """`refs/heads/<name>` for a valid new branch name; UsageError naming the problem otherwise."""
        if name.startswith("-") or self.run("check-ref-format", "--branch", name, check=False).strip() != name:
            raise UsageError(f"{name!r} is not a valid branch name (see `git check-ref-format`); pick another.")
        return f"refs/heads/{name}"

    def resolve(self, rev: str) -> str:
        """A full commit id for `rev`, or a UsageError naming it."""
        if rev.startswith("-"):
            raise UsageError(f"{rev!r} is not a revision; name a commit, branch or tag.")
        out = self.run("rev-parse", "-q", "--verify", f"{rev}^{{commit}}", check=False).strip()
        if not out:
            raise UsageError(f"{rev}: no such commit in {self.root}; check the name with `git log`.")
        return out

    def read_file(self, rev: str, path: str) -> bytes | None:
        """The bytes of `path` at commit `rev`, or None when it does not exist there."""
        try:
            commit = self.pygit2.revparse_single(rev).peel(_pygit2_commit())
            entry = commit.tree[path]
        except (KeyError, ValueError):
            return None
        obj = self.pygit2[entry.id]
        if getattr(obj, "type_str", "") != "blob":
            return None
        return bytes(obj.data)

    def blob(self, oid: str) -> bytes:
        return bytes(self.pygit2[oid].data)

    def tree_files(self, rev: str, prefix: str) -> dict[str, tuple[str, str]]:
        """`{path: (mode, blob id)}` of every file under `prefix` at `rev` (empty if absent)."""
        spec = ["--", prefix] if prefix else []
        out = self.run("ls-tree", "-r", "-z", "--full-tree", rev, *spec, check=False)
        files: dict[str, tuple[str, str]] = {}
        for item in out.split("\0"):
            if not item:
                continue
            meta, path = item.split("\t", 1)
            mode, _type, oid = meta.split()
            files[path] = (mode, oid)
        return files

    def path_exists(self, rev: str, path: str) -> bool:
        return bool(self.run("ls-tree", "--name-only", rev, "--", path, check=False).strip())

    def changed_paths(self, paths: Sequence[str] = ()) -> list[str]:
        """Paths (under `paths`, or anywhere) that differ from HEAD in the index or work tree, or are untracked."""
        out = self.run("status", "--porcelain=v1", "-z", "-uall", "--", *paths)
        changed = []
        entries = out.split("\0")
        i = 0
        while i < len(entries):
            entry = entries[i]
            if entry:
                changed.append(entry[3:])
                if entry[0] in "RC":
                    i += 1
            i += 1
        return changed

    def staged_paths(self) -> list[str]:
        if self.head() is None:
            out = self.run("diff", "--cached", "--name-only", "-z", "--root", _empty_tree(self))
        else:
            out = self.run("diff", "--cached", "--name-only", "-z", "HEAD")
        return [p for p in out.split("\0") if p]

    def config_value(self, key: str) -> str | None:
        out = self.run("config", "--get", key, check=False).strip()
        return out or None

    def log(self, *args: str, raw: bool = False, stdin: str | None = None) -> list[LogRecord]:
        """Commits from `git log <args>`, newest first, with message and (with `raw`) changed files."""
        fmt = "--format=%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%at%x1f%B%x1f"
        extra = ["--raw", "--no-abbrev", "--no-renames"] if raw else []
        out = self.run("log", fmt, *extra, *args, *(["--stdin"] if stdin is not None else []), input=stdin)
        records = []
        for chunk in out.split("\x1e")[1:]:
            commit, parents, name, email, when, body, rest = chunk.split("\x1f", 6)
            files = []
            for line in rest.splitlines():
                if line.startswith(":"):
                    meta, _, path = line.partition("\t")
                    old_mode, new_mode, old_oid, new_oid, status = meta[1:].split()
                    files.append(RawChange(status[0], _unquote(path), old_mode, new_mode, old_oid, new_oid))
            records.append(LogRecord(commit, tuple(parents.split()), name, email, int(when), body, tuple(files)))
        return records

    def commits_touching(self, rev: str, paths: Sequence[str]) -> list[str]:
        """Commits reachable from `rev` that changed any of `paths`, one `git log` per path.

        One path per call lets git use the commit-graph's changed-path Bloom filters, which it
        skips for several pathspecs at once; on a 100k-commit history that is the difference
        between seconds and a fraction of one. The logs run side by side.
        """
        procs = [
            subprocess.Popen(["git", "log", "--format=%H", rev, "--", path], cwd=self.root, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=_env(None), text=True)
            for path in paths
        ]
        seen: dict[str, None] = {}
        for proc in procs:
            out, err = proc.communicate()
            if proc.returncode != 0:
                raise GitError(f"git log {rev} failed: {err.strip()}")
            for commit in out.split():
                seen.setdefault(commit, None)
        return list(seen)

    def write_commit_graph(self) -> None:
        """Write the commit-graph with changed-path Bloom filters (what `versions` needs to be fast)."""
        self.run("commit-graph", "write", "--reachable", "--changed-paths", check=False)

    def diff_trees(self, old: str | None, new: str) -> list[RawChange]:
        """Files that differ between two trees or commits (`old` None: the empty tree)."""
        base = old or _empty_tree(self)
        out = self.run("diff-tree", "-r", "--raw", "--no-renames", "--no-abbrev", "-z", base, new)
        parts = out.split("\0")
        changes = []
        for meta, path in zip(parts[0::2], parts[1::2]):
            if not meta.startswith(":"):
                continue
            old_mode, new_mode, old_oid, new_oid, status = meta[1:].split()
            changes.append(RawChange(status[0], path, old_mode, new_mode, old_oid, new_oid))
        return changes

    def iter_log(self, *args: str, raw: bool = False, signatures: bool = False) -> Iterator[LogRecord]:
        """Like `log`, but streamed from one `git log` process (for long ranges); `signatures` adds %G?."""
        fmt = "--format=%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%at%x1f" + ("%G?" if signatures else "") + "%x1f%B%x1f"
        extra = ["--raw", "--no-abbrev", "--no-renames"] if raw else []
        try:
            proc = subprocess.Popen(
                ["git", "log", fmt, *extra, *args], cwd=self.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env=_env(None),
            )
        except FileNotFoundError:
            raise GitError("git is not installed or not on PATH; install git ≥ 2.30.") from None
        assert proc.stdout is not None
        pending = b""
        try:
            while True:
                block = proc.stdout.read(1 << 20)
                if not block:
                    break
                pending += block
                chunks = pending.split(b"\x1e")
                pending = chunks.pop()
                for chunk in chunks:
                    if chunk:
                        yield _log_record(chunk)
            if pending:
                yield _log_record(pending)
        finally:
            proc.stdout.close()
            err = proc.stderr.read() if proc.stderr else b""
            if proc.wait() != 0 and not err.startswith(b"fatal: your current branch"):
                raise GitError(f"git log {' '.join(args[:3])} failed: {err.decode(errors='replace').strip()}")

    def staged_changes(self, base: str | None) -> list[RawChange]:
        """Files whose staged (index) version differs from commit `base` (None: the empty tree)."""
        out = self.run("diff-index", "--cached", "-r", "--raw", "--no-renames", "--no-abbrev", "-z", base or _empty_tree(self))
        parts = out.split("\0")
        changes = []
        for meta, path in zip(parts[0::2], parts[1::2]):
            if not meta.startswith(":"):
                continue
            old_mode, new_mode, old_oid, new_oid, status = meta[1:].split()
            changes.append(RawChange(status[0], path, old_mode, new_mode, old_oid, new_oid))
        return changes

    def write_index_tree(self) -> str:
        """`git write-tree` of the real index: the tree the next `git commit` will record."""
        return self.run("write-tree").strip()

    def git_path(self, name: str) -> Path:
        """Where git keeps `name` (`git rev-parse --git-path`; honours core.hooksPath for `hooks`)."""
        return self.root / self.run("rev-parse", "--git-path", name).strip()

    def var(self, name: str) -> str:
        """`git var NAME`, e.g. GIT_AUTHOR_IDENT (honours GIT_AUTHOR_* as set by `git commit` for hooks)."""
        return self.run("var", name).strip()

    def merge_base(self, a: str, b: str) -> str | None:
        out = self.run("merge-base", a, b, check=False).strip()
        return out or None

    def blob_reader(self) -> BlobReader:
        """A reader of many blobs through one `git cat-file --batch` process."""
        return BlobReader(self.root)

    # -- writing -------------------------------------------------------------------------------

    def build_tree(self, base: str | None, edits: Iterable[TreeEdit]) -> str:
        """Write the tree of `base` with `edits` applied, using a private index. Returns the tree id."""
        fd, index = tempfile.mkstemp(prefix="index-", dir=self.state_dir)
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
        from skillgit import faults

        args = ["commit-tree", tree, "-F", "-"]
        if parent:
            args[2:2] = ["-p", parent]
        sha = self.run(*args, input=message, env=author.env(committer)).strip()
        faults.point("commit:object")
        title = message.splitlines()[0] if message else "skillgit"
        if ref is not None:
            result = _git(self.root, "update-ref", "-m", title, ref, sha, ZERO, check=False)
            if result.returncode != 0:
                raise RepoStateError(f"{ref} already exists (or cannot be created); nothing was committed. Pick another name.")
            return sha
        intent = {"commit": sha, "old": parent, "paths": list(sync), "worktree": worktree}
        pending = self.state_dir / PENDING_FILE
        pending.write_text(json.dumps(intent))
        result = _git(self.root, "update-ref", "-m", title, "HEAD", sha, parent or ZERO, check=False)
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
                _prune_empty_dirs(target.parent, self.root)
            if new_files:
                self.run("checkout", new, "--", path)

    def recover(self) -> None:
        """Finish the index/work-tree sync of a commit whose process died right after moving HEAD."""
        pending = self.git_dir / "skillgit" / PENDING_FILE
        if not pending.exists():
            return
        try:
            intent = json.loads(pending.read_text())
        except (OSError, ValueError):
            pending.unlink(missing_ok=True)
            return
        if self.head() == intent.get("commit"):
            self._sync(intent.get("old"), intent["commit"], intent.get("paths", []), intent.get("worktree", False))
        pending.unlink(missing_ok=True)

    # -- identity ------------------------------------------------------------------------------

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


def _prune_empty_dirs(directory: Path, root: Path) -> None:
    while directory != root and directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent


def _empty_tree(repo: Repo) -> str:
    return repo.run("hash-object", "-t", "tree", "/dev/null").strip()


def _pygit2_commit() -> Any:
    import pygit2

    return pygit2.Commit


def _env(extra: dict[str, str] | None) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("LC_ALL", "C")
    if extra:
        env.update(extra)
    return env


def _git(
    cwd: Path,
    *args: str,
    input: str | bytes | None = None,
    env: dict[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    try:
        result = subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=input.decode("utf-8", "surrogateescape") if isinstance(input, bytes) else input,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="surrogateescape",
            env=_env(env),
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH; install git ≥ 2.30.") from None
    if check and result.returncode != 0:
        raise GitError(f"git {' '.join(args[:3])} failed: {result.stderr.strip()}")
    return result


def _unquote(path: str) -> str:
    """Undo git's C-style quoting of unusual paths."""
    if not (path.startswith('"') and path.endswith('"')):
        return path
    import codecs

    return codecs.escape_decode(path[1:-1].encode())[0].decode("utf-8", "surrogateescape")  # type: ignore[attr-defined,no-any-return]


def _log_record(chunk: bytes) -> LogRecord:
    text = chunk.decode("utf-8", "surrogateescape")
    commit, parents, name, email, when, signature, body, rest = text.split("\x1f", 7)
    files = []
    for line in rest.splitlines():
        if line.startswith(":"):
            meta, _, path = line.partition("\t")
            old_mode, new_mode, old_oid, new_oid, status = meta[1:].split()
            files.append(RawChange(status[0], _unquote(path), old_mode, new_mode, old_oid, new_oid))
    return LogRecord(commit, tuple(parents.split()), name, email, int(when), body, tuple(files), signature)


class BlobReader:
    """Reads blobs by id through one long-lived `git cat-file --batch` process (no pygit2 import)."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._proc: subprocess.Popen[bytes] | None = None

    def __call__(self, oid: str) -> bytes:
        return self.read(oid)

    def read(self, oid: str) -> bytes:
        """The bytes of blob `oid` (also `rev:path`); GitError when there is no such object."""
        found = self.read_object(oid)
        if found is None:
            raise GitError(f"{oid}: no such object in {self._root}; the repository may be incomplete (fetch it again).")
        return found[2]

    def oid(self, spec: str) -> str | None:
        """The object id `spec` (`rev:path`) names, or None when it does not exist."""
        found = self.read_object(spec)
        return found[0] if found else None

    def find(self, spec: str) -> bytes | None:
        """The bytes of `spec` (`rev:path`, `:path` for the index) or None when it does not exist."""
        found = self.read_object(spec)
        return found[2] if found else None

    def read_object(self, spec: str) -> tuple[str, str, bytes] | None:
        """(id, type, raw bytes) of the object `spec` names, or None when there is none."""
        if "\n" in spec:
            return None
        proc = self._start()
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(spec.encode("utf-8", "surrogateescape") + b"\n")
        proc.stdin.flush()
        header = proc.stdout.readline()
        parts = header.split()
        if len(parts) != 3:
            return None
        data = proc.stdout.read(int(parts[2]))
        proc.stdout.read(1)
        return parts[0].decode(), parts[1].decode(), data

    def tree_entries(self, spec: str) -> list[tuple[str, str, str]] | None:
        """(mode, name, id) of each entry of the tree `spec` names, or None when it is not a tree."""
        found = self.read_object(spec)
        if found is None or found[1] != "tree":
            return None
        data, entries, pos, width = found[2], [], 0, len(found[0]) // 2
        while pos < len(data):
            space = data.index(b" ", pos)
            nul = data.index(b"\0", space)
            entries.append((data[pos:space].decode(), data[space + 1 : nul].decode("utf-8", "surrogateescape"),
                            data[nul + 1 : nul + 1 + width].hex()))
            pos = nul + 1 + width
        return entries

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            try:
                self._proc = subprocess.Popen(
                    ["git", "cat-file", "--batch"], cwd=self._root, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL, env=_env(None),
                )
            except FileNotFoundError:
                raise GitError("git is not installed or not on PATH; install git ≥ 2.30.") from None
        return self._proc

    def close(self) -> None:
        if self._proc is not None:
            if self._proc.stdin:
                self._proc.stdin.close()
            if self._proc.stdout:
                self._proc.stdout.close()
            self._proc.wait()
            self._proc = None

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
