"""Running the git CLI: the one place that starts git, builds its environment and turns failures into GitError."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from skillgit.errors import GitError

GIT_MISSING = "git is not installed or not on PATH; install git ≥ 2.39."
"""What every git process that cannot start says (2.39: `git merge-tree --write-tree --stdin`)."""


def git_env(extra: dict[str, str] | None, unset: Sequence[str] = ()) -> dict[str, str]:
    """The environment git runs in: ours, LC_ALL=C unless set, plus `extra`, without the names in `unset`."""
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.setdefault("LC_ALL", "C")
    if extra:
        env.update(extra)
    return env


def run_git(
    cwd: Path,
    *args: str,
    input: str | bytes | None = None,
    env: dict[str, str] | None = None,
    check: bool = True,
    unset: Sequence[str] = (),
) -> subprocess.CompletedProcess[str]:
    """`git ARGS` in `cwd`, its output as text (undecodable bytes kept as surrogates)."""
    try:
        result = subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=input.decode("utf-8", "surrogateescape") if isinstance(input, bytes) else input,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="surrogateescape",
            env=git_env(env, unset),
        )
    except FileNotFoundError:
        raise GitError(GIT_MISSING) from None
    if check and result.returncode != 0:
        raise GitError(f"git {' '.join(args[:3])} failed: {result.stderr.strip()}")
    return result


def run_git_bytes(
    cwd: Path, *args: str, input: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """`git ARGS` in `cwd`, its output as bytes; the caller reads the exit code."""
    try:
        return subprocess.run(["git", *args], cwd=cwd, input=input, capture_output=True, env=git_env(env), check=False)
    except FileNotFoundError:
        raise GitError(GIT_MISSING) from None


def spawn_git(
    cwd: Path, *args: str, stdin: int | IO[bytes] | None = subprocess.DEVNULL, stderr: int | None = subprocess.PIPE,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """A running `git ARGS` in `cwd` whose stdout the caller reads (bytes); stdin closed unless asked for."""
    try:
        return subprocess.Popen(["git", *args], cwd=cwd, stdin=stdin, stdout=subprocess.PIPE, stderr=stderr,
                                env=git_env(env))
    except FileNotFoundError:
        raise GitError(GIT_MISSING) from None
