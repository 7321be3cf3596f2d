"""The sandbox that proposers, eval runners and judges run in: bubblewrap (`bwrap`).

A sandboxed command sees:

- the system, read-only: /usr, /bin, /sbin, /lib*, /etc, /opt, /nix, /sys (those that exist), a
  fresh /dev, its own /proc, and an empty private /tmp and /var/tmp;
- an empty private home at `$HOME`, holding only what is bound into it;
- the programs on its PATH, read-only: each PATH directory outside the system with its install
  root (the directory above a `bin`, `sbin` or `shims` directory: a virtualenv, ~/.local,
  ~/.pyenv, an nvm node), and the roots its symlinks lead to;
- the files its command line names by absolute or `~/` path, read-only (a script's directory, and
  its `#!` interpreter);
- what the caller gives it (the skill copy, read-write; an agent CLI's config), `cycle.sandbox_binds`,
  and skillgit's own code (read-only);
- when its working directory would be the repository (the eval runner, `eval.judge`): a private
  directory holding the repository files its command line names (and `cycle.sandbox_repo_paths`),
  written from the commit's objects — never read from the work tree.

It never sees the repository: no bind may lie inside its work tree, its git directory or another
worktree of it, nor contain one (or contain the temporary directory where skillgit materialises
holdouts). Its environment is the caller's without PWD, OLDPWD, GIT_* and every entry naming a
repository path; HOME, PWD and TMPDIR are set for the inside. It runs in its own PID namespace
(`--die-with-parent`), so everything it starts, `setsid` daemons included, is killed when it exits.
The network is shared (LLM APIs); capabilities are dropped.

Use: `box = for_workspace(ws)`, `box.require("the proposer `x`")` before starting work, then
`run_command(..., sandbox=box, binds=[Bind(skill_copy, writable=True)])` (skillgit.evals.process).
`cycle.sandbox: none` makes `prepare` a pass-through: commands run as plain, unconfined processes.
"""

from __future__ import annotations

import functools
import os
import posixpath
import shlex
import shutil
import stat
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from skillgit.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from skillgit.git import Repo
    from skillgit.workspace import Workspace

MODES = ("bwrap", "none")
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt", "/nix", "/sys")
PROVIDED = ("/dev", "/proc")
"""Made fresh inside: a path the command line names there is never bound from the host."""
INSTALL_DIRS = frozenset({"bin", "sbin", "shims"})
PRIVATE_HOME = "/home/sandbox"
MAX_REPO_BYTES = 64 * 1024 * 1024
MAX_REPO_FILES = 10_000
MAX_LINKS_SCANNED = 2000
INSTALL_HINT = "Install it (`apt-get install bubblewrap`)"


class SandboxUnavailable(UsageError):
    """`cycle.sandbox` is `bwrap` but bwrap is missing or cannot create a sandbox here (exit 2)."""


@dataclass(frozen=True)
class Bind:
    """A host path shown inside the sandbox at the same path (read-only unless `writable`).
    A bind whose path does not exist is left out."""

    path: Path
    writable: bool = False

    @classmethod
    def parse(cls, spec: str, where: str = "cycle.sandbox_binds") -> Bind:
        """`PATH`, `PATH:ro` or `PATH:rw`; `~` is the user's home."""
        text, writable = spec, False
        for suffix, rw in ((":rw", True), (":ro", False)):
            if text.endswith(suffix):
                text, writable = text[: -len(suffix)], rw
        path = os.path.expanduser(text)
        if not os.path.isabs(path):
            raise ConfigError(f"skillgit.yaml: {where}: {spec!r} is not an absolute path; write it from / or ~.")
        return cls(Path(os.path.normpath(path)), writable)


@dataclass(frozen=True)
class Launch:
    """What to start: `argv` with `env` in `cwd`; `problem` (`missing`, `not-executable`) when the
    program cannot start inside the sandbox."""

    argv: list[str]
    env: dict[str, str]
    cwd: Path | None
    problem: str | None = None


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _depth(path: str) -> int:
    return len([p for p in path.split("/") if p])


@functools.lru_cache(maxsize=4)
def bwrap_problem(bwrap: str | None) -> str | None:
    """Why bwrap cannot sandbox here (None when it can): tried once per process."""
    if bwrap is None:
        return "bubblewrap (`bwrap`) is not installed"
    probe = [bwrap, "--unshare-all", "--share-net", "--die-with-parent", "--ro-bind", "/", "/", "--proc", "/proc",
             "--dev", "/dev", "--", "true"]
    try:
        result = subprocess.run(probe, capture_output=True, text=True, timeout=30, cwd="/")
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{bwrap} cannot run ({exc})"
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        return f"{bwrap} cannot create a sandbox here ({last})"
    return None


def write_entry(root: Path, rel: PurePosixPath, mode: str, data: bytes) -> bool:
    """Write one git tree entry under `root`; False (nothing written) for a submodule or a symlink
    that would leave `root`."""
    target = root.joinpath(*rel.parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    if mode == "120000":
        link = data.decode("utf-8", "surrogateescape")
        resolved = os.path.normpath(os.path.join(str(target.parent), link))
        if os.path.isabs(link) or not _inside(resolved, str(root)):
            return False
        os.symlink(link, target)
        return True
    if mode not in ("100644", "100755"):
        return False
    target.write_bytes(data)
    if mode == "100755":
        target.chmod(0o755)
    return True


class RepoFiles:
    """Repository files for a command whose working directory is the repository, read from one
    commit's objects (so nothing in the work tree can swap them while they run).

    A path the command line names (relative to its working directory) is given with its whole
    directory (a runner's helpers and data), unless that is the repository root; `extra` paths are
    always given. Nothing under `skip` (the skills and attic roots) and nothing inside a directory
    holding a SKILL.md (a skill, its evals and holdout) is ever given.
    """

    def __init__(self, repo: Repo, commit: str, *, extra: Sequence[str] = (), skip: Sequence[str] = ()) -> None:
        self.repo, self.commit = repo, commit
        self.extra = tuple(p.strip("/") for p in extra if p.strip("/"))
        self.skip = tuple(s.strip("/") for s in skip if s.strip("/") not in ("", "."))
        self._cache: dict[tuple[str, ...], dict[str, tuple[str, bytes]]] = {}
        self._lock = threading.Lock()

    def write(self, words: Sequence[str], rel_cwd: str, dest: Path) -> None:
        """Write the files for a command with these words, run from `rel_cwd`, into `dest`."""
        wanted = [*self.extra]
        for word in words:
            for text in (word, word.partition("=")[2]):
                if not text or text.startswith("-") or os.path.isabs(text) or "\0" in text:
                    continue
                path = posixpath.normpath(posixpath.join(rel_cwd, text))
                if path not in (".", "") and not path.startswith("../") and path != "..":
                    wanted.append(path)
        key = tuple(sorted(set(wanted)))
        with self._lock:
            files = self._cache.get(key)
            if files is None:
                files = self._cache[key] = self._read(key)
        for path, (mode, data) in files.items():
            write_entry(dest, PurePosixPath(path), mode, data)

    def _read(self, paths: tuple[str, ...]) -> dict[str, tuple[str, bytes]]:
        if not paths:
            return {}
        roots: set[str] = set()
        for entry in self.repo.tree_entries(self.commit, paths, recursive=False, literal=True):
            parent = posixpath.dirname(entry.path)
            if entry.kind == "blob" and entry.path not in self.extra and parent:
                roots.add(parent)
            elif entry.kind in ("blob", "tree"):
                roots.add(entry.path)
        files: dict[str, tuple[str, str]] = {}
        if roots:
            for entry in self.repo.tree_entries(self.commit, sorted(roots), literal=True):
                files[entry.path] = (entry.mode, entry.oid)
        skills = {posixpath.dirname(p) for p in files if posixpath.basename(p) == "SKILL.md"}
        barred = [*self.skip, *skills]
        kept = {p: v for p, v in files.items() if not any(_inside(p, b) if b else True for b in barred)}
        if len(kept) > MAX_REPO_FILES:
            raise UsageError(f"the command's repository files ({', '.join(sorted(roots)[:3])}) hold {len(kept)} files at "
                             f"{self.commit[:12]}, more than {MAX_REPO_FILES}; name a smaller directory.")
        out_files: dict[str, tuple[str, bytes]] = {}
        total = 0
        for path, (mode, oid) in sorted(kept.items()):
            data = self.repo.blob(oid) if mode in ("100644", "100755", "120000") else b""
            total += len(data)
            if total > MAX_REPO_BYTES:
                raise UsageError(f"the command's repository files ({', '.join(sorted(roots)[:3])}) hold more than "
                                 f"{MAX_REPO_BYTES >> 20} MiB at {self.commit[:12]}; name a smaller directory.")
            out_files[path] = (mode, data)
        return out_files


def command_words(argv: Sequence[str]) -> list[str]:
    """The words of a command line: argv itself, or the words of a `/bin/sh -c` script."""
    if len(argv) >= 3 and argv[0] == "/bin/sh" and argv[1] == "-c":
        lexer = shlex.shlex(argv[2], posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        try:
            return list(lexer) + list(argv[3:])
        except ValueError:
            return list(argv[3:])
    return list(argv)


class Sandbox:
    """How proposers, runners and judges run (see the module doc). `hidden` are the repository's
    paths; `root` its work tree (a working directory inside it is replaced by `files`)."""

    def __init__(self, mode: str = "bwrap", *, hidden: Sequence[Path] = (), binds: Sequence[Bind] = (),
                 files: RepoFiles | None = None, root: Path | None = None) -> None:
        if mode not in MODES:
            raise ConfigError(f"skillgit.yaml: cycle.sandbox: {mode!r} is not one of {', '.join(MODES)}; use bwrap.")
        self.mode = mode
        paths = {os.path.normpath(str(p)) for p in hidden} | {os.path.realpath(p) for p in hidden}
        self.hidden = tuple(sorted(paths))
        self.root = None if root is None else os.path.normpath(str(root))
        self.files = files
        self.binds = tuple(binds)
        temp = tempfile.gettempdir()
        self._temp = tuple(dict.fromkeys((os.path.normpath(temp), os.path.realpath(temp))))
        self._roots: dict[str, tuple[str, ...]] = {}
        for bind in self.binds:
            self._check_bind(bind, "cycle.sandbox_binds")

    def with_binds(self, binds: Iterable[Bind]) -> Sandbox:
        """This sandbox with more binds (an agent CLI's own config: `Bind(Path("~/.claude"))`)."""
        more = Sandbox(self.mode, hidden=[Path(h) for h in self.hidden], binds=(*self.binds, *binds), files=self.files,
                       root=None if self.root is None else Path(self.root))
        more._roots = self._roots
        return more

    @property
    def confined(self) -> bool:
        return self.mode == "bwrap"

    @property
    def bwrap(self) -> str | None:
        return shutil.which("bwrap")

    def require(self, what: str) -> None:
        """SandboxUnavailable (exit 2) when `what` would need bwrap and it cannot sandbox here."""
        if not self.confined:
            return
        problem = bwrap_problem(self.bwrap)
        if problem:
            raise SandboxUnavailable(
                f"{problem}, so {what} cannot run sandboxed; nothing was run. {INSTALL_HINT}, or set "
                "`cycle.sandbox: none` in skillgit.yaml to run proposers, runners and judges unconfined, "
                "with your own rights over the repository."
            )

    def exit_status(self, returncode: int) -> int:
        """bwrap reports a command killed by signal N as 128+N; give it back as -N, like subprocess."""
        if self.confined and 128 < returncode <= 128 + 64:
            return 128 - returncode
        return returncode

    def _check_bind(self, bind: Bind, where: str) -> None:
        path = os.path.normpath(str(bind.path))
        for candidate in {path, os.path.realpath(path)}:
            for hidden in self.hidden:
                if _inside(candidate, hidden) or _inside(hidden, candidate):
                    raise ConfigError(
                        f"skillgit.yaml: {where}: {bind.path} reaches into the repository ({hidden}); the sandbox "
                        "never shows the repository. Remove it, or bind a directory outside the repository."
                    )
            if candidate == "/" or any(_inside(t, candidate) for t in self._temp):
                raise ConfigError(f"skillgit.yaml: {where}: {bind.path} is too broad to show inside the sandbox; "
                                  "bind the directories the command needs.")

    # -- the launch --------------------------------------------------------------------------------

    def prepare(self, argv: Sequence[str], *, workdir: Path, cwd: Path | None = None,
                env: Mapping[str, str] | None = None, binds: Sequence[Bind] = (), what: str = "the command") -> Launch:
        """The launch of `argv` (run in `cwd` with `env`; default: this process's). `workdir` is the
        caller's private directory for this run; `binds` are what the caller gives this run; `what`
        names the command in errors."""
        source = dict(os.environ if env is None else env)
        if not self.confined:
            return Launch(list(argv), source, cwd)
        self.require(what)
        for bind in binds:
            self._check_bind(bind, "a sandbox bind")
        mounts: dict[str, bool] = {}
        for bind in (*self.binds, *binds):
            mounts[str(bind.path)] = mounts.get(str(bind.path), False) or bind.writable
        words = command_words(argv)
        inner_cwd = self._working_dir(words, workdir, cwd, mounts)
        home = self._home(source.get("HOME", ""))
        inner_env = self._environment(source, home, inner_cwd)
        for root in self._program_roots(inner_env.get("PATH", "")):
            mounts.setdefault(root, False)
        for path in self._named_paths(words, inner_env.get("PATH", "")):
            mounts.setdefault(path, False)
        package = _package_dir()
        if self._bindable(package) and not _system(package):
            mounts.setdefault(package, False)
        problem = self._program_problem(argv[0] if argv else "", inner_env.get("PATH", ""), inner_cwd)
        args = [self.bwrap or "bwrap", "--unshare-all", "--share-net", "--die-with-parent", "--new-session"]
        if os.geteuid() == 0:
            args += ["--cap-drop", "ALL"]
        args += self._system_args() + ["--dev", "/dev", "--proc", "/proc"]
        layers: list[tuple[str, list[str]]] = [("/tmp", ["--tmpfs", "/tmp"]), ("/var/tmp", ["--tmpfs", "/var/tmp"]),
                                               (home, ["--tmpfs", home])]
        for path, writable in self._pruned(mounts):
            layers.append((path, ["--bind-try" if writable else "--ro-bind-try", path, path]))
        for _path, layer in sorted(layers, key=lambda item: _depth(item[0])):
            args += layer
        args += ["--chdir", inner_cwd, "--", *argv]
        return Launch(args, inner_env, Path("/"), problem)

    def _working_dir(self, words: list[str], workdir: Path, cwd: Path | None, mounts: dict[str, bool]) -> str:
        """The inside working directory: `cwd` itself (bound read-only unless given), or, for the
        repository (or no cwd), a private copy of the repository files the command names."""
        place = None if cwd is None else os.path.normpath(os.path.abspath(cwd))
        if place is not None and not any(_inside(place, h) for h in self.hidden):
            if not any(_inside(place, m) for m in mounts):
                self._check_bind(Bind(Path(place)), "the working directory")
                mounts[place] = False
            return place
        rel = "" if place is None or self.root is None or not _inside(place, self.root) else os.path.relpath(place, self.root)
        rel = "" if rel == "." else rel
        view = workdir / "repository-files"
        if not self._bindable(str(view)):
            raise ValueError(f"{workdir} is not a private directory: it reaches into the repository")
        view.mkdir(exist_ok=True)
        if self.files is not None:
            self.files.write(words, rel, view)
        inner = view / rel if rel else view
        inner.mkdir(parents=True, exist_ok=True)
        mounts[str(view)] = True
        return str(inner)

    def _home(self, home: str) -> str:
        path = os.path.normpath(home) if home and os.path.isabs(home) else ""
        if not path or path == "/" or _system(path) or _inside(path, "/proc") or any(_inside(path, h) for h in self.hidden):
            return PRIVATE_HOME
        return path

    def _environment(self, source: Mapping[str, str], home: str, cwd: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, value in source.items():
            if key in ("PWD", "OLDPWD") or key.startswith("GIT_"):
                continue
            if any(h in value for h in self.hidden):
                parts = [p for p in value.split(os.pathsep) if not any(h in p for h in self.hidden)]
                if not parts:
                    continue
                value = os.pathsep.join(parts)
            out[key] = value
        out.update({"HOME": home, "PWD": cwd, "TMPDIR": "/tmp"})
        return out

    def _system_args(self) -> list[str]:
        args: list[str] = []
        for path in SYSTEM_DIRS:
            if os.path.islink(path):
                args += ["--symlink", os.readlink(path), path]
            elif os.path.isdir(path):
                args += ["--ro-bind", path, path]
        resolv = os.path.realpath("/etc/resolv.conf")
        if not any(_inside(resolv, d) for d in SYSTEM_DIRS) and os.path.exists(resolv):
            args += ["--ro-bind-try", resolv, resolv]
        return args

    def _bindable(self, path: str) -> bool:
        """A path that may be shown: not in or around the repository, not around the temp root, not `/`."""
        return (path != "/" and not any(_inside(path, h) or _inside(h, path) for h in self.hidden)
                and not any(_inside(t, path) for t in self._temp))

    def _narrow(self, path: str) -> bool:
        """A directory too broad to show for a program's sake: `/`, a top-level one, the home itself."""
        return _depth(path) <= 1 or path == os.path.normpath(os.path.expanduser("~")) or not self._bindable(path)

    def _install_root(self, directory: str) -> str | None:
        """What to show for a program in `directory`: its install root, else the directory."""
        if os.path.basename(directory) in INSTALL_DIRS:
            parent = os.path.dirname(directory)
            if not self._narrow(parent):
                return parent
        if _system(directory) or not self._bindable(directory):
            return None
        return directory

    def _program_roots(self, path_var: str) -> tuple[str, ...]:
        cached = self._roots.get(path_var)
        if cached is None:
            cached = self._roots[path_var] = self._find_program_roots(path_var)
        return cached

    def _find_program_roots(self, path_var: str) -> tuple[str, ...]:
        roots: list[str] = []
        for entry in path_var.split(os.pathsep):
            if not entry or not os.path.isabs(entry) or not os.path.isdir(entry) or _system(entry):
                continue
            for directory in dict.fromkeys((os.path.normpath(entry), os.path.realpath(entry))):
                root = self._install_root(directory)
                if root:
                    roots.append(root)
            try:
                names = sorted(os.listdir(entry))[:MAX_LINKS_SCANNED]
            except OSError:
                continue
            for name in names:
                full = os.path.join(entry, name)
                if os.path.islink(full):
                    real = os.path.realpath(full)
                    if not _system(real) and not any(_inside(real, r) for r in roots):
                        root = self._install_root(os.path.dirname(real))
                        if root:
                            roots.append(root)
        return tuple(dict.fromkeys(roots))

    def _named_paths(self, words: Iterable[str], path_var: str) -> list[str]:
        """Absolute paths the command line names: a directory as is, a file with its directory
        (or alone, when that directory is too broad), and a script's `#!` interpreter."""
        out: list[str] = []
        for word in words:
            for text in dict.fromkeys((word, word.partition("=")[2])):
                text = os.path.expanduser(text) if text.startswith("~/") else text
                if not text.startswith("/") or "\0" in text:
                    continue
                for path in dict.fromkeys((os.path.normpath(text), os.path.realpath(text))):
                    out += self._show(path, path_var)
        return list(dict.fromkeys(out))

    def _show(self, path: str, path_var: str, depth: int = 0) -> list[str]:
        provided = any(_inside(path, p) for p in PROVIDED)
        if _system(path) or provided or not self._bindable(path) or not os.path.exists(path):
            return []
        if os.path.isdir(path):
            return [] if self._narrow(path) else [path]
        directory = os.path.dirname(path)
        root = self._install_root(directory) if os.access(path, os.X_OK) else None
        shown = [root or (path if self._narrow(directory) else directory)]
        interpreter = _shebang(path) if depth == 0 else None
        if interpreter:
            program = interpreter[0]
            if os.path.basename(program) == "env" and len(interpreter) > 1:
                program = shutil.which(interpreter[1], path=path_var) or ""
            if program.startswith("/"):
                shown += self._show(os.path.realpath(program), path_var, depth + 1)
        return shown

    def _program_problem(self, program: str, path_var: str, cwd: str) -> str | None:
        if "/" in program:
            found = program if os.path.isabs(program) else os.path.join(cwd, program)
            if not os.path.exists(found) or any(_inside(os.path.normpath(found), h) for h in self.hidden):
                return "missing"
            return None if os.access(found, os.X_OK) else "not-executable"
        return None if shutil.which(program, path=path_var) else "missing"

    def _pruned(self, mounts: Mapping[str, bool]) -> list[tuple[str, bool]]:
        """Binds without those a read-only bind above them (or the system) already shows."""
        out: list[tuple[str, bool]] = []
        for path in sorted(mounts, key=lambda p: (_depth(p), p)):
            writable = mounts[path]
            if not writable and (_system(path) or any(_inside(path, p) and not w for p, w in out)):
                continue
            out.append((path, writable))
        return out


def _package_dir() -> str:
    """skillgit's own code, shown read-only so that `python -m skillgit.agents` runs inside (an
    editable install lives outside the interpreter's prefix)."""
    return os.path.dirname(os.path.realpath(__file__))


@functools.cache
def _system_roots() -> tuple[str, ...]:
    found = [d for d in SYSTEM_DIRS if os.path.exists(d)]
    return tuple(dict.fromkeys(found + [os.path.realpath(d) for d in found]))


def _system(path: str) -> bool:
    return any(_inside(path, d) for d in _system_roots())


def _shebang(path: str) -> list[str] | None:
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        with open(path, "rb") as f:
            head = f.read(256)
    except OSError:
        return None
    if not head.startswith(b"#!"):
        return None
    words = head[2:].split(b"\n", 1)[0].decode("utf-8", "replace").split()
    return words or None


def for_workspace(ws: Workspace, *, commit: str | None = None) -> Sandbox:
    """The sandbox `skillgit.yaml` asks for (`cycle.sandbox`, `cycle.sandbox_binds`,
    `cycle.sandbox_repo_paths`); repository files come from `commit` (default: HEAD)."""
    cfg = ws.config.cycle
    binds = [Bind.parse(str(spec)) for spec in cfg.sandbox_binds]
    rev = commit or ws.repo.head()
    files = None
    if rev is not None:
        files = RepoFiles(ws.repo, rev, extra=[str(p) for p in cfg.sandbox_repo_paths],
                          skip=ws.scan_roots)
    return Sandbox(str(cfg.sandbox), hidden=ws.repo.repository_paths(), binds=binds, files=files, root=ws.repo.root)
