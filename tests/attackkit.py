"""Attacks as the agent would make them: shell scripts run as their own process, with the agent's
identity in the environment, the installed hooks, and the `skillgit` executable on PATH.

Each security test builds a managed repository (`hookkit.make_managed`), runs an `Attacker` script
in it, and then looks at what git and `skillgit verify` say, never at skillgit's internals.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import AGENT, MAINTAINER, git

BIN = Path(sys.executable).parent
SKILLGIT = BIN / "skillgit"


def identity_env(author: tuple[str, str], committer: tuple[str, str] | None = None) -> dict[str, str]:
    committer = committer or author
    return {
        "GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1],
        "GIT_COMMITTER_NAME": committer[0], "GIT_COMMITTER_EMAIL": committer[1],
    }


class Attacker:
    """Runs `sh -e` scripts in a repository as the agent (or any identity), from outside the repository."""

    def __init__(self, repo: Path, scripts: Path, author: tuple[str, str] = AGENT,
                 committer: tuple[str, str] | None = None) -> None:
        self.repo = repo
        self.scripts = scripts
        self.env = identity_env(author, committer)
        scripts.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def run(self, script: str, *, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run `script` (sh, `set -e`) in the repository; returns the finished process."""
        self.count += 1
        path = self.scripts / f"attack-{self.count}.sh"
        path.write_text("set -e\n" + script, encoding="utf-8")
        full = {**os.environ, **self.env, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **(env or {})}
        return subprocess.run(["sh", str(path)], cwd=self.repo, env=full, capture_output=True, text=True,
                              timeout=timeout, check=False)


def maintainer(repo: Path, scripts: Path) -> Attacker:
    """The same runner with the maintainer's identity (for the set-up a maintainer would make)."""
    return Attacker(repo, scripts, MAINTAINER)


def sg(repo: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """The installed `skillgit` executable, run in `repo` (as CI or a user would run it)."""
    return subprocess.run([str(SKILLGIT), "-C", str(repo), *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout, check=False)


def verify(repo: Path, *args: str) -> tuple[int, dict[str, object], str]:
    """`skillgit verify --format json ARGS`: (exit code, report, stderr)."""
    result = sg(repo, "verify", "--format", "json", *args)
    report = json.loads(result.stdout) if result.stdout.strip().startswith("{") else {}
    return result.returncode, report, result.stderr


def violations(report: dict[str, object]) -> list[tuple[str, str | None]]:
    """(rule, path) of each violation in a verify report."""
    found = report.get("violations", [])
    assert isinstance(found, list)
    return [(v["rule"], v["path"]) for v in found]


TRUE_VERSION = "$(git rev-parse HEAD:skills/{skill}/SKILL.md)..$(git rev-parse :skills/{skill}/SKILL.md)"


def commit_refine(skill: str = "social", *, flags: str = "", version: str | None = None, extra: str = "") -> str:
    """Shell lines that commit what is staged as a complete agent `refine` of `skill` (the Skill-Version
    computed by git unless given)."""
    stamp = version if version is not None else TRUE_VERSION.format(skill=skill)
    return f"""git commit -q {flags} -F - <<MSG
skillgit: refine {skill}

Skill-Event: refine
Skill-Name: {skill}
Skill-Trigger: 3 sessions posted to the wrong category
Skill-Version: {stamp}
Skill-Expected: win_rate >= 0.6 within 5 sessions; else split the procedure into a helper script
Skill-Eval-Summary: train 2 better 0 worse 1 tie{extra}
MSG
"""


def refine(line: str = "check the category id", *, flags: str = "", skill: str = "social", extra: str = "",
           version: str | None = None) -> str:
    """Shell lines that append `- line` to the skill and commit it as an agent `refine`."""
    return (f'echo "- {line}" >> skills/{skill}/SKILL.md\ngit add skills/{skill}/SKILL.md\n'
            + commit_refine(skill, flags=flags, version=version, extra=extra))


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()
