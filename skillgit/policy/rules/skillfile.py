"""SG007: every SKILL.md a commit adds or changes is valid, with a ratchet for problems that predate adoption.

A problem listed for the skill in `baseline:` (what `skillgit init` found) is tolerated while the change
does not make it worse: the version before the change had the same problem (same check and key), and
a measured one (a length, a size) did not grow. Each check can be turned off on its own with
`policy.disabled: [SG007/<check>]`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from skillgit import trailers as T
from skillgit.model.skill import SKILL_FILE, Skill
from skillgit.policy.model import Change, FileChange, Option, Rule, Violation
from skillgit.policy.rules.common import event_kind, event_skill, load_skill, place_of
from skillgit.policy.trees import Bounded

if TYPE_CHECKING:
    from skillgit.config import Config
    from skillgit.model.validate import Problem

SYMLINK = "120000"
RULE = "SG007"
AGENT_CHECKS = ("frontmatter-size", "body-size", "agent-description", "candidate-prefix")
"""SG007's own checks on agent commits; the others are `skillgit validate`'s rules (docs/rules.md)."""


@dataclass(frozen=True)
class Found:
    """One problem of one SKILL.md: the check, the frontmatter key, a size where the check measures one."""

    check: str
    key: str | None
    measure: int | None
    message: str
    fix: str

    @property
    def ident(self) -> str:
        """How the baseline names it: `SG007/length:description`."""
        return f"{RULE}/{self.check}" + (f":{self.key}" if self.key else "")


def file_problems(raw: bytes, path: str, config: Config, *, agent: bool = False, is_new: bool = False) -> list[Found]:
    """Every error of one SKILL.md (`agent`: with the agent's limits; `is_new`: an agent-created skill)."""
    from skillgit.model.validate import validate_skill, validate_skill_bytes

    skill = load_skill(raw, path)
    unknown = config.policy.unknown_fields
    if not isinstance(skill, Skill):
        return _found(validate_skill_bytes(raw, path, unknown_fields=unknown), None)
    key = (path, raw[: skill.span[1]], unknown)
    found = _CHECKED.items.get(key)
    if found is None:
        found = _CHECKED.put(key, tuple(_found(validate_skill(skill, unknown_fields=unknown), skill)), 1)
    out = list(found)
    if agent:
        out.extend(_agent_limits(config, skill, is_new=is_new))
    return out


_CHECKED: Bounded[tuple[str, bytes, str], tuple[Found, ...]] = Bounded(20_000)
"""The problems of each SKILL.md validated, by path and the bytes up to the end of its frontmatter (all that
validation reads): a refine that edits only the body is not validated again."""


def _found(problems: list[Problem], skill: Skill | None) -> list[Found]:
    out = []
    for p in problems:
        if p.severity != "error":
            continue
        where = f"line {p.line}: " if p.line else ""
        key = f"`{p.key}`: " if p.key else ""
        measure = _length(skill, p.key) if p.rule == "length" and skill is not None else None
        out.append(Found(p.rule, p.key, measure, f"{where}{key}{p.message}", p.fix[:1].upper() + p.fix[1:]))
    return out


def _length(skill: Skill, key: str | None) -> int | None:
    value: object = skill.frontmatter
    for part in (key or "").split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return len(value) if isinstance(value, str | list | Mapping) else None


def _agent_limits(config: Config, skill: Skill, *, is_new: bool) -> list[Found]:
    p = config.policy
    out: list[Found] = []
    # a limit the bytes (or, for words, half the characters) cannot pass is not counted against
    chars = skill.span[1] - skill.span[0]
    if chars > p.frontmatter_max_chars and (chars := len(skill.frontmatter_text)) > p.frontmatter_max_chars:
        out.append(Found("frontmatter-size", None, chars,
                         f"the frontmatter is {chars} characters (limit {p.frontmatter_max_chars}, policy.frontmatter_max_chars)",
                         "Shorten the frontmatter: move detail into the body."))
    words = (len(skill.body) + 1) // 2
    if words > p.body_max_words and (words := len(skill.body.split())) > p.body_max_words:
        out.append(Found("body-size", None, words, f"the body is {words} words (limit {p.body_max_words}, policy.body_max_words)",
                         "Shorten the body: move reference material into separate files next to SKILL.md."))
    if is_new:
        description = skill.description
        if len(description) > p.agent_description_max:
            out.append(Found("agent-description", "description", len(description),
                             f"the description of an agent-created skill is {len(description)} characters "
                             f"(limit {p.agent_description_max}, policy.agent_description_max)",
                             "Shorten the description to one sentence."))
        if not description.startswith(p.candidate_prefix):
            out.append(Found("candidate-prefix", "description", None,
                             f"the description of an agent-created skill does not start with `{p.candidate_prefix}`",
                             f"Prefix it with `{p.candidate_prefix} ` (policy.candidate_prefix) until a maintainer reviews it."))
    return out


def tolerated(found: Found, before: list[Found], allowed: frozenset[str]) -> bool:
    """A baseline problem the change kept without making it worse."""
    if found.ident not in allowed:
        return False
    for old in before:
        if old.ident == found.ident and (found.measure is None or old.measure is None or found.measure <= old.measure):
            return True
    return False


def baseline_of(config: Config, *names: str | None) -> frozenset[str]:
    """The baseline entries of the skills `names` (a renamed skill keeps its old name's)."""
    table = config.baseline
    out: set[str] = set()
    for name in names:
        if name:
            out.update(str(x) for x in (table.get(name) or ()))
    return frozenset(out)


class SkillFileValid(Rule):
    """SG007: every SKILL.md a commit adds or changes validates (schema, name = directory; errors only).
    In agent commits also: frontmatter ≤ `policy.frontmatter_max_chars` (1900), body ≤
    `policy.body_max_words` (5000); and an agent `create` has a description ≤
    `policy.agent_description_max` (200) that starts with `policy.candidate_prefix`. A problem in the
    skill's `baseline` passes while the change does not make it worse; `SG007/<check>` in
    `policy.disabled` turns one check off."""

    id = RULE
    name = "skill-file-valid"
    agent_only = False
    options = (
        Option("policy.unknown_fields", "string", "warn",
               "What `skillgit validate` and SG007 make of a frontmatter key the skill format does not know.",
               ("warn", "error", "ignore")),
        Option("policy.frontmatter_max_chars", "integer", 1900,
               "Characters of frontmatter a SKILL.md may have after an agent commit (SG007)."),
        Option("policy.body_max_words", "integer", 5000, "Words of body a SKILL.md may have after an agent commit (SG007)."),
        Option("policy.agent_description_max", "integer", 200,
               "Characters of description a skill an agent creates may have (SG007)."),
        Option("policy.candidate_prefix", "string", "[CANDIDATE — unreviewed]",
               "How the description of a skill an agent creates starts, until a maintainer reviews it (SG007)."),
    )
    checks = ("file", "required", "type", "length", "pattern", "enum", "range", "schema", "name-dir-mismatch",
              "unknown-field", "symlink", *AGENT_CHECKS)

    def check(self, change: Change, config: Config) -> list[Violation]:
        out: list[Violation] = []
        for f in change.files:
            if f.new_mode == SYMLINK and f.new_oid is not None:
                leak = symlink_leak(f.path, change.read_blob(f.new_oid), config, change)
                if leak is not None:
                    out.append(self._v(change, f.path, "symlink", leak, "Replace the link with the file itself: a skill is "
                                       "read on its own, and a link out of it stands in for files outside the skill."))
        created = event_skill(change) if event_kind(change) == "create" else None
        renamed = change.message.trailers.get(T.RENAMED_FROM) if change.message is not None else None
        for f in change.files:
            hit = place_of(f.path, config, change)
            if hit is None or f.new_oid is None or f.path != hit.skill_file or _moved(change, f):
                continue
            found = file_problems(change.read_blob(f.new_oid), f.path, config, agent=change.agent, is_new=hit.name == created)
            if not found:
                continue
            moved_from = renamed or _folder_moved_from(change, f)
            allowed = baseline_of(config, hit.name, moved_from)
            before: list[Found] = []
            old = _before(change, f, moved_from) if allowed else None
            if old is not None:
                before = file_problems(change.read_blob(old), f.path, config, agent=change.agent)
            for p in found:
                if not tolerated(p, before, allowed):
                    out.append(self._v(change, f.path, p.check, p.message, p.fix))
        return out

    def _v(self, change: Change, path: str, check: str, message: str, fix: str) -> Violation:
        return Violation(self.id, self.name, message, fix, path=path, commit=change.commit, check=check)


def _before(change: Change, f: FileChange, renamed: str | None) -> str | None:
    """The blob of the same skill's SKILL.md before the change: its old content, or (a move or a rename)
    the SKILL.md the change removed from the skill's former folder."""
    if f.old_oid is not None:
        return f.old_oid
    names = {posixpath.basename(posixpath.dirname(f.path)), renamed}
    for g in change.files:
        if g.new_oid is None and g.old_oid is not None and g.path.endswith("/" + SKILL_FILE):
            if posixpath.basename(posixpath.dirname(g.path)) in names:
                return g.old_oid
    return None


def symlink_leak(path: str, target: bytes, config: Config, change: Change | None = None) -> str | None:
    """What is wrong with a symlink at `path` pointing to `target` when it leaves its skill's folder
    (or is a skill's folder itself); None for a link that stays inside, or lies outside any skill."""
    shown = target.decode("utf-8", "replace")
    hit = place_of(path, config, change)
    if hit is None:
        if any("/" not in path[len(root) + 1 :] for root, _location in config.layout.roots_of(path)):
            return f"the skill folder {path} is a symlink (to `{shown}`)"
        return None
    folder = hit.dir
    text = target.decode("utf-8", "surrogateescape")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), text))
    if text.startswith("/") or not (resolved == folder or resolved.startswith(folder + "/")):
        return f"a symlink to `{shown}`, outside the skill's folder {folder}/"
    return None


def _folder_moved_from(change: Change, f: FileChange) -> str | None:
    """The former folder's name when the change moved a whole skill folder to `f`'s (`git mv`; the other
    files unchanged): a rename before its trailers exist (the pre-commit hook sees no message yet)."""
    if f.old_oid is not None:
        return None
    new = posixpath.dirname(f.path)
    added = {g.path[len(new) + 1:]: g.new_oid for g in change.files if g.path.startswith(new + "/") and g.old_oid is None}
    for g in change.files:
        if g.new_oid is None and g.old_oid is not None and g.path.endswith("/" + SKILL_FILE):
            old = posixpath.dirname(g.path)
            removed = {h.path[len(old) + 1:]: h.old_oid for h in change.files if h.path.startswith(old + "/") and h.new_oid is None}
            if removed.keys() == added.keys() and all(removed[k] == added[k] for k in removed if k != SKILL_FILE):
                return posixpath.basename(old)
    return None


def _moved(change: Change, f: FileChange) -> bool:
    """The same bytes were a SKILL.md of the same skill before (a move, or a mode change)."""
    if f.old_oid == f.new_oid:
        return True
    name = f.path.rsplit("/", 2)[-2]
    return any(g.old_oid == f.new_oid and g.path.endswith(f"/{name}/{SKILL_FILE}") for g in change.files)
