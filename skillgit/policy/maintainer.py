"""A maintainer's commit of skills: the event trailers the hooks (and `verify`, for a GitHub squash) give it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from skillgit import trailers as T

if TYPE_CHECKING:
    from skillgit.policy.model import Change
    from skillgit.workspace import Workspace


def skills_in(ws: Workspace, change: Change) -> set[str]:
    """The skills whose files the change touches."""
    from skillgit.policy.rules.common import touched_skills

    return set(touched_skills(change, ws.config))


def skill_version_of(ws: Workspace, change: Change, name: str, before_name: str | None = None) -> str:
    """`<before>..<after>` SKILL.md blob ids of skill `name` (active location first, then the attic)."""
    from skillgit.events import version_value
    from skillgit.policy.rules.common import skill_version

    return version_value(*skill_version(change, ws.config, name, before_name))


def maintainer_trailers(ws: Workspace, change: Change) -> list[tuple[str, str]]:
    """A maintainer's commit of skills: a `rename` when it moves one skill's folder to a new name (`git mv`),
    else one `manual` event naming every skill it changes."""
    from skillgit.model.skill import name_is_safe

    names = sorted(skills_in(ws, change))
    if not names or not all(name_is_safe(n) for n in names):
        return []
    renamed = _renamed(ws, change, names)
    if renamed is not None:
        old, new = renamed
        return [(T.EVENT, "rename"), (T.NAME, new), (T.RENAMED_FROM, old), (T.VERSION, skill_version_of(ws, change, new, old))]
    pairs: list[tuple[str, str]] = [(T.EVENT, "manual")]
    pairs += [(T.NAME, n) for n in names]
    pairs += [(T.VERSION, skill_version_of(ws, change, n)) for n in names]
    return pairs


def _renamed(ws: Workspace, change: Change, names: list[str]) -> tuple[str, str] | None:
    """(old, new) when the change moves one skill's whole folder to a folder of a new name, the files other
    than SKILL.md unchanged (what `git mv skills/old skills/new` stages)."""
    from skillgit.policy.rules.common import ACTIVE, touched_places

    if len(names) != 2:
        return None
    places = touched_places(change, ws.config)
    dirs = {n: places[n].get(ACTIVE) for n in names}
    for old, new in (names, names[::-1]):
        src, dst = dirs[old], dirs[new]
        if src is None or dst is None:
            continue
        before = {f.path[len(src) + 1:]: f.old_oid for f in change.files if f.path.startswith(src + "/")}
        after = {f.path[len(dst) + 1:]: f.new_oid for f in change.files if f.path.startswith(dst + "/")}
        gone = all(f.new_oid is None for f in change.files if f.path.startswith(src + "/"))
        new_here = all(f.old_oid is None for f in change.files if f.path.startswith(dst + "/"))
        if gone and new_here and "SKILL.md" in before and before.keys() == after.keys() and all(
                before[k] == after[k] for k in before if k != "SKILL.md"):
            if change.tree_files is None or not {p for p in change.tree_files(src)}:
                return old, new
    return None
