"""Helpers the rules share: where skills live in a change, the event it records, parsed skill files."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from skillgit import trailers as T
from skillgit.model.skill import SKILL_FILE, Skill, SkillParseError, parse_skill
from skillgit.policy.model import Change

if TYPE_CHECKING:
    from skillgit.config import Config
    from skillgit.events import Event
    from skillgit.model.layout import SkillPlace

ACTIVE = "active"
ATTIC = "attic"


def root_of(config: Config, location: str) -> str:
    """The folder new skills go to (`active`), or the attic."""
    layout = config.layout
    return layout.primary if location == ACTIVE else layout.attic


def skill_dir(config: Config, name: str, location: str, change: Change | None = None) -> str:
    """The folder of skill `name` in `location`: where the change has it (before or after), else where the
    tree after it has it, else where a new one would go."""
    layout = config.layout
    if change is None:
        return layout.new_dir(name, location)
    memo = change.__dict__.get("_dirs")
    if memo is None or memo[0] is not layout:
        memo = change.__dict__["_dirs"] = (layout, {})
    dirs: dict[tuple[str, str], str] = memo[1]
    found = dirs.get((name, location))
    if found is None:
        found = dirs[(name, location)] = _find_dir(change, config, name, location)
    return found


def _find_dir(change: Change, config: Config, name: str, location: str) -> str:
    layout = config.layout
    found = touched_places(change, config).get(name, {}).get(location)
    if found is None and change.tree_files is not None:
        plain = layout.new_dir(name, location)
        if layout.flat and change.tree_files(f"{plain}/{SKILL_FILE}"):
            return plain
        found = _listed_dirs(change, config).get((name, location))
    return found if found is not None else layout.new_dir(name, location)


def skill_file(config: Config, name: str, location: str, change: Change | None = None) -> str:
    return f"{skill_dir(config, name, location, change)}/{SKILL_FILE}"


def skill_of(path: str, config: Config, change: Change | None = None) -> tuple[str, str] | None:
    """(name, location) when `path` lies inside a skill directory of a skill root or the attic (with
    `change`, its trees say which folders are skills)."""
    found = place_of(path, config, change)
    return (found.name, found.location) if found is not None else None


def place_of(path: str, config: Config, change: Change | None = None) -> SkillPlace | None:
    """The skill `path` lies in (None: in none); with `change`, as its trees say (kept per change)."""
    layout = config.layout
    if change is None:
        return layout.place(path)
    memo = change.__dict__.get("_places")
    if memo is None or memo[0] is not layout:
        memo = change.__dict__["_places"] = (layout, {})
    places: dict[str, SkillPlace | None] = memo[1]
    if path in places:
        return places[path]
    found = places[path] = layout.place(path, _has_skill(change))
    return found


def _has_skill(change: Change) -> Callable[[str], bool]:
    """`folder` → a SKILL.md is there before or after the change."""
    found = change.__dict__.get("_has_skill")
    if found is not None:
        return found  # type: ignore[no-any-return]
    touched = {f.path for f in change.files if f.path.endswith("/" + SKILL_FILE)}
    known: dict[str, bool] = {}
    tree_files = change.tree_files  # (not `change`: kept on the change, the function would make a cycle of it)

    def has_skill(folder: str) -> bool:
        hit = known.get(folder)
        if hit is None:
            path = f"{folder}/{SKILL_FILE}"
            hit = path in touched or (tree_files is not None and bool(tree_files(path)))
            known[folder] = hit
        return hit

    change.__dict__["_has_skill"] = has_skill
    return has_skill


def touched_places(change: Change, config: Config) -> dict[str, dict[str, str]]:
    """Skill name → {location: folder} of every skill whose files the change touches, in path order."""
    layout = config.layout
    memo = change.__dict__.get("_touched")
    if memo is not None and memo[0] is layout:
        return memo[1]  # type: ignore[no-any-return]
    out: dict[str, dict[str, str]] = {}
    for f in change.files:
        found = place_of(f.path, config, change)
        if found is not None:
            out.setdefault(found.name, {}).setdefault(found.location, found.dir)
    change.__dict__["_touched"] = (layout, out)
    return out


def touched_skills(change: Change, config: Config) -> dict[str, set[str]]:
    """Skill name → the locations (`active`, `attic`) where the change touches its files, in path order."""
    return {name: set(where) for name, where in touched_places(change, config).items()}


def _listed_dirs(change: Change, config: Config) -> dict[tuple[str, str], str]:
    """(name, location) → folder of every skill in the tree after the change (listed once per change)."""
    memo = change.__dict__.get("_listed")
    if memo is not None:
        return memo  # type: ignore[no-any-return]
    assert change.tree_files is not None
    kept = getattr(change.tree_files, "skill_places", None)  # a walk's view keeps them (`SkillFolders`)
    found = kept(config.layout) if kept is not None else None
    if found is not None:
        change.__dict__["_listed"] = found
        return found  # type: ignore[no-any-return]
    files: list[str] = []
    for root in config.layout.scan_roots:
        files.extend(change.tree_files(root))
    out: dict[tuple[str, str], str] = {}
    for place in config.layout.skill_files(files).values():
        out.setdefault((place.name, place.location), place.dir)
    change.__dict__["_listed"] = out
    return out


def event_kind(change: Change) -> str | None:
    """The `Skill-Event` of the change; a plain `git revert` without trailers counts as `rollback`."""
    kind = change.message.trailers.get(T.EVENT) if change.message else None
    if kind is None and change.revert_of:
        return "rollback"
    return kind


def event_skill(change: Change) -> str | None:
    return change.message.trailers.get(T.NAME) if change.message else None


def event_skills(change: Change) -> list[str]:
    """Every skill the event names: its `Skill-Name`s, and the old name of a rename."""
    if change.message is None:
        return []
    names = change.message.trailers.get_all(T.NAME)
    old = change.message.trailers.get(T.RENAMED_FROM) if event_kind(change) == "rename" else None
    return names + ([old] if old and old not in names else [])


def load_skill(raw: bytes, path: str) -> Skill | SkillParseError:
    """The parsed skill, or the parse error (rules report it instead of raising).

    Recently parsed files are kept (up to `_CACHE_MAX_BYTES` of them, each at most
    `_CACHE_MAX_FILE` bytes), so the rules of one change, and a `verify` run, parse each version
    once: the version a refine starts from was parsed when it was written.
    """
    if len(raw) > _CACHE_MAX_FILE:
        return _load(raw, path)
    key = (raw, path)
    found = _PARSED.pop(key, None)
    if found is None:
        found = _load(raw, path)
        _cached_bytes[0] += len(raw)
        while _cached_bytes[0] > _CACHE_MAX_BYTES and _PARSED:
            oldest = next(iter(_PARSED))
            del _PARSED[oldest]
            _cached_bytes[0] -= len(oldest[0])
    _PARSED[key] = found  # most recently used last
    return found


_CACHE_MAX_FILE = 256 * 1024
_CACHE_MAX_BYTES = 32 * 1024 * 1024
_PARSED: dict[tuple[bytes, str], Skill | SkillParseError] = {}
_cached_bytes = [0]


def _load(raw: bytes, path: str) -> Skill | SkillParseError:
    try:
        return parse_skill(raw, path)
    except SkillParseError as exc:
        return exc


def is_agent_event(event: Event, config: Config) -> bool:
    """An event the agent made: a cycle event, or its author or committer matches `agent.identities`."""
    return event.is_cycle or config.agent.is_agent(event.author_email, event.committer_email)


def tree_note(change: Change) -> str:
    """Why a lookup may have come back empty (for messages)."""
    return " (the change carries no tree lookup)" if change.tree_files is None else ""


def skill_blob(change: Change, config: Config, name: str, location: str, *, after: bool) -> str | None:
    """The blob id of skill `name`'s SKILL.md in `location` before or after the change (None: absent).

    Before a merge means in its first parent (what the branch had), not in the re-merge."""
    path = skill_file(config, name, location, change)
    if not (change.merge and not after):
        for f in change.files:
            if f.path == path:
                return f.new_oid if after else f.old_oid
    if change.merge and not after:
        if change.files_at is None or change.parent is None:
            return None
        return change.files_at(change.parent, path).get(path)
    if change.tree_files is None:
        return None
    return change.tree_files(path).get(path)  # untouched: the same before and after


def skill_version(change: Change, config: Config, name: str, before_name: str | None = None) -> tuple[str | None, str | None]:
    """(before, after) SKILL.md blob ids of skill `name` (before the change: `before_name`, for a rename)
    as `Skill-Version` records them: the active copy, else the retired one, else None (written `0000000`)."""

    def side(after: bool) -> str | None:
        for location in (ACTIVE, ATTIC):
            oid = skill_blob(change, config, name if after or not before_name else before_name, location, after=after)
            if oid:
                return oid
        return None

    return side(False), side(True)
