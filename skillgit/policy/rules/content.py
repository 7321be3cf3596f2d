"""SG006 (refine size and frozen keys) and SG008 (anti-bloat on create); SG007 is in skillfile.py."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
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
    return _counts(old.splitlines(keepends=True), new.splitlines(keepends=True))


def within(old: bytes, new: bytes, max_added: int, max_removed: int) -> tuple[int, int] | None:
    """`line_counts(old, new)` when one of them may pass its limit; None when neither can.

    difflib's first match is a longest block of lines the two texts share (no line is junk), and the
    common prefix or suffix is such a block: `line_counts` finds at least that many lines unchanged, so
    it cannot count more than the rest of each text as added or removed. An edit in one place is told
    within its limits without running difflib."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    shorter = min(len(a), len(b))
    same = 0
    while same < shorter and a[same] == b[same]:
        same += 1
    tail = 0
    while tail < shorter and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    kept = max(same, tail)
    if len(b) - kept <= max_added and len(a) - kept <= max_removed:
        return None
    return _counts(a, b)


def _counts(a: list[bytes], b: list[bytes]) -> tuple[int, int]:
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
        counted = within(old, new, config.policy.refine_max_added, config.policy.refine_max_removed)
        added, removed = counted or (0, 0)
        limits = (
            ("adds", added, config.policy.refine_max_added, "refine_max_added"),
            ("removes", removed, config.policy.refine_max_removed, "refine_max_removed"),
        )
        for verb, count, limit, key in limits if counted is not None else ():  # (None: neither can pass)
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
        p = config.policy
        new, active, non_core, others = _tally(change, config, name)
        out: list[Violation] = []
        if active > p.max_active:
            out.append(self._v(
                change, path, "max-active", f"after this create there would be {active} active skills (limit {p.max_active}, policy.max_active)",
                "Retire a skill first, or record a no-op instead of creating one.",
            ))
        if non_core > p.max_non_core:
            out.append(self._v(
                change, path, "max-non-core",
                f"after this create there would be {non_core} non-core skills (limit {p.max_non_core}, policy.max_non_core)",
                "Retire a skill first, or record a no-op instead of creating one.",
            ))
        if new is not None:
            out.extend(self._overlaps(change, config, path, name, new, others(new)))
        return out

    def _overlaps(self, change: Change, config: Config, path: str, name: str, new: _Facts,
                  skills: Iterable[tuple[str, _Facts]]) -> list[Violation]:
        """The other skills of `skills` ((name, facts), in path order) sharing `policy.keyword_overlap` keywords."""
        out: list[Violation] = []
        limit = config.policy.keyword_overlap
        if len(new.keywords) < limit:
            return out  # no other skill can share enough
        keywords = new.keywords
        for other, facts in skills:
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


def _tally(change: Change, config: Config, name: str) -> tuple[
        _Facts | None, int, int, Callable[[_Facts], Iterable[tuple[str, _Facts]]]]:
    """What SG008 counts after a create of `name`: the new skill's facts (None: it is not in the tree), the
    active skills (`name` counts as one), the non-core skills, and `others(facts)`: (name, facts), in path
    order, of the skills that may share keywords with `facts` (those sharing none may be left out)."""
    counted = _counted(change, config)
    if counted is not None:
        entry = counted.skills.get(f"{config.layout.primary}/{name}/{SKILL_FILE}")
        new = entry[1] if entry is not None else None
        limit = config.policy.keyword_overlap
        return new, counted.active + (new is not None and not new.active), counted.non_core, (
            lambda facts: counted.sharing(facts, limit))
    named: dict[str, _Facts] = {}
    known = _FACTS.items
    for file_path, oid, skill in _active_skill_files(change, config):
        named[skill] = known.get(oid) or _facts(change, oid, file_path)
    return (named.get(name), sum(1 for n, f in named.items() if n == name or f.active),
            sum(1 for f in named.values() if not f.core), lambda _facts: named.items())


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
            frontmatter = skill.raw[skill.span[0] : skill.span[1]]
            found = _BY_FRONTMATTER.items.get(frontmatter)
            if found is None:
                keywords = frozenset(_norm(k) for k in skill.keywords) - {""}
                found = _Facts(skill.status in ACTIVE_STATUSES, skill.core, keywords)
                _BY_FRONTMATTER.put(frontmatter, found, 1)
        else:
            found = _Facts(True, False, frozenset())
        _FACTS.put(oid, found, 1)
    return found


_BY_FRONTMATTER: Bounded[bytes, _Facts] = Bounded(10_000)
"""The facts of each frontmatter seen, by its bytes: they are all the facts depend on, and most versions of a
skill leave them as they were."""


@dataclass
class _Counted:
    """The active skills of the last tree SG008 counted under one flat layout, with their facts. The next
    create's tree is counted from the SKILL.md files that differ from this one's: in a walk, the few
    changed since the last create, not every skill again."""

    listing: dict[str, str] = field(default_factory=dict)
    """SKILL.md path → blob id of every SKILL.md under the root, as the tree lists them."""
    mark: Hashable = None
    """Where a walk's view of the skill folders was when `listing` was made (see `Overlay.skill_changes`)."""
    skills: dict[str, tuple[str, _Facts]] = field(default_factory=dict)
    """Path → (name, facts) of each skill's own SKILL.md (`<root>/<name>/SKILL.md`)."""
    active: int = 0
    non_core: int = 0
    with_keyword: dict[str, set[str]] = field(default_factory=dict)
    """Keyword → the paths of the skills that have it."""

    def drop(self, path: str) -> None:
        found = self.skills.pop(path, None)
        if found is not None:
            facts = found[1]
            self.active -= facts.active
            self.non_core -= not facts.core
            for keyword in facts.keywords:
                self.with_keyword[keyword].discard(path)

    def add(self, path: str, name: str, facts: _Facts) -> None:
        self.skills[path] = (name, facts)
        self.active += facts.active
        self.non_core += not facts.core
        for keyword in facts.keywords:
            self.with_keyword.setdefault(keyword, set()).add(path)

    def sharing(self, facts: _Facts, limit: int) -> Iterator[tuple[str, _Facts]]:
        """(name, facts), in path order, of the skills that may share `limit` keywords with `facts`: every
        skill for a limit of 0 or less, else those that share one at least."""
        skills = self.skills
        if limit <= 0:
            paths: Iterable[str] = sorted(skills)
        else:
            paths = sorted(set[str]().union(*(self.with_keyword.get(k, ()) for k in facts.keywords)))
        return (skills[p] for p in paths)


_COUNTED: dict[str, _Counted] = {}
"""The last count per layout (`Layout.key`)."""


def _counted(change: Change, config: Config) -> _Counted | None:
    """The active skills in the tree after `change`, counted from the last count (None: the layout is not
    flat; `_active_skill_files` lists them)."""
    assert change.tree_files is not None
    layout = config.layout
    if not layout.flat:
        return None
    root = layout.primary
    tail = "/" + SKILL_FILE
    counted = _COUNTED.pop(layout.key, None) or _Counted()
    journal = getattr(change.tree_files, "skill_changes", None)  # a walk's view keeps the changes it applied
    found = journal(root, counted.mark) if journal is not None else None
    if found is not None and not found.whole:
        listing = counted.listing
        changed = set()
        for path, now in found.files.items():
            if listing.get(path) != now:
                changed.add(path)
                if now is None:
                    del listing[path]
                else:
                    listing[path] = now
    else:
        if found is not None:
            listing = {p: oid for p, oid in found.files.items() if oid is not None}
        else:
            kept = getattr(change.tree_files, "skill_files", None)  # only the SKILL.md files
            listing = dict(kept(root)) if kept is not None else {
                p: oid for p, oid in change.tree_files(root).items() if p.endswith(tail)}
        changed = {p for p, _oid in listing.items() ^ counted.listing.items()}
    counted.mark = found.mark if found is not None else None
    cut = len(root) + 1
    read_many = getattr(change.read_blob, "read_many", None)  # a walk's blob cache reads many in one request
    if read_many is not None and len(changed) > 1:
        read_many(oid for oid in (listing.get(p) for p in changed) if oid is not None and oid not in _FACTS.items)
    for path in changed:
        counted.drop(path)
        oid = listing.get(path)
        if oid is not None and path.startswith(root + "/") and path.count("/", cut) == 1:
            counted.add(path, path[cut : -len(tail)], _facts(change, oid, path))
    counted.listing = listing
    if len(_COUNTED) >= 8:
        _COUNTED.clear()
    _COUNTED[layout.key] = counted  # kept only once brought up to date (a read that fails leaves none)
    return counted
