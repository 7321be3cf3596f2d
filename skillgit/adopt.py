"""Adopting an existing repository: where its skills are, what is already wrong with them, who owns them.

`detect_roots` finds the skill roots from where the SKILL.md files are: the folder that holds skill
folders (`skills`), a parent of category folders (`skills` for `skills/.curated/<name>`), or a glob
when the same folder repeats under many parents (`plugins/*/skills`). `baseline` lists the problems
each skill has at adoption, which the rules then tolerate as long as a change does not make them
worse (see docs/rules.md, "Baseline").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from skillgit.model.layout import Layout
from skillgit.model.skill import SKILL_FILE

if TYPE_CHECKING:
    from skillgit.workspace import Workspace


@dataclass(frozen=True)
class Detected:
    """The roots found for a set of SKILL.md paths, the skills under them, and the SKILL.md files left out."""

    roots: tuple[str, ...]
    skills: int
    outside: tuple[str, ...]
    """SKILL.md files under no root (at the top of the repository, or a root of one's own would swallow it)."""


def skill_folders(paths: Iterable[str]) -> list[str]:
    """The folders holding a SKILL.md, outermost only (a SKILL.md inside a skill's folder is one of its files)."""
    folders = sorted({p.rpartition("/")[0] for p in paths if p == SKILL_FILE or p.endswith("/" + SKILL_FILE)})
    out: list[str] = []
    for folder in folders:
        if not any(folder == o or folder.startswith(o + "/") for o in out if o):
            out.append(folder)
    return out


def detect_roots(paths: Iterable[str]) -> Detected:
    """The skill roots for the files `paths` of a tree (see the module's docstring)."""
    folders = skill_folders(paths)
    outside = tuple(f"{f}/{SKILL_FILE}" if f else SKILL_FILE for f in folders if "/" not in f)
    containers = sorted({f.rpartition("/")[0] for f in folders if "/" in f})
    roots = _generalise(containers)
    layout = Layout(roots or ["skills"], "skills_attic")
    found = layout.skill_files(f"{f}/{SKILL_FILE}" for f in folders if "/" in f)
    left = tuple(f"{f}/{SKILL_FILE}" for f in folders if "/" in f and f"{f}/{SKILL_FILE}" not in found)
    return Detected(tuple(roots), len(found), outside + left)


def _generalise(containers: Sequence[str]) -> list[str]:
    """Containers of skill folders → roots: nested ones fold into their parent root (categories), siblings
    that are all category folders into their parent, and repeats under one parent into a glob."""
    remaining = list(containers)
    # siblings under one parent, all of them holding skills: the parent is the root, they are categories
    by_parent: dict[str, list[str]] = {}
    for c in remaining:
        if "/" in c:
            by_parent.setdefault(c.rpartition("/")[0], []).append(c)
    for parent, kids in by_parent.items():
        if len(kids) >= 2:
            remaining = [c for c in remaining if c not in kids] + [parent]
    # the same folder name under several parents (`plugins/<p>/skills`): a glob for the varying part
    globbed: dict[str, list[str]] = {}
    for c in remaining:
        parts = c.split("/")
        for i in range(len(parts) - 1):
            pattern = "/".join(parts[:i] + ["*"] + parts[i + 1 :])
            globbed.setdefault(pattern, []).append(c)
    for pattern, members in sorted(globbed.items(), key=lambda item: -len(item[1])):
        live = [m for m in members if m in remaining]
        if len(live) >= 2 and len(live) == len(members):
            remaining = [c for c in remaining if c not in live] + [pattern]
    out: list[str] = []
    for root in sorted(set(remaining), key=lambda r: (r.count("/"), r)):
        if not any(root.startswith(o + "/") for o in out):
            out.append(root)
    return out


def baseline(ws: Workspace, override: Mapping[str, bytes] | None = None) -> dict[str, list[str]]:
    """Skill name → the checks its SKILL.md at HEAD fails (what SG007 would report on an agent's edit of
    it), for every skill under the roots; `override` gives bytes to use instead (files about to be stamped)."""
    from skillgit.policy.rules.skillfile import file_problems

    out: dict[str, list[str]] = {}
    for entry in ws.skills():
        path = f"{entry.dir}/{SKILL_FILE}"
        raw = (override or {}).get(path) or ws.repo.blob(entry.blob)
        found = sorted({p.ident for p in file_problems(raw, path, ws.config, agent=True)})
        if found:
            out[entry.name] = found
    return out


def stamp_origins(ws: Workspace, value: str) -> tuple[list[tuple[str, bytes]], list[str]]:
    """(path, new bytes) of every active skill's SKILL.md at HEAD without `origin`, with `origin: <value>`
    added (the rest of the file byte for byte as it was); and notes on the skills left alone."""
    from skillgit import trailers as T
    from skillgit.errors import SkillFileError, UsageError
    from skillgit.model.skill import parse_skill

    T.check_value("--stamp-origin", value)
    out: list[tuple[str, bytes]] = []
    notes: list[str] = []
    dirty = set(ws.repo.changed_paths(ws.scan_roots))
    for entry in ws.skills():
        if entry.location != "active":
            continue
        path = f"{entry.dir}/{SKILL_FILE}"
        try:
            skill = parse_skill(ws.repo.blob(entry.blob), path)
        except SkillFileError as exc:
            notes.append(f"{path}: not stamped, it does not parse ({exc})")
            continue
        if "origin" in skill.frontmatter:
            continue
        if path in dirty:
            raise UsageError(f"{path} has uncommitted changes; commit or stash them before `init --stamp-origin`, which "
                             "writes `origin:` into it.")
        out.append((path, skill.with_field("origin", value).raw))
    return out, notes
