"""Where skills live: the skill roots of `paths.skills` (folders or globs), nested category folders, the attic.

A skill is a folder holding a `SKILL.md` below a skill root; its name is the folder's name. Between
the root and the skill there may be category folders (`skills/.curated/<name>/`), and `paths.skills`
may name several roots, with `*` standing for one folder name (`plugins/*/skills`). When roots
overlap (`skills` and `skills/.curated`), the deepest one that holds a path decides.

What lies in which skill is decided from paths alone where they say enough (a `SKILL.md` path names
its skill; `skills/<name>/x` in a flat root is in `<name>`), and from the tree otherwise: callers
pass `has_skill(folder)`, which says whether `folder/SKILL.md` exists (in the tree before or after
a change, say). The shallowest folder with a `SKILL.md` is the skill; a `SKILL.md` deeper inside it
is one of its files. A path under a root in no skill folder is either in a folder with a valid
skill name (a skill that has lost its SKILL.md: it belongs to that skill) or in a category.
"""

from __future__ import annotations

import fnmatch
import functools
import posixpath
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from skillgit.model.skill import SKILL_FILE, name_is_safe

if TYPE_CHECKING:
    from skillgit.git import Repo

ACTIVE = "active"
ATTIC = "attic"
GLOB_CHARS = "*?["


@dataclass(frozen=True)
class SkillPlace:
    """A skill's folder: its name, `active` or `attic`, the folder path, and the root it lies under."""

    name: str
    location: str
    dir: str
    root: str

    @property
    def skill_file(self) -> str:
        return f"{self.dir}/{SKILL_FILE}"

    @property
    def category(self) -> str:
        """The category folders between the root and the skill (`.curated`), '' for none."""
        inner = self.dir[len(self.root) + 1 :]
        return inner.rpartition("/")[0]


def root_problem(value: str) -> str | None:
    """Why `value` cannot be a skill root (None: it can): relative, plain, inside the repository."""
    clean = posixpath.normpath(value.replace("\\", "/")) if value.strip() else ""
    parts = clean.split("/")
    if (not clean or clean == "." or value.startswith(("/", "~")) or ".." in parts or parts[0] in (".git", "*")
            or (len(value) > 1 and value[1] == ":") or value.strip("/") != clean):
        return "is not a folder inside the repository; name one relative to the repository root, written plainly (no `..`, `.` or `\\`)"
    if any("**" in part for part in parts):
        return "uses `**`; a `*` stands for one folder name, and skills may sit in category folders below a root anyway"
    return None


class Layout:
    """The skill roots (`paths.skills`: one or several folders or globs) and the attic (`paths.attic`)."""

    def __init__(self, skills: str | Sequence[str], attic: str) -> None:
        patterns = [skills] if isinstance(skills, str) else list(skills)
        self.patterns: tuple[str, ...] = tuple(dict.fromkeys(str(p).strip("/") for p in patterns))
        self.attic = str(attic).strip("/")
        self._parts = tuple((tuple(p.split("/")), ACTIVE) for p in self.patterns) + ((tuple(self.attic.split("/")), ATTIC),)
        self.globbed = any(any(ch in p for ch in GLOB_CHARS) for p in self.patterns)

    def __repr__(self) -> str:
        return f"Layout({list(self.patterns)!r}, {self.attic!r})"

    @functools.cached_property
    def primary(self) -> str:
        """Where a new skill goes unless told otherwise: the first root that is a plain folder."""
        for pattern in self.patterns:
            if not any(ch in pattern for ch in GLOB_CHARS):
                return pattern
        return self.scan_roots[0]

    @functools.cached_property
    def scan_roots(self) -> tuple[str, ...]:
        """Plain folders that hold every root and the attic (each pattern up to its first glob, the ones
        inside another left out): what `git log -- …` and tree listings are given."""
        return _plain_tops((*self.patterns, self.attic))

    @functools.cached_property
    def active_scan_roots(self) -> tuple[str, ...]:
        """`scan_roots` of the active roots alone."""
        return _plain_tops(self.patterns)

    @functools.cached_property
    def flat(self) -> bool:
        """One plain root and a plain attic, neither inside the other: a skill is looked for at `<root>/<name>`
        first (it may still sit in a category folder below the root)."""
        return (len(self.patterns) == 1 and not self.globbed and self.attic != self.patterns[0]
                and not self.attic.startswith(self.patterns[0] + "/") and not self.patterns[0].startswith(self.attic + "/"))

    def roots_of(self, path: str) -> list[tuple[str, str]]:
        """(root folder, location) of every root holding `path` below it, deepest first."""
        return _roots_of(self._parts, path)

    def place(self, path: str, has_skill: Callable[[str], bool] | None = None) -> SkillPlace | None:
        """The skill folder `path` lies in (None: in none). See the module's docstring for how it is found."""
        for root, location in _roots_of(self._parts, path):
            if has_skill is not None and has_skill(root):
                continue  # a folder that matches a root pattern but is a skill itself
            parts = path[len(root) + 1 :].split("/")
            if len(parts) < 2:
                continue
            last = len(parts) - 1
            for depth in range(1, last + 1):
                folder = root + "/" + "/".join(parts[:depth])
                if (depth == last and parts[last] == SKILL_FILE) or (has_skill is not None and has_skill(folder)):
                    return SkillPlace(parts[depth - 1], location, folder, root)
            if name_is_safe(parts[0]):
                return SkillPlace(parts[0], location, f"{root}/{parts[0]}", root)
        return None

    def skill_files(self, paths: Iterable[str]) -> dict[str, SkillPlace]:
        """`SKILL.md` path → its skill, for the paths of one tree that are skills (a SKILL.md inside
        another skill's folder is that skill's file, not a skill)."""
        candidates = [p for p in paths if p.endswith("/" + SKILL_FILE) or p == SKILL_FILE]
        folders = {p[: -len(SKILL_FILE) - 1] for p in candidates}
        out: dict[str, SkillPlace] = {}
        for path in candidates:
            found = self.place(path, folders.__contains__)
            if found is not None and found.skill_file == path:
                out[path] = found
        return out

    def new_dir(self, name: str, location: str = ACTIVE) -> str:
        """Where a skill `name` that does not exist yet goes."""
        return f"{self.primary if location == ACTIVE else self.attic}/{name}"

    @functools.cached_property
    def regex(self) -> str:
        """A regular expression for the start of a path inside a skill root or the attic, up to the folder
        that holds a skill (category folders included), to be followed by `/<name>/…` in a pattern."""
        import re

        roots = "|".join(
            "/".join(r"[^/\s\"'`]+" if any(ch in part for ch in GLOB_CHARS) else re.escape(part) for part in p.split("/"))
            for p in (*self.patterns, self.attic)
        )
        return rf"(?:{roots})(?:/[^/\s\"'`]+)*?"

    @functools.cached_property
    def key(self) -> str:
        """The layout as one line (for cache keys)."""
        return "\t".join((*self.patterns, self.attic))

    def describe(self) -> str:
        """The roots for messages: `skills/`, or `skills/, plugins/*/skills/`."""
        return ", ".join(f"{p}/" for p in self.patterns)


def _plain_tops(patterns: Sequence[str]) -> tuple[str, ...]:
    literal = []
    for pattern in patterns:
        parts = pattern.split("/")
        cut = next((i for i, part in enumerate(parts) if any(ch in part for ch in GLOB_CHARS)), len(parts))
        literal.append("/".join(parts[:cut]) or parts[0])
    out: list[str] = []
    for root in sorted(set(literal), key=lambda r: (r.count("/"), r)):
        if not any(root == o or root.startswith(o + "/") for o in out):
            out.append(root)
    return tuple(out)


@functools.lru_cache(maxsize=4096)
def _roots_of(parts: tuple[tuple[tuple[str, ...], str], ...], path: str) -> list[tuple[str, str]]:
    segments = path.split("/")
    found = []
    for pattern, location in parts:
        n = len(pattern)
        if len(segments) > n and _match(pattern, tuple(segments[:n])):
            found.append((n, "/".join(segments[:n]), location))
    found.sort(key=lambda item: -item[0])
    return [(root, location) for _n, root, location in found]


def _match(pattern: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    return all(p == s or (any(ch in p for ch in GLOB_CHARS) and fnmatch.fnmatchcase(s, p)) for p, s in zip(pattern, parts))


@functools.lru_cache(maxsize=64)
def layout_of(skills: str | tuple[str, ...], attic: str) -> Layout:
    """The Layout of these `paths` values (kept: the rules ask for it on every change)."""
    return Layout(skills, attic)


class SkillsRepo(Protocol):
    """A repository and where its skills lie (a `skillgit.workspace.Workspace` is one): what a reader of
    the skills in its history needs."""

    @property
    def repo(self) -> Repo: ...

    @property
    def layout(self) -> Layout: ...


class PathsSection(Protocol):
    """What a layout needs of the config's `paths` section (`skillgit.config.PathsConfig`)."""

    @property
    def skills(self) -> str | Sequence[str]: ...

    @property
    def attic(self) -> str: ...


def config_layout(paths: PathsSection) -> Layout:
    """The Layout of a config's `paths` section."""
    skills = paths.skills
    return layout_of(skills if isinstance(skills, str) else tuple(skills), paths.attic)
