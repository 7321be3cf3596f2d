"""SG006 (refine size and frozen keys) and SG008 (anti-bloat on create); SG007 is in skillfile.py."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from skillgit.model.skill import SKILL_FILE, Skill
from skillgit.policy.model import Change, Option, Rule, Violation
from skillgit.policy.rules.common import (
    ACTIVE,
    event_kind,
    event_skill,
    load_skill,
    skill_file,
)
from skillgit.policy.trees import Bounded

if TYPE_CHECKING:
    from skillgit.config import Config

FROZEN_KEYS = ("name", "description", "origin", "core")
ACTIVE_STATUSES = (None, "active", "refined")


def line_counts(old: bytes, new: bytes) -> tuple[int, int]:
    """(added, removed) lines between two texts, by difflib over lines with their endings
    (so a changed line is one removed and one added, as in `git diff --stat`)."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    added = removed = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            removed += i2 - i1
            added += j2 - j1
    return added, removed


class RefineSize(Rule):
    """SG006: an agent `refine` adds at most `policy.refine_max_added` (30) and removes at most
    `policy.refine_max_removed` (15) lines of SKILL.md, and leaves `name`, `description`, `origin`
    and `core` as they were. Every line counts, bookkeeping keys (`score`, `uses`, …) included."""

    id = "SG006"
    name = "refine-size"
    agent_only = True
    options = (
        Option("policy.refine_max_added", "integer", 30, "Lines an agent refine may add to a SKILL.md (SG006)."),
        Option("policy.refine_max_removed", "integer", 15, "Lines an agent refine may remove from a SKILL.md (SG006)."),
    )
    checks = ("size", "frozen-keys")

    def check(self, change: Change, config: Config) -> list[Violation]:
        name = event_skill(change)
        if event_kind(change) != "refine" or name is None:
            return []
        path = skill_file(config, name, ACTIVE, change)
        old, new = change.old(path), change.new(path)
        if old is None or new is None:
            return []
        out: list[Violation] = []
        added, removed = line_counts(old, new)
        limits = (
            ("adds", added, config.policy.refine_max_added, "refine_max_added"),
            ("removes", removed, config.policy.refine_max_removed, "refine_max_removed"),
        )
        for verb, count, limit, key in limits:
            if count > limit:
                out.append(self._v(
                    change, path, "size", f"the refine {verb} {count} lines (limit {limit}, policy.{key})",
                    f"Make a smaller edit: at most {config.policy.refine_max_added} added and "
                    f"{config.policy.refine_max_removed} removed lines per refine, bookkeeping lines included.",
                ))
        before, after = load_skill(old, path), load_skill(new, path)
        if isinstance(before, Skill) and isinstance(after, Skill):
            for key in FROZEN_KEYS:
                was, now = _frozen(before, key), _frozen(after, key)
                if was != now:
                    out.append(self._v(
                        change, path, "frozen-keys", f"the refine changes frontmatter key `{key}` from {was!r} to {now!r}",
                        f"A refine keeps {', '.join(f'`{k}`' for k in FROZEN_KEYS)}; a maintainer commits such a "
                        "change as a manual event.",
                    ))
        return out

    def _v(self, change: Change, path: str, check: str, message: str, fix: str) -> Violation:
        return Violation(self.id, self.name, message, fix, path=path, commit=change.commit, check=check)


def _frozen(skill: Skill, key: str) -> object:
    return skill.core if key == "core" else skill.frontmatter.get(key)


class AntiBloat(Rule):
    """SG008: after an agent `create`, active skills ≤ `policy.max_active` (25) and non-core skills
    ≤ `policy.max_non_core` (30), counted in the tree after the change; the new skill shares fewer
    than `policy.keyword_overlap` (3) keywords with every other skill."""

    id = "SG008"
    name = "anti-bloat"
    agent_only = True
    options = (
        Option("policy.max_active", "integer", 25, "Active skills there may be after an agent create (SG008)."),
        Option("policy.max_non_core", "integer", 30, "Non-core skills there may be after an agent create (SG008)."),
        Option("policy.keyword_overlap", "integer", 3,
               "An agent-created skill shares fewer keywords than this with every other skill (SG008)."),
    )
    checks = ("max-active", "max-non-core", "keyword-overlap")

    def check(self, change: Change, config: Config) -> list[Violation]:
        name = event_skill(change)
        if event_kind(change) != "create" or name is None:
            return []
        path = skill_file(config, name, ACTIVE, change)
        if change.tree_files is None:
            return [self._v(change, path, "max-active", "cannot count the skills after this create: the change carries no tree lookup",
                            "Build the Change with `tree_files` (see skillgit.policy.lookups).")]
        skills: dict[str, _Facts] = {}
        known = _FACTS.items
        for file_path, oid, skill in _active_skill_files(change, config):
            skills[skill] = known.get(oid) or _facts(change, oid, file_path)
        out: list[Violation] = []
        active = [n for n, f in skills.items() if n == name or f.active]
        non_core = [n for n, f in skills.items() if not f.core]
        p = config.policy
        if len(active) > p.max_active:
            out.append(self._v(
                change, path, "max-active", f"after this create there would be {len(active)} active skills (limit {p.max_active}, policy.max_active)",
                "Retire a skill first, or record a no-op instead of creating one.",
            ))
        if len(non_core) > p.max_non_core:
            out.append(self._v(
                change, path, "max-non-core",
                f"after this create there would be {len(non_core)} non-core skills (limit {p.max_non_core}, policy.max_non_core)",
                "Retire a skill first, or record a no-op instead of creating one.",
            ))
        new = skills.get(name)
        if new is not None:
            out.extend(self._overlaps(change, config, path, name, new, skills))
        return out

    def _overlaps(self, change: Change, config: Config, path: str, name: str, new: _Facts,
                  skills: dict[str, _Facts]) -> list[Violation]:
        out: list[Violation] = []
        limit = config.policy.keyword_overlap
        if len(new.keywords) < limit:
            return out  # no other skill can share enough
        keywords = new.keywords
        for other, facts in skills.items():
            if other == name or (limit > 0 and keywords.isdisjoint(facts.keywords)):
                continue
            common = keywords & facts.keywords
            if len(common) >= limit:
                shared = sorted(common)
                out.append(self._v(
                    change, path, "keyword-overlap",
                    f"the new skill shares {len(shared)} keywords with `{other}` ({', '.join(shared)}; "
                    f"policy.keyword_overlap is {config.policy.keyword_overlap})",
                    f"Refine `{other}` instead of creating an overlapping skill, or choose distinct keywords.",
                ))
        return out

    def _v(self, change: Change, path: str, check: str, message: str, fix: str) -> Violation:
        return Violation(self.id, self.name, message, fix, path=path, commit=change.commit, check=check)


def _active_skill_files(change: Change, config: Config) -> list[tuple[str, str, str]]:
    """(SKILL.md path, blob id, skill name) of every active skill in the tree after the change, by path."""
    assert change.tree_files is not None
    layout = config.layout
    listing: dict[str, str] = {}
    kept = getattr(change.tree_files, "skill_files", None)  # only the SKILL.md files (a walk's view keeps them)
    for root in layout.active_scan_roots:
        listing.update(kept(root) if kept is not None else change.tree_files(root))
    if layout.flat:
        root = layout.primary
        cut, tail = len(root) + 1, "/" + SKILL_FILE
        return [(p, listing[p], p[cut : -len(tail)]) for p in sorted(listing) if p.endswith(tail) and p.count("/", cut) == 1]
    found = layout.skill_files(listing)
    return [(p, listing[p], found[p].name) for p in sorted(found) if found[p].location == ACTIVE]


def _norm(keyword: str) -> str:
    return " ".join(keyword.casefold().split())


@dataclass(frozen=True)
class _Facts:
    """What SG008 needs of one SKILL.md. An unparseable file counts as active and non-core."""

    active: bool
    core: bool
    keywords: frozenset[str]


_FACTS: Bounded[str, _Facts] = Bounded(100_000)


def _facts(change: Change, oid: str, path: str) -> _Facts:
    """The facts of blob `oid`, cached per process by blob id (a `verify` run parses each version once)."""
    found = _FACTS.items.get(oid)
    if found is None:
        skill = load_skill(change.read_blob(oid), path)
        if isinstance(skill, Skill):
            keywords = frozenset(_norm(k) for k in skill.keywords) - {""}
            found = _Facts(skill.status in ACTIVE_STATUSES, skill.core, keywords)
        else:
            found = _Facts(True, False, frozenset())
        _FACTS.put(oid, found, 1)
    return found
