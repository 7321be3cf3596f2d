"""SG006 (refine size and frozen keys), SG007 (skill file valid, agent limits), SG008 (anti-bloat on create)."""

from __future__ import annotations

import difflib
import posixpath
from dataclasses import dataclass
from typing import TYPE_CHECKING

from skillgit.model.skill import SKILL_FILE, Skill
from skillgit.policy.model import Change, FileChange, Violation
from skillgit.policy.rules.common import (
    ACTIVE,
    ATTIC,
    event_kind,
    event_skill,
    load_skill,
    root_of,
    skill_dir,
    skill_file,
    skill_of,
)

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


class RefineSize:
    """SG006: an agent `refine` adds at most `policy.refine_max_added` (30) and removes at most
    `policy.refine_max_removed` (15) lines of SKILL.md, and leaves `name`, `description`, `origin`
    and `core` as they were. Every line counts, bookkeeping keys (`score`, `uses`, …) included."""

    id = "SG006"
    name = "refine-size"
    agent_only = True

    def check(self, change: Change, config: Config) -> list[Violation]:
        name = event_skill(change)
        if event_kind(change) != "refine" or name is None:
            return []
        path = skill_file(config, name, ACTIVE)
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
                    change, path, f"the refine {verb} {count} lines (limit {limit}, policy.{key})",
                    f"Make a smaller edit: at most {config.policy.refine_max_added} added and "
                    f"{config.policy.refine_max_removed} removed lines per refine, bookkeeping lines included.",
                ))
        before, after = load_skill(old, path), load_skill(new, path)
        if isinstance(before, Skill) and isinstance(after, Skill):
            for key in FROZEN_KEYS:
                was, now = _frozen(before, key), _frozen(after, key)
                if was != now:
                    out.append(self._v(
                        change, path, f"the refine changes frontmatter key `{key}` from {was!r} to {now!r}",
                        f"A refine keeps {', '.join(f'`{k}`' for k in FROZEN_KEYS)}; a maintainer commits such a "
                        "change as a manual event.",
                    ))
        return out

    def _v(self, change: Change, path: str, message: str, fix: str) -> Violation:
        return Violation(self.id, self.name, message, fix, path=path, commit=change.commit)


def _frozen(skill: Skill, key: str) -> object:
    return skill.core if key == "core" else skill.frontmatter.get(key)


class SkillFileValid:
    """SG007: every SKILL.md a commit adds or changes validates (schema, name = directory; errors only).
    In agent commits also: frontmatter ≤ `policy.frontmatter_max_chars` (1900), body ≤
    `policy.body_max_words` (5000); and an agent `create` has a description ≤
    `policy.agent_description_max` (200) that starts with `policy.candidate_prefix`."""

    id = "SG007"
    name = "skill-file-valid"
    agent_only = False

    def check(self, change: Change, config: Config) -> list[Violation]:
        from skillgit.model.validate import validate_skill, validate_skill_bytes

        out: list[Violation] = []
        for f in change.files:
            if f.new_mode == SYMLINK and f.new_oid is not None:
                leak = symlink_leak(f.path, change.read_blob(f.new_oid), config)
                if leak is not None:
                    out.append(self._v(change, f.path, leak, "Replace the link with the file itself: a skill is read on its "
                                       "own, and a link out of it stands in for files outside the skill."))
        created = event_skill(change) if event_kind(change) == "create" else None
        for f in change.files:
            hit = skill_of(f.path, config)
            if hit is None or f.new_oid is None or f.path != skill_file(config, hit[0], hit[1]) or _moved(change, f):
                continue
            raw = change.read_blob(f.new_oid)
            skill = load_skill(raw, f.path)
            unknown = config.policy.unknown_fields
            if isinstance(skill, Skill):
                problems = validate_skill(skill, unknown_fields=unknown)
            else:
                problems = validate_skill_bytes(raw, f.path, unknown_fields=unknown)
            for p in problems:
                if p.severity == "error":
                    where = f"line {p.line}: " if p.line else ""
                    key = f"`{p.key}`: " if p.key else ""
                    out.append(self._v(change, f.path, f"{where}{key}{p.message}", p.fix[:1].upper() + p.fix[1:]))
            if change.agent and isinstance(skill, Skill):
                out.extend(self._agent_limits(change, config, f.path, skill, is_new=hit[0] == created))
        return out

    def _agent_limits(self, change: Change, config: Config, path: str, skill: Skill, *, is_new: bool) -> list[Violation]:
        p = config.policy
        out: list[Violation] = []
        chars = len(skill.frontmatter_text)
        if chars > p.frontmatter_max_chars:
            out.append(self._v(change, path, f"the frontmatter is {chars} characters (limit {p.frontmatter_max_chars}, policy.frontmatter_max_chars)",
                               "Shorten the frontmatter: move detail into the body."))
        words = len(skill.body.split())
        if words > p.body_max_words:
            out.append(self._v(change, path, f"the body is {words} words (limit {p.body_max_words}, policy.body_max_words)",
                               "Shorten the body: move reference material into separate files next to SKILL.md."))
        if is_new:
            description = skill.description
            if len(description) > p.agent_description_max:
                out.append(self._v(change, path, f"the description of an agent-created skill is {len(description)} characters "
                                   f"(limit {p.agent_description_max}, policy.agent_description_max)",
                                   "Shorten the description to one sentence."))
            if not description.startswith(p.candidate_prefix):
                out.append(self._v(change, path, f"the description of an agent-created skill does not start with `{p.candidate_prefix}`",
                                   f"Prefix it with `{p.candidate_prefix} ` (policy.candidate_prefix) until a maintainer reviews it."))
        return out

    def _v(self, change: Change, path: str, message: str, fix: str) -> Violation:
        return Violation(self.id, self.name, message, fix, path=path, commit=change.commit)


SYMLINK = "120000"


def symlink_leak(path: str, target: bytes, config: Config) -> str | None:
    """What is wrong with a symlink at `path` pointing to `target` when it leaves its skill's folder
    (or is a skill's folder itself); None for a link that stays inside, or lies outside any skill."""
    shown = target.decode("utf-8", "replace")
    hit = skill_of(path, config)
    if hit is None:
        for location in (ACTIVE, ATTIC):
            root = root_of(config, location)
            if path.startswith(root + "/") and "/" not in path[len(root) + 1 :]:
                return f"the skill folder {path} is a symlink (to `{shown}`)"
        return None
    folder = skill_dir(config, hit[0], hit[1])
    text = target.decode("utf-8", "surrogateescape")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), text))
    if text.startswith("/") or not (resolved == folder or resolved.startswith(folder + "/")):
        return f"a symlink to `{shown}`, outside the skill's folder {folder}/"
    return None


def _moved(change: Change, f: FileChange) -> bool:
    """The same bytes were a SKILL.md of the same skill before (a move, or a mode change)."""
    if f.old_oid == f.new_oid:
        return True
    name = f.path.rsplit("/", 2)[-2]
    return any(g.old_oid == f.new_oid and g.path.endswith(f"/{name}/{SKILL_FILE}") for g in change.files)


class AntiBloat:
    """SG008: after an agent `create`, active skills ≤ `policy.max_active` (25) and non-core skills
    ≤ `policy.max_non_core` (30), counted in the tree after the change; the new skill shares fewer
    than `policy.keyword_overlap` (3) keywords with every other skill."""

    id = "SG008"
    name = "anti-bloat"
    agent_only = True

    def check(self, change: Change, config: Config) -> list[Violation]:
        name = event_skill(change)
        if event_kind(change) != "create" or name is None:
            return []
        path = skill_file(config, name, ACTIVE)
        if change.tree_files is None:
            return [self._v(change, path, "cannot count the skills after this create: the change carries no tree lookup",
                            "Build the Change with `tree_files` (see skillgit.policy.lookups).")]
        root = root_of(config, ACTIVE)
        listing = change.tree_files(root)
        cut, tail = len(root) + 1, "/" + SKILL_FILE
        skills: dict[str, _Facts] = {}
        known = _FACTS
        for file_path in sorted(p for p in listing if p.endswith(tail) and p.count("/", cut) == 1):
            oid = listing[file_path]
            skills[file_path[cut : -len(tail)]] = known.get(oid) or _facts(change, oid, file_path)
        out: list[Violation] = []
        active = [n for n, f in skills.items() if n == name or f.active]
        non_core = [n for n, f in skills.items() if not f.core]
        p = config.policy
        if len(active) > p.max_active:
            out.append(self._v(
                change, path, f"after this create there would be {len(active)} active skills (limit {p.max_active}, policy.max_active)",
                "Retire a skill first, or record a no-op instead of creating one.",
            ))
        if len(non_core) > p.max_non_core:
            out.append(self._v(
                change, path,
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
                    change, path,
                    f"the new skill shares {len(shared)} keywords with `{other}` ({', '.join(shared)}; "
                    f"policy.keyword_overlap is {config.policy.keyword_overlap})",
                    f"Refine `{other}` instead of creating an overlapping skill, or choose distinct keywords.",
                ))
        return out

    def _v(self, change: Change, path: str, message: str, fix: str) -> Violation:
        return Violation(self.id, self.name, message, fix, path=path, commit=change.commit)


def _norm(keyword: str) -> str:
    return " ".join(keyword.casefold().split())


@dataclass(frozen=True)
class _Facts:
    """What SG008 needs of one SKILL.md. An unparseable file counts as active and non-core."""

    active: bool
    core: bool
    keywords: frozenset[str]


_FACTS: dict[str, _Facts] = {}
_FACTS_MAX = 100_000


def _facts(change: Change, oid: str, path: str) -> _Facts:
    """The facts of blob `oid`, cached per process by blob id (a `verify` run parses each version once)."""
    found = _FACTS.get(oid)
    if found is None:
        skill = load_skill(change.read_blob(oid), path)
        if isinstance(skill, Skill):
            keywords = frozenset(_norm(k) for k in skill.keywords) - {""}
            found = _Facts(skill.status in ACTIVE_STATUSES, skill.core, keywords)
        else:
            found = _Facts(True, False, frozenset())
        if len(_FACTS) >= _FACTS_MAX:
            _FACTS.clear()
        _FACTS[oid] = found
    return found
