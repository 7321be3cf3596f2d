"""Reading history: `git log` records (listed or streamed), per-path commit lists, tree diffs."""

from __future__ import annotations

import io
import os
import subprocess
from collections.abc import Callable, Iterator, Sequence
from typing import cast

from skillgit.errors import GitError
from skillgit.git.core import RepoCore, empty_tree
from skillgit.git.process import spawn_git
from skillgit.git.records import RECORD_START, LogRecord, RawChange, log_format, log_record, parse_raw_z


class LogMixin(RepoCore):
    """Log and diff reading."""

    def log(self, *args: str, raw: bool = False, stdin: str | None = None) -> list[LogRecord]:
        """Commits from `git log <args>`, newest first, with message and (with `raw`) changed files."""
        return list(self.iter_log(*args, raw=raw, stdin=stdin))

    def iter_log(
        self, *args: str, raw: bool = False, signatures: bool = False, stdin: str | None = None
    ) -> Iterator[LogRecord]:
        """Like `log`, but streamed from one `git log` process (for long ranges); `signatures` adds %G?."""
        for chunk in self.iter_log_chunks(*args, raw=raw, signatures=signatures, stdin=stdin):
            yield log_record(chunk)

    def iter_log_chunks(
        self, *args: str, raw: bool = False, signatures: bool = False, stdin: str | None = None, lazy: bool = False
    ) -> Iterator[bytes]:
        """`iter_log`'s records unparsed (`records.log_record` parses one), for readers that skip most.

        `lazy`: for a reader that may stop early (close the iterator): git hands over each record as it
        finds it, runs at most a pipe's worth ahead, and is stopped when the iterator is closed, so the
        history past what was read is never walked."""
        extra = ["--raw", "--no-abbrev", "--no-renames"] if raw else []
        proc = spawn_git(
            self.root, "log", log_format(signatures), *extra, *args, *(["--stdin"] if stdin is not None else []),
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            # GIT_FLUSH=0: full buffers, not a flush (and a wake-up of this reader) per commit on a pipe
            env={"GIT_FLUSH": "1" if lazy else "0"},
        )
        assert proc.stdout is not None
        if not lazy:
            _widen_pipe(proc.stdout.fileno())
        if stdin is not None and proc.stdin is not None:
            proc.stdin.write(stdin.encode("utf-8"))
            proc.stdin.close()
        stdout = cast(io.BufferedReader, proc.stdout)
        read = stdout.read1 if lazy else stdout.read
        pending = b""
        finished = False
        try:
            while True:
                block = read(1 << 20)
                if not block:
                    break
                pending += block
                chunks = pending.split(RECORD_START)
                pending = chunks.pop()
                for chunk in chunks:
                    if chunk:
                        yield chunk
            if pending:
                yield pending
            finished = True
        finally:
            if not finished:
                proc.kill()  # the reader stopped early: git need not walk the rest of the history
            proc.stdout.close()
            err = proc.stderr.read() if proc.stderr else b""
            if proc.wait() != 0 and finished and not err.startswith(b"fatal: your current branch"):
                raise GitError(f"git log {' '.join(args[:3])} failed: {err.decode(errors='replace').strip()}")

    def new_commits(self, rev: str, known: Sequence[str]) -> list[tuple[str, tuple[str, ...]]]:
        """(commit, parents) of the commits reachable from `rev` and from none of `known`, newest first
        (`git rev-list --parents`); commits of `known` that no longer exist are ignored."""
        out = self.run("rev-list", "--parents", "--ignore-missing", rev, "--not", *known, "--")
        rows = []
        for line in out.splitlines():
            commit, *parents = line.split()
            rows.append((commit, tuple(parents)))
        return rows

    def line_below(self, rev: str, stop: Callable[[str], bool], limit: int) -> list[str]:
        """`rev` and the commits below it, newest first, while they form a line (each commit's only parent is
        the next): down to the first one `stop` accepts, a merge or a root (each included), or `limit`
        commits. Reads `git rev-list` only as far as that, and stops it."""
        proc = spawn_git(self.root, "rev-list", "--parents", f"--max-count={limit}", rev, "--", stderr=subprocess.DEVNULL)
        assert proc.stdout is not None
        out: list[str] = []
        expected: str | None = None
        try:
            for line in proc.stdout:
                commit, *parents = line.decode("ascii", "replace").split()
                if expected is not None and commit != expected:
                    break  # not a line
                out.append(commit)
                if stop(commit) or len(parents) != 1:
                    break
                expected = parents[0]
        finally:
            proc.kill()
            proc.stdout.close()
            proc.wait()
        return out

    def walk_order(self, rev: str) -> list[str]:
        """Every commit reachable from `rev` in `git log`'s order (newest first), ids only."""
        return self.run("rev-list", rev, "--").split()

    def replaced_history(self) -> bool:
        """True when git shows history through replacement refs (`git replace`) or grafts: what `git log`
        prints of a commit's ancestry may then change without the commit changing."""
        common = self.common_dir
        if os.environ.get("GIT_REPLACE_REF_BASE") or (common / "info" / "grafts").exists():
            return True
        if (common / "reftable").is_dir():
            return bool(self.run("for-each-ref", "--count=1", "--format=%(refname)", "refs/replace/").strip())
        replace = common / "refs" / "replace"
        if replace.is_dir() and any(replace.iterdir()):
            return True
        try:
            with open(common / "packed-refs", "rb") as packed:
                return any(b" refs/replace/" in line for line in packed)
        except OSError:
            return False

    def commits_touching(self, rev: str, paths: Sequence[str], *, full_history: bool = False) -> list[str]:
        """Commits reachable from `rev` that changed any of `paths`, one `git log` per path (`full_history`:
        every such commit of every branch, not git's default simplification of merges).

        One path per call lets git use the commit-graph's changed-path Bloom filters, which it
        skips for several pathspecs at once; on a 100k-commit history that is the difference
        between seconds and a fraction of one. The logs run side by side.
        """
        full = ["--full-history"] if full_history else []
        procs = [spawn_git(self.root, "log", "--format=%H", *full, rev, "--", path) for path in paths]
        seen: dict[str, None] = {}
        for proc in procs:
            out, err = proc.communicate()
            if proc.returncode != 0:
                raise GitError(f"git log {rev} failed: {err.decode(errors='replace').strip()}")
            for commit in out.decode("ascii", "replace").split():
                seen.setdefault(commit, None)
        return list(seen)

    def write_commit_graph(self) -> None:
        """Write the commit-graph with changed-path Bloom filters (what `versions` needs to be fast)."""
        self.run("commit-graph", "write", "--reachable", "--changed-paths", check=False)

    def diff_trees(self, old: str | None, new: str) -> list[RawChange]:
        """Files that differ between two trees or commits (`old` None: the empty tree)."""
        out = self.run("diff-tree", "-r", "--raw", "--no-renames", "--no-abbrev", "-z", old or empty_tree(self), new)
        return parse_raw_z(out)

    def staged_changes(self, base: str | None) -> list[RawChange]:
        """Files whose staged (index) version differs from commit `base` (None: the empty tree)."""
        out = self.run(
            "diff-index", "--cached", "-r", "--raw", "--no-renames", "--no-abbrev", "-z", base or empty_tree(self)
        )
        return parse_raw_z(out)

    def rev_list(self, *revs: str, paths: Sequence[str] = ()) -> list[str]:
        """The commits `git rev-list REVS -- PATHS` lists (`a..b`, `^a` allowed), newest first: those that
        changed `paths` when given (git's history simplification)."""
        return self.run("rev-list", *revs, "--", *paths).split()

    def count_commits(self, *revs: str) -> int:
        """How many commits `rev_list(*revs)` would list."""
        return int(self.run("rev-list", "--count", *revs, "--"))

    def has_merges(self, base: str, head: str) -> bool:
        """True when a merge commit is reachable from `head` and not from `base`."""
        return bool(self.run("rev-list", "-1", "--merges", f"{base}..{head}").strip())

    def commit_times(self, *revs: str) -> list[int]:
        """The committer time (Unix seconds) of each commit `git log REVS` lists, newest first."""
        return [int(x) for x in self.run("log", "--format=%ct", *revs).split()]

    def trailers_text(self, rev: str = "HEAD") -> str:
        """The trailers of commit `rev` as git parses them (`%(trailers:only,unfold)`), one a line."""
        return self.run("log", "-1", "--format=%(trailers:only,unfold)", rev).strip()

    def changed_path_names(self, revs: str, paths: Sequence[str]) -> list[str]:
        """The paths under `paths` that the commits of `revs` (`a..b` or one commit and its history) changed,
        once a commit (so possibly repeated)."""
        out = self.run("log", "--format=", "--name-only", "--no-renames", "-z", revs, "--", *paths)
        return [p for p in out.replace("\n", "\0").split("\0") if p]

    def last_change_names(self, rev: str, paths: Sequence[str]) -> list[str]:
        """The names the newest commit reachable from `rev` that touched `paths` changed there (merges left
        out, every branch followed: `--full-history`), one a line as git prints them."""
        out = self.run("log", "-1", "--full-history", "--no-merges", "--format=", "--name-only", rev, "--", *paths)
        return out.split("\n")

    def first_commit_by(self, field: str, regex: str, rev: str) -> str | None:
        """The newest commit reachable from `rev` whose `field` (`author` or `committer`) matches the
        case-insensitive extended regular expression `regex` (matched against `Name <email>`)."""
        out = self.run("log", "-1", "--format=%H", "-i", "-E", f"--{field}={regex}", rev, "--", check=False)
        return out.strip() or None

    def diff(self, old: str, new: str, paths: Sequence[str] = (), *, stat: bool = False, renames: bool = True) -> str:
        """`git diff OLD NEW -- PATHS` as text (with `stat`: its `--stat`); `renames=False`: a rename shows as a
        deletion and an addition."""
        options = [*(["--stat"] if stat else []), "--no-color", *([] if renames else ["--no-renames"])]
        return self.run("diff", *options, old, new, *(["--", *paths] if paths else []))

    def commit_stats(self, commits: Sequence[str]) -> dict[str, str]:
        """The `--stat` of each commit against its first parent, read in one git process."""
        if not commits:
            return {}
        out = self.run("log", "--no-walk=unsorted", "--stdin", "--no-color", "--format=%x00%H", "--stat=100",
                       "--first-parent", "--diff-merges=first-parent", input="\n".join(commits) + "\n")
        stats: dict[str, str] = {}
        for chunk in out.split("\0")[1:]:
            commit, _, rest = chunk.partition("\n")
            stats[commit.strip()] = rest.strip("\n")
        return stats


_PIPE_BYTES = 1 << 20
_F_SETPIPE_SZ = 1031  # Linux; elsewhere the pipe keeps its size


def _widen_pipe(fd: int) -> None:
    """Let git run up to 1 MiB ahead of its reader (a reader busy elsewhere, e.g. waiting for Python's
    GIL, would otherwise stall git every 64 KiB). Best effort: not every system can resize pipes."""
    try:
        import fcntl

        fcntl.fcntl(fd, _F_SETPIPE_SZ, _PIPE_BYTES)
    except (ImportError, OSError):
        pass
