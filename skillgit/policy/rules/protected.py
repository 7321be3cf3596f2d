"""What an agent commit may not change (SG003) besides skills: the files that judge and govern it.

Always protected, whatever `policy.protected_paths` says: `skillgit.yaml`, the usual git-hook folders,
CI configuration, and the files of the configured eval runner and judge commands (the script a
command runs and the folder it lies in, or the package of `python -m pkg.mod`). The trace and
learning sources named in the config are evidence: an agent commit may add files there and append
to them, never change or remove what is already written.
"""

from __future__ import annotations

import fnmatch
import functools
import posixpath
import shlex
from collections.abc import Iterable
from typing import TYPE_CHECKING

from skillgit.config import CONFIG_FILE
from skillgit.policy.model import Change, FileChange

if TYPE_CHECKING:
    from skillgit.config import Config
    from skillgit.model.layout import Layout

BUILT_IN: tuple[tuple[str, str], ...] = (
    (CONFIG_FILE, "skillgit's configuration"),
    ("hooks/", "git hooks"), (".githooks/", "git hooks"), (".husky/", "git hooks"), (".git-hooks/", "git hooks"),
    (".github/", "CI configuration"), (".gitlab-ci.yml", "CI configuration"), (".gitlab/", "CI configuration"),
    (".circleci/", "CI configuration"), ("azure-pipelines.yml", "CI configuration"),
    (".azure-pipelines/", "CI configuration"), ("Jenkinsfile", "CI configuration"), (".buildkite/", "CI configuration"),
    (".travis.yml", "CI configuration"), ("bitbucket-pipelines.yml", "CI configuration"),
    (".drone.yml", "CI configuration"), (".woodpecker.yml", "CI configuration"), (".woodpecker/", "CI configuration"),
    (".ci/", "CI configuration"), (".pre-commit-config.yaml", "git hooks"), (".pre-commit-hooks.yaml", "git hooks"),
)
"""(path, what it is): a path ending in `/` covers everything below it."""

SYMLINK = "120000"


READS = ("paths.skills", "paths.attic", "eval.runner", "eval.judge", "paths.learnings", "traces.sources")
"""The settings of other features SG003 derives what it protects from (`NoSelfEdit.reads`): `inputs` is
the one place the rule reads them."""


def inputs(config: Config) -> tuple[Layout, tuple[str, str], tuple[tuple[str, str], ...]]:
    """What SG003 derives from the settings in `READS`: the skill roots and the attic (a command's folder
    inside a skill is not protected whole), the eval runner's and judge's command lines, and the
    evidence sources inside the repository ((pattern, config key), see `evidence_sources`)."""
    commands = (config.eval.runner or "", config.eval.judge or "")
    return config.layout, commands, _evidence(config.paths.learnings, tuple(s.path for s in config.traces.sources))


@functools.lru_cache(maxsize=64)
def command_files(command: str, layout: Layout | None = None) -> tuple[str, ...]:
    """The repository paths a command line names (`python3 tools/run.py --x=cfg.json` → the script,
    its folder `tools/`, `cfg.json`); `-m pkg.mod` names `pkg/`. Absolute paths and paths that leave
    the repository are not ours; a folder at or under a skill root is not taken whole."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    out: list[str] = []
    module_next = False
    for word in words:
        if module_next:
            module_next = False
            top = word.split(".", 1)[0]
            if top and not _in_skill_root(top, layout):
                out.append(top + "/")
            continue
        if word == "-m":
            module_next = True
            continue
        if any(ch.isspace() for ch in word):
            out.extend(command_files(word, layout))  # `sh -c '…'`
            continue
        part = word.split("=", 1)[1] if word.startswith("-") and "=" in word else word
        if not part or part.startswith(("-", "/", "~", "$")):
            continue
        path = posixpath.normpath(part)
        if path in (".", "..") or path.startswith("../"):
            continue
        out.append(path)
        folder = posixpath.dirname(path)
        if folder and not _in_skill_root(folder, layout):
            out.append(folder + "/")
    return tuple(dict.fromkeys(out))


def _in_skill_root(folder: str, layout: Layout | None) -> bool:
    """`folder` is a skill root, the attic, or lies under one of them."""
    return layout is not None and bool(layout.roots_of(f"{folder}/-"))


def protected_reason(path: str, config: Config) -> str | None:
    """Why `path` is always protected from agent commits (None: it is not)."""
    layout, commands, _sources = inputs(config)
    exact, folders, starts = _table(commands, layout)
    found = exact.get(path)
    if found is not None or not path.startswith(starts):
        return found
    return next((what for folder, what in folders if path.startswith(folder)), None)


@functools.lru_cache(maxsize=16)
def _table(commands: tuple[str, ...], layout: Layout) -> tuple[dict[str, str], tuple[tuple[str, str], ...], tuple[str, ...]]:
    """The protected paths as ({exact path: why}, ((folder/, why), …), the folders for one `startswith`)."""
    exact: dict[str, str] = {}
    folders: list[tuple[str, str]] = []
    named = [(pattern, f"`{pattern}`, {what}") for pattern, what in BUILT_IN]
    for key, command in zip(("runner", "judge"), commands):
        if command.strip():
            named += [(p, f"`{p}`, a file of the eval {key} (eval.{key})") for p in command_files(command, layout)]
    for pattern, why in named:
        if pattern.endswith("/"):
            folders.append((pattern, why))
        else:
            exact.setdefault(pattern, why)
    return exact, tuple(folders), tuple(f for f, _ in folders)


@functools.lru_cache(maxsize=16)
def _evidence(learnings: str, sources: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    found = [(learnings, "paths.learnings")] + [(p, f"traces.sources[{i}].path") for i, p in enumerate(sources)]
    out = []
    for pattern, key in found:
        if not pattern or pattern.startswith(("/", "~", "$")):
            continue
        clean = posixpath.normpath(pattern)
        if clean in (".", "..") or clean.startswith("../"):
            continue
        out.append((clean, key))
    return tuple(out)


def evidence_sources(config: Config) -> tuple[tuple[str, str], ...]:
    """(pattern, config key) of the trace and learning sources inside the repository."""
    return inputs(config)[2]


def evidence_key(path: str, sources: Iterable[tuple[str, str]]) -> str | None:
    """The config key of the evidence source `path` belongs to, if any."""
    for pattern, key in sources:
        if path == pattern or path.startswith(pattern + "/") or fnmatch.fnmatchcase(path, pattern):
            return key
    return None


def evidence_problem(change: Change, f: FileChange) -> str | None:
    """What an agent commit does to an evidence file beyond appending (None: it adds or appends)."""
    if f.new_mode == SYMLINK:
        return "makes it a symlink"
    if f.new_oid is None:
        return "removes it"
    if f.old_oid is None:
        return None
    old, new = change.read_blob(f.old_oid), change.read_blob(f.new_oid)
    if new.startswith(old):
        return None
    return "changes or removes what was already written"
