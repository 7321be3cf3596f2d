"""Running the git CLI: one place that builds the environment and turns failures into GitError."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from skillgit.errors import GitError


def git_env(extra: dict[str, str] | None) -> dict[str, str]:
    env = dict(os.environ)
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
            env=git_env(env),
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH; install git ≥ 2.30.") from None
    if check and result.returncode != 0:
        raise GitError(f"git {' '.join(args[:3])} failed: {result.stderr.strip()}")
    return result
