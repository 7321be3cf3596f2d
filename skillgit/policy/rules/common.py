"""Helpers the rules share: where skills live in a change, the event it records, parsed skill files."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from skillgit import trailers as T
from skillgit.model.skill import SKILL_FILE, Skill, SkillParseError, parse_skill
from skillgit.policy.model import Change

if TYPE_CHECKING:
    from skillgit.config import Config
    from skillgit.events import Event

ACTIVE = "active"
ATTIC = "attic"


def root_of(config: Config, location: str) -> str:
    return str(config.paths.skills if location == ACTIVE else config.paths.attic).strip("/")


def skill_dir(config: Config, name: str, location: str) -> str:
    return f"{root_of(config, location)}/{name}"


def skill_file(config: Config, name: str, location: str) -> str:
    return f"{skill_dir(config, name, location)}/{SKILL_FILE}"


def skill_of(path: str, config: Config) -> tuple[str, str] | None:
    """(name, location) when `path` lies inside a skill directory of the active root or the attic."""
    for location, inside in _insides(str(config.paths.skills), str(config.paths.attic)):
        if path.startswith(inside):
            rest = path[len(inside) :]
            if "/" in rest:
                return rest.split("/", 1)[0], location
    return None


@functools.lru_cache(maxsize=16)
def _insides(skills: str, attic: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """(location, `root/`) for the active root and the attic, in that order."""
    return (ACTIVE, skills.strip("/") + "/"), (ATTIC, attic.strip("/") + "/")


def touched_skills(change: Change, config: Config) -> dict[str, set[str]]:
    """Skill name → the locations (`active`, `attic`) where the change touches its files, in path order."""
    out: dict[str, set[str]] = {}
    for f in change.files:
        hit = skill_of(f.path, config)
        if hit:
            out.setdefault(hit[0], set()).add(hit[1])
    return out


def event_kind(change: Change) -> str | None:
    """The `Skill-Event` of the change; a plain `git revert` without trailers counts as `rollback`."""
    kind = change.message.trailers.get(T.EVENT) if change.message else None
    if kind is None and change.revert_of:
        return "rollback"
    return kind


def event_skill(change: Change) -> str | None:
    return change.message.trailers.get(T.NAME) if change.message else None


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


def is_agent_email(email: str, config: Config) -> bool:
    from skillgit.config import identity_matches

    return bool(email) and identity_matches(email, config.agent.identities)


def is_agent_event(event: Event, config: Config) -> bool:
    """An event the agent made: a cycle event, or its author or committer matches `agent.identities`."""
    return event.is_cycle or is_agent_email(event.author_email, config) or is_agent_email(event.committer_email, config)


def tree_note(change: Change) -> str:
    """Why a lookup may have come back empty (for messages)."""
    return " (the change carries no tree lookup)" if change.tree_files is None else ""


def skill_blob(change: Change, config: Config, name: str, location: str, *, after: bool) -> str | None:
    """The blob id of skill `name`'s SKILL.md in `location` before or after the change (None: absent).

    Before a merge means in its first parent (what the branch had), not in the re-merge."""
    path = skill_file(config, name, location)
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


def skill_version(change: Change, config: Config, name: str) -> tuple[str | None, str | None]:
    """(before, after) SKILL.md blob ids of skill `name` as `Skill-Version` records them: the active
    copy, else the retired one, else None (written `0000000`)."""

    def side(after: bool) -> str | None:
        for location in (ACTIVE, ATTIC):
            oid = skill_blob(change, config, name, location, after=after)
            if oid:
                return oid
        return None

    return side(False), side(True)
