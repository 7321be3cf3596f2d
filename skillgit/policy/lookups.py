"""Builders' helpers for the optional lookups of a `Change` (`tree_files`, `skills_changed_since`).

Both are lazy and cached: a rule that never asks costs nothing, so hooks stay fast.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from skillgit.model.skill import SKILL_FILE

if TYPE_CHECKING:
    from skillgit.git import Repo
    from skillgit.model.layout import Layout, SkillPlace


def tree_lookup(repo: Repo, rev: str) -> Callable[[str], Mapping[str, str]]:
    """`Change.tree_files` for the tree (or commit) `rev`: `prefix` → `{path: blob id}`."""
    cache: dict[str, Mapping[str, str]] = {}

    def files(prefix: str) -> Mapping[str, str]:
        prefix = prefix.strip("/")
        if prefix not in cache:
            cache[prefix] = {path: oid for path, (_mode, oid) in repo.tree_files(rev, prefix).items()}
        return cache[prefix]

    return files


def files_at_lookup(repo: Repo) -> Callable[[str, str], Mapping[str, str]]:
    """`Change.files_at`: `(rev, prefix)` → `{path: blob id}` of the files at or under `prefix` in `rev`."""
    lookups: dict[str, Callable[[str], Mapping[str, str]]] = {}

    def files_at(rev: str, prefix: str) -> Mapping[str, str]:
        if rev not in lookups:
            lookups[rev] = tree_lookup(repo, rev)
        return lookups[rev](prefix)

    return files_at


def skills_changed_lookup(repo: Repo, parent: str | None, layout: Layout) -> Callable[[str | None], frozenset[str]]:
    """`Change.skills_changed_since` for a change on top of `parent`, with the skill roots of `layout`.

    `base` → the names of the skills (folders under the roots, see `Layout.place`) touched by
    `git log base..parent` (every commit reachable from `parent` when `base` is None). Only what the
    agent reads counts: a change under a skill's `evals/` (new eval cases, a sealed holdout) leaves
    the skill unchanged here (SG009).
    """
    cache: dict[str | None, frozenset[str]] = {}

    def since(base: str | None) -> frozenset[str]:
        if parent is None:
            return frozenset()
        if base not in cache:
            span = f"{base}..{parent}" if base else parent
            paths = repo.changed_path_names(span, layout.scan_roots)
            cache[base] = frozenset(place.name for path, place in places(repo, layout, paths, parent).items()
                                    if agent_reads(path, place))
        return cache[base]

    return since


def places(repo: Repo, layout: Layout, paths: Sequence[str], rev: str | None) -> dict[str, SkillPlace]:
    """path → the skill it lies in, for paths of the history of `rev`: folders with a SKILL.md among
    `paths` or in the tree of `rev` are skills (a flat layout needs no tree)."""
    folders = {p[: -len(SKILL_FILE) - 1] for p in paths if p.endswith("/" + SKILL_FILE)}
    if rev is not None:
        listed = repo.tree_entries(rev, layout.scan_roots, check=True)
        folders.update(e.path[: -len(SKILL_FILE) - 1] for e in listed if e.path.endswith("/" + SKILL_FILE))
    return {p: found for p in paths if (found := layout.place(p, folders.__contains__)) is not None}


def agent_reads(path: str, place: SkillPlace) -> bool:
    """Whether `path`, inside the skill folder of `place`, is part of what an agent is given: every
    file of the folder except its `evals/` (runners get the skill without it)."""
    return not path.startswith(place.dir + "/evals/")
