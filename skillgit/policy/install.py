"""`skillgit hooks install|uninstall`: the shims git runs, written where `git rev-parse --git-path hooks` says.

A shim is a small sh script marked `# skillgit-hook`. It runs a kept `<name>.local` hook first (an
existing hook is renamed, never overwritten; its failure fails the commit), then `skillgit hook
<name>`. In `.git/hooks` (this machine's own) it runs the Python that installed it, else the
`skillgit` on PATH. In a hooks folder inside the work tree (`core.hooksPath` naming a folder git can
track, shared by every clone) it names no interpreter path: the `skillgit` on PATH, else a `python3`
that imports skillgit, else a clear error.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from skillgit.git import Repo

HOOK_NAMES = ("pre-commit", "prepare-commit-msg", "commit-msg")
MARKER = "# skillgit-hook"
LOCAL_SUFFIX = ".local"


def shim_text(name: str, python: str | None = None) -> str:
    """The hook script: run a kept `<name>.local` hook first, then skillgit's checks for `name`.

    With `python` (what `hooks install` writes: the interpreter that installed skillgit) the shim
    runs `python -m skillgit.policy.hookmain` — `skillgit hook NAME` without the CLI's start-up
    cost — and falls back to the `skillgit` on PATH when that interpreter is gone, the way
    pre-commit's own hook scripts do. Without it (the files shipped in `hooks/`, and a hooks folder
    inside the work tree), `skillgit` on PATH, else a `python3` that has skillgit, else a message
    saying how to install it (exit 2).
    """
    head = f"""#!/bin/sh
{MARKER}: {name} (written by `skillgit hooks install`; `skillgit hooks uninstall` removes it)
hook_dir=$(dirname "$0")
if [ -x "$hook_dir/{name}{LOCAL_SUFFIX}" ]; then
    "$hook_dir/{name}{LOCAL_SUFFIX}" "$@" || exit $?
fi
"""
    if python:
        quoted = "'" + python.replace("'", "'\\''") + "'"
        return head + f"""python={quoted}
if [ -x "$python" ]; then
    exec "$python" -m skillgit.policy.hookmain {name} "$@"
fi
exec skillgit hook {name} "$@"
"""
    return head + f"""if command -v skillgit >/dev/null 2>&1; then
    exec skillgit hook {name} "$@"
fi
if python3 -c 'import skillgit' >/dev/null 2>&1; then
    exec python3 -m skillgit.policy.hookmain {name} "$@"
fi
echo "skillgit {name} hook: skillgit is not installed here; install it (pip install skillgit) or put its bin folder on PATH." >&2
exit 2
"""


def is_ours(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return MARKER.encode() in handle.read(512)
    except OSError:
        return False


@dataclass(frozen=True)
class HookFile:
    """One hook after install/uninstall: its path and what happened to it."""

    name: str
    path: Path
    action: str
    """installed | updated | chained (an existing hook kept as <name>.local) | removed | restored | kept | absent"""


def hooks_dir(repo: Repo) -> Path:
    return repo.git_path("hooks")


def in_work_tree(repo: Repo, where: Path) -> bool:
    """Whether the hooks folder lies in the work tree (where git can track it), not in the git directory."""
    folder, root, git_dir = where.resolve(), repo.root.resolve(), repo.git_dir.resolve()
    return folder.is_relative_to(root) and not folder.is_relative_to(git_dir)


def install(directory: Path | str = ".", python: str | None = None) -> list[HookFile]:
    """Write the shims where git looks for hooks (core.hooksPath honoured). Idempotent.

    An existing hook that is not ours is renamed `<name>.local` and run first by the shim. A hooks
    folder inside the work tree may be tracked, so its shims name no interpreter of this machine.
    """
    from skillgit.errors import UsageError

    repo = Repo.discover(directory)
    where = hooks_dir(repo)
    where.mkdir(parents=True, exist_ok=True)
    interpreter = None if in_work_tree(repo, where) else (python or sys.executable)
    done = []
    for name in HOOK_NAMES:
        path, local = where / name, where / f"{name}{LOCAL_SUFFIX}"
        action = "installed"
        if path.exists() or path.is_symlink():
            if is_ours(path):
                action = "updated"
            elif local.exists() or local.is_symlink():
                raise UsageError(
                    f"{path} and {local} both exist and neither is skillgit's; merge them into {local} "
                    "(it will run before skillgit's checks) and run `skillgit hooks install` again."
                )
            else:
                path.rename(local)
                action = "chained"
        tmp = path.with_name(f".{name}.skillgit-tmp")
        tmp.write_text(shim_text(name, interpreter), encoding="utf-8")
        tmp.chmod(0o755)
        tmp.replace(path)
        done.append(HookFile(name, path, action))
    return done


def uninstall(directory: Path | str = ".") -> list[HookFile]:
    """Remove our shims and put back any hook they had chained. Other hooks are left alone."""
    repo = Repo.discover(directory)
    where = hooks_dir(repo)
    done = []
    for name in HOOK_NAMES:
        path, local = where / name, where / f"{name}{LOCAL_SUFFIX}"
        if not (path.exists() or path.is_symlink()):
            done.append(HookFile(name, path, "absent"))
            continue
        if not is_ours(path):
            done.append(HookFile(name, path, "kept"))
            continue
        path.unlink()
        if local.exists() or local.is_symlink():
            local.rename(path)
            done.append(HookFile(name, path, "restored"))
        else:
            done.append(HookFile(name, path, "removed"))
    return done
