"""Repositories shaped like real skill collections, with a history from before skillgit.

Three layouts, each after a public collection: `flat` (`skills/<name>/`), `nested` (category folders,
`skills/.curated|.experimental|.system/<name>/`), `plugins` (a plugin marketplace,
`plugins/<plugin>/skills/<name>/`). Each skill has a SKILL.md and a helper script; the upstream
history has an import, an edit, a `git revert` of that edit and a change outside the skills, all
made before `skillgit init`, by an upstream author, with no trailers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from conftest import git

UPSTREAM = {"GIT_AUTHOR_NAME": "Upstream Dev", "GIT_AUTHOR_EMAIL": "dev@upstream.example",
            "GIT_COMMITTER_NAME": "Upstream Dev", "GIT_COMMITTER_EMAIL": "dev@upstream.example"}


@dataclass(frozen=True)
class Shape:
    """One layout: the roots `skillgit init` should find, and each skill's folder."""

    id: str
    roots: tuple[str, ...]
    dirs: dict[str, str]
    spare: str
    """A folder (in the layout's style) for a skill made later."""


SHAPES = (
    Shape("flat", ("skills",), {"alpha": "skills/alpha", "beta": "skills/beta", "gamma": "skills/gamma"}, "skills/delta"),
    Shape("nested", ("skills",), {"alpha": "skills/.curated/alpha", "beta": "skills/.experimental/beta",
                                  "gamma": "skills/.system/gamma"}, "skills/.curated/delta"),
    Shape("plugins", ("plugins/*/skills",), {"alpha": "plugins/docs/skills/alpha", "beta": "plugins/ops/skills/beta",
                                             "gamma": "plugins/ops/skills/gamma"}, "plugins/docs/skills/delta"),
)


def skill_text(name: str, description: str | None = None, body: str = "") -> str:
    return (f"---\nname: {name}\ndescription: {description or f'Use when the task needs {name}.'}\n---\n\n"
            f"# {name}\n\n## Procedure\n\n1. Read the task.\n2. Do the {name} steps.\n{body}")


def upstream_commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", message, env=UPSTREAM)


def build(repo: Path, shape: Shape) -> Path:
    """The layout's skills with an upstream history (import, edit, revert of the edit, a README change)."""
    for name, folder in shape.dirs.items():
        (repo / folder / "scripts").mkdir(parents=True)
        (repo / folder / "SKILL.md").write_text(skill_text(name))
        (repo / folder / "scripts" / "run.sh").write_text(f"#!/bin/sh\necho {name}\n")
    if shape.id == "plugins":
        for plugin in ("docs", "ops"):
            (repo / "plugins" / plugin / "agents").mkdir(parents=True, exist_ok=True)
            (repo / "plugins" / plugin / "agents" / "helper.md").write_text(f"# {plugin} agent\n")
    if shape.id == "nested":
        (repo / "skills" / ".curated" / "README.md").write_text("Curated skills.\n")
    (repo / "README.md").write_text("# Skills\n")
    upstream_commit(repo, "Import skills")
    alpha = repo / shape.dirs["alpha"] / "SKILL.md"
    alpha.write_text(alpha.read_text() + "3. Check the result.\n")
    upstream_commit(repo, "alpha: add a check step")
    git(repo, "revert", "--no-edit", "HEAD", env=UPSTREAM)
    (repo / "README.md").write_text("# Skills\n\nA collection.\n")
    upstream_commit(repo, "Describe the collection")
    return repo


def skillgit(repo: Path, *args: str, env: dict[str, str] | None = None, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """The real `skillgit` entry point, run in `repo`."""
    return subprocess.run([sys.executable, "-m", "skillgit", "-C", str(repo), *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, input=input, check=False)


def commit(repo: Path, message: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """A real `git commit -F -` (through the installed hooks)."""
    return subprocess.run(["git", "-C", str(repo), "commit", "-q", "-F", "-", *args], input=message, capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, check=False)


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def github_squash(repo: Path, branch: str, title: str) -> None:
    """Land `branch` on the current branch as GitHub's "Squash and merge" does: one commit made without
    hooks, whose body lists each commit of the pull request (`* subject`, then its body and trailers)."""
    base = git(repo, "merge-base", "HEAD", branch).strip()
    items = []
    for sha in git(repo, "rev-list", "--reverse", f"{base}..{branch}").split():
        message = git(repo, "log", "-1", "--format=%B", sha).strip()
        items.append("* " + message)
    tree = git(repo, "rev-parse", f"{branch}^{{tree}}").strip()
    body = "\n\n".join(items)
    env = {**UPSTREAM, "GIT_AUTHOR_NAME": "Maintainer", "GIT_AUTHOR_EMAIL": "maintainer@example.com",
           "GIT_COMMITTER_NAME": "GitHub", "GIT_COMMITTER_EMAIL": "noreply@github.com"}
    made = git(repo, "commit-tree", tree, "-p", "HEAD", input=f"{title}\n\n{body}\n", env=env).strip()
    git(repo, "update-ref", "HEAD", made)
    git(repo, "reset", "-q", "--hard", "HEAD")
