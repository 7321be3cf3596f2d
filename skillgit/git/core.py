"""The repository core: opening, running git, and reading objects, refs and status."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Self

from skillgit.errors import GitError, UsageError
from skillgit.git.blobs import BlobReader
from skillgit.git.process import run_git, run_git_bytes
from skillgit.git.records import TreeEntry


class RepoCore:
    """State and the plain read operations every part of the adapter builds on."""

    def __init__(self, root: Path, git_dir: Path) -> None:
        self.root = root
        self.git_dir = git_dir
        self._objects: BlobReader | None = None

    @classmethod
    def discover(cls, path: Path | str = ".") -> Self:
        path = Path(path)
        if not path.is_dir():
            raise UsageError(f"{path}: no such directory; pass -C with an existing repository.")
        result = run_git(path, "rev-parse", "--show-toplevel", "--absolute-git-dir", check=False)
        if result.returncode != 0:
            if "not a git repository" in result.stderr:
                raise UsageError(
                    f"{path.resolve()}: not a git repository (or any parent); run `git init` there or pass -C DIR."
                )
            raise UsageError(f"{path.resolve()}: {result.stderr.strip() or 'not a git work tree'}; pass -C DIR.")
        lines = result.stdout.splitlines()
        if len(lines) < 2:
            raise UsageError(f"{path.resolve()}: a bare repository has no work tree; run skillgit in a checkout.")
        if os.environ.get("GIT_DIR"):
            _check_git_dir(path, Path(lines[1]))
        return cls(Path(lines[0]), Path(lines[1]))

    @classmethod
    def init(cls, path: Path, identity: tuple[str, str] | None = None) -> Self:
        """`git init -b main` at `path` (optionally with a repo-local user identity)."""
        run_git(path, "init", "-q", "-b", "main")
        if identity:
            run_git(path, "config", "user.name", identity[0])
            run_git(path, "config", "user.email", identity[1])
        return cls.discover(path)

    @property
    def state_dir(self) -> Path:
        """`.git/skillgit/`: skillgit's private state (indexes, locks, intent files)."""
        path = self.git_dir / "skillgit"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def run(
        self,
        *args: str,
        input: str | bytes | None = None,
        env: dict[str, str] | None = None,
        check: bool = True,
    ) -> str:
        """Run git in the work tree; return stdout as text. Failures raise GitError with git's words."""
        result = run_git(self.root, *args, input=input, env=env, check=False)
        if check and result.returncode != 0:
            raise GitError(f"git {' '.join(args[:3])} failed: {result.stderr.strip() or result.returncode}")
        return result.stdout

    def run_bytes(self, *args: str, input: bytes | None = None, env: dict[str, str] | None = None) -> bytes:
        result = run_git_bytes(self.root, *args, input=input, env=env)
        if result.returncode != 0:
            raise GitError(f"git {' '.join(args[:3])} failed: {result.stderr.decode(errors='replace').strip()}")
        return result.stdout

    def head(self) -> str | None:
        """The commit id of HEAD, or None on an unborn branch."""
        return self.commit_id("HEAD")

    def branch(self) -> str | None:
        out = self.run("symbolic-ref", "-q", "--short", "HEAD", check=False).strip()
        return out or None

    def commit_id(self, rev: str) -> str | None:
        """The full id of the commit `rev` names (a tag is peeled), or None when it names none."""
        out = self.run("rev-parse", "-q", "--verify", f"{rev}^{{commit}}", check=False).strip()
        return out or None

    def ref_exists(self, ref: str) -> bool:
        return self.commit_id(ref) is not None

    def check_branch_name(self, name: str) -> str:
        """`refs/heads/<name>` for a valid new branch name; UsageError naming the problem otherwise."""
        if name.startswith("-") or self.run("check-ref-format", "--branch", name, check=False).strip() != name:
            raise UsageError(f"{name!r} is not a valid branch name (see `git check-ref-format`); pick another.")
        return f"refs/heads/{name}"

    def resolve(self, rev: str) -> str:
        """A full commit id for `rev`, or a UsageError naming it."""
        if rev.startswith("-") or ".." in rev or "\n" in rev:
            raise UsageError(f"{rev!r} is not a revision; name a commit, branch or tag.")
        out = self.run("rev-parse", "-q", "--verify", f"{rev}^{{commit}}", check=False).strip()
        if not out or "\n" in out:
            raise UsageError(f"{rev}: no such commit in {self.root}; check the name with `git log`.")
        return out

    def read_file(self, rev: str, path: str) -> bytes | None:
        """The bytes of file `path` at commit `rev`, or None when it is no file there (or `rev` no commit)."""
        found = self._reader().read_object(f"{rev}^{{commit}}:{path}")
        return found[2] if found is not None and found[1] == "blob" else None

    def blob(self, oid: str) -> bytes:
        """The bytes of blob `oid`; GitError when the repository lacks it."""
        return self._reader().read(oid)

    def _reader(self) -> BlobReader:
        """The repository's own `git cat-file --batch` for single object reads, started on first use (it ends
        when this object goes, or with the process)."""
        if self._objects is None:
            self._objects = BlobReader(self.root)
        return self._objects

    def tree_files(self, rev: str, prefix: str) -> dict[str, tuple[str, str]]:
        """`{path: (mode, blob id)}` of every file under `prefix` at `rev` (empty if absent)."""
        return {e.path: (e.mode, e.oid) for e in self.tree_entries(rev, [prefix] if prefix else [])}

    def tree_entries(
        self, rev: str, paths: Sequence[str], *, recursive: bool = True, literal: bool = False, check: bool = False
    ) -> list[TreeEntry]:
        """The entries of `git ls-tree` at `rev` under `paths` (the whole tree when none): with `recursive`,
        every file; else the entries `paths` name themselves. `literal`: no wildcards in `paths`. An absent
        `rev` lists nothing (with `check`: GitError)."""
        out = self.run("ls-tree", *(["-r"] if recursive else []), "-z", "--full-tree", rev, *(["--", *paths] if paths else []),
                       check=check, env={"GIT_LITERAL_PATHSPECS": "1"} if literal else None)
        entries = []
        for item in out.split("\0"):
            if item:
                meta, path = item.split("\t", 1)
                mode, kind, oid = meta.split()
                entries.append(TreeEntry(mode, kind, oid, path))
        return entries

    def worktree_files(self, paths: Sequence[str] = ()) -> list[str]:
        """Files of the work tree under `paths` (or all): tracked ones and untracked ones git does not ignore."""
        out = self.run("ls-files", "-z", "--cached", "--others", "--exclude-standard", *(["--", *paths] if paths else []))
        return [p for p in out.split("\0") if p]

    def is_tracked(self, path: str) -> bool:
        """git tracks `path` (relative to the work tree's root): the index holds it, or files under it."""
        return bool(self.run("ls-files", "--", path, check=False).strip())

    def path_exists(self, rev: str, path: str) -> bool:
        return bool(self.run("ls-tree", "--name-only", rev, "--", path, check=False).strip())

    def status_entries(self, paths: Sequence[str] = ()) -> list[tuple[str, str]]:
        """(two-letter status code, path) of every path `git status` lists (untracked files included)."""
        out = self.run("status", "--porcelain=v1", "-z", "-uall", "--", *paths)
        entries = out.split("\0")
        found = []
        i = 0
        while i < len(entries):
            entry = entries[i]
            i += 1
            if not entry:
                continue
            found.append((entry[:2], entry[3:]))
            if entry[0] in "RC":
                i += 1  # a rename or copy is followed by its source path
        return found

    def changed_paths(self, paths: Sequence[str] = ()) -> list[str]:
        """Paths (under `paths`, or anywhere) that differ from HEAD in the index or work tree, or are untracked."""
        return [path for _code, path in self.status_entries(paths)]

    def config_value(self, key: str) -> str | None:
        out = self.run("config", "--get", key, check=False).strip()
        return out or None

    def write_index_tree(self) -> str:
        """`git write-tree` of the real index: the tree the next `git commit` will record."""
        return self.run("write-tree").strip()

    def git_path(self, name: str) -> Path:
        """Where git keeps `name` (`git rev-parse --git-path`; honours core.hooksPath for `hooks`)."""
        return self.root / self.run("rev-parse", "--git-path", name).strip()

    def var(self, name: str, *, required: bool = True) -> str:
        """`git var NAME`, e.g. GIT_AUTHOR_IDENT (honours GIT_AUTHOR_* as set by `git commit` for hooks);
        "" when git knows no value and it is not `required` (GitError when it is)."""
        return self.run("var", name, check=required).strip()

    def merge_base(self, a: str, b: str) -> str | None:
        out = self.run("merge-base", a, b, check=False).strip()
        return out or None

    def operation_in_progress(self) -> tuple[str, str] | None:
        """(what, how to end it) when a merge, rebase, cherry-pick or revert is unresolved (None: none)."""
        for name, what, fix in _OPERATIONS:
            if (self.git_dir / name).exists():
                return what, fix
        if self.run("ls-files", "-u", "-z", check=False):
            return "unresolved conflicts in the index", "`git add` the resolved files (or `git checkout -m` them)"
        return None

    @property
    def common_dir(self) -> Path:
        """The git directory shared by every worktree of the repository (the git dir itself outside a worktree)."""
        try:
            return (self.git_dir / (self.git_dir / "commondir").read_text(encoding="utf-8").strip()).resolve()
        except OSError:
            return self.git_dir

    def repository_paths(self) -> list[Path]:
        """Every path of the repository: its work tree, git directory, common directory and other worktrees."""
        paths = [self.root, self.git_dir]
        common = self.run("rev-parse", "--git-common-dir", check=False).strip()
        if common:
            paths.append(Path(common) if os.path.isabs(common) else self.root / common)
        for line in self.run("worktree", "list", "--porcelain", check=False).splitlines():
            if line.startswith("worktree "):
                paths.append(Path(line[len("worktree "):]))
        return [Path(os.path.normpath(str(p))) for p in paths]

    def refs_under(self, prefix: str) -> list[tuple[str, str, str]]:
        """(ref name, commit id, committer date in ISO 8601) of each ref under `prefix` (`refs/heads/x/`)."""
        out = self.run("for-each-ref", "--format=%(refname)%00%(objectname)%00%(committerdate:iso-strict)", prefix)
        rows = []
        for line in out.splitlines():
            ref, commit, when = line.split("\0")
            rows.append((ref, commit, when))
        return rows

    def shallow_boundaries(self) -> list[str]:
        """The commits whose parents this clone lacks (`.git/shallow`); empty for a full clone."""
        try:
            text = (self.common_dir / "shallow").read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError):
            return []
        return text.split()

    def is_ancestor(self, ancestor: str, rev: str) -> bool:
        """True when commit `ancestor` is `rev` or one of its ancestors."""
        return run_git(self.root, "merge-base", "--is-ancestor", ancestor, rev, check=False).returncode == 0

    def blob_reader(self) -> BlobReader:
        """A reader of many blobs through one `git cat-file --batch` process."""
        return BlobReader(self.root)


_OPERATIONS = (
    ("MERGE_HEAD", "a merge", "finish it (`git commit`) or abort it (`git merge --abort`)"),
    ("rebase-merge", "a rebase", "finish it (`git rebase --continue`) or abort it (`git rebase --abort`)"),
    ("rebase-apply", "a rebase or `git am`", "finish it (`--continue`) or abort it (`git rebase --abort` / `git am --abort`)"),
    ("CHERRY_PICK_HEAD", "a cherry-pick", "finish it (`git cherry-pick --continue`) or abort it (`git cherry-pick --abort`)"),
    ("REVERT_HEAD", "a revert", "finish it (`git revert --continue`) or abort it (`git revert --abort`)"),
)
"""(file in the git dir, the operation it marks, how to end it)."""


def _check_git_dir(path: Path, chosen: Path) -> None:
    """With GIT_DIR set, `path` must not be (inside) another repository than the one GIT_DIR names:
    git would read one repository's objects and the other's work tree."""
    own = run_git(path, "rev-parse", "--absolute-git-dir", check=False,
                  unset=("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY"))
    mine = own.stdout.strip()
    if own.returncode == 0 and mine and Path(mine).resolve() != chosen.resolve():
        raise UsageError(
            f"GIT_DIR={os.environ['GIT_DIR']} names another repository ({chosen}) than {path.resolve()} ({mine}); "
            "unset GIT_DIR, or point -C at that repository's work tree."
        )


def empty_tree(repo: RepoCore) -> str:
    return repo.run("hash-object", "-t", "tree", "/dev/null").strip()
