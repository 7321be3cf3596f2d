"""Builders' helpers for the optional lookups of a `Change` (`tree_files`, `skills_changed_since`).

Both are lazy and cached: a rule that never asks costs nothing, so hooks stay fast.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from skillgit.git import Repo


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


def skills_changed_lookup(repo: Repo, parent: str | None, roots: Sequence[str]) -> Callable[[str | None], frozenset[str]]:
    """`Change.skills_changed_since` for a change on top of `parent`, with skill roots `roots`.

    `base` → the skill names under any of `roots` touched by `git log base..parent` (every commit
    reachable from `parent` when `base` is None).
    """
    clean = tuple(r.strip("/") for r in roots)
    cache: dict[str | None, frozenset[str]] = {}

    def since(base: str | None) -> frozenset[str]:
        if parent is None:
            return frozenset()
        if base not in cache:
            span = f"{base}..{parent}" if base else parent
            out = repo.run("log", "--format=", "--name-only", "--no-renames", "-z", span, "--", *clean)
            names = set()
            for path in out.replace("\n", "\0").split("\0"):
                for root in clean:
                    rest = path[len(root) + 1 :] if path.startswith(root + "/") else ""
                    if "/" in rest:
                        names.add(rest.split("/", 1)[0])
            cache[base] = frozenset(names)
        return cache[base]

    return since
