"""Whether a hook runs for `git commit --amend`: git does not say, so the committing process is asked.

`SKILLGIT_AMEND=1|0` overrides the detection; else the arguments of the nearest `git … commit`
process among the hook's ancestors (Linux /proc, else `ps`).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def amending() -> bool:
    """True when the hook runs for `git commit --amend`.

    git tells hooks nothing about --amend, so: `SKILLGIT_AMEND=1|0` if set; else the arguments of
    the nearest `git … commit` process among our ancestors (Linux /proc, else `ps`).
    """
    override = os.environ.get("SKILLGIT_AMEND")
    if override in ("0", "1"):
        return override == "1"
    pid = os.getppid()
    for _ in range(8):
        if pid <= 1:
            return False
        argv, parent = _process(pid)
        if argv and _is_git_commit(argv):
            return any(len(a) >= 4 and "--amend".startswith(a) for a in argv)
        pid = parent
    return False


def git_command() -> str | None:
    """The subcommand (`commit`, `revert`, `cherry-pick`…) of the nearest `git` process among the hook's
    ancestors; None when there is none or it cannot be read."""
    pid = os.getppid()
    for _ in range(8):
        if pid <= 1:
            return None
        argv, parent = _process(pid)
        found = _subcommand(argv)
        if found is not None:
            return found
        pid = parent
    return None


def _is_git_commit(argv: list[str]) -> bool:
    return _subcommand(argv) == "commit"


def _subcommand(argv: list[str]) -> str | None:
    if not argv or Path(argv[0]).name not in ("git", "git.exe"):
        return None
    rest = argv[1:]
    while rest and rest[0].startswith("-"):
        takes_value = rest[0] in ("-C", "-c", "--git-dir", "--work-tree", "--namespace")
        rest = rest[2:] if takes_value else rest[1:]
    return rest[0] if rest else None


def _process(pid: int) -> tuple[list[str], int]:
    proc = Path(f"/proc/{pid}")
    if proc.is_dir():
        try:
            argv = proc.joinpath("cmdline").read_bytes().decode("utf-8", "replace").split("\0")
            stat = proc.joinpath("stat").read_text()
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            return [a for a in argv if a != ""], parent
        except (OSError, ValueError, IndexError):
            return [], 0
    try:
        out = subprocess.run(["ps", "-o", "ppid=,args=", "-p", str(pid)], capture_output=True, text=True, check=False).stdout.strip()
        ppid, _, args = out.partition(" ")
        return args.split(), int(ppid)
    except (OSError, ValueError):
        return [], 0
