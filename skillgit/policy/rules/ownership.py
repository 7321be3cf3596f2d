"""SG002 (allow-list: the agent changes only its own skills) and SG003 (no self-edit, no protected paths)."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from typing import TYPE_CHECKING

from skillgit.config import CONFIG_FILE
from skillgit.evals.seal import HOLDOUT_FILE, LOCK_FILE
from skillgit.model.skill import Skill, SkillParseError
from skillgit.policy.model import Change, Option, Rule, Violation
from skillgit.policy.rules.common import (
    ACTIVE,
    ATTIC,
    load_skill,
    place_of,
    skill_dir,
    skill_file,
    skill_of,
    touched_skills,
    tree_note,
)
from skillgit.policy.rules.protected import READS

if TYPE_CHECKING:
    from skillgit.config import Config

_FIX_OWNER = "Only a maintainer may change ownership; commit it as a manual event."
_FIX_FOREIGN = "Leave this skill to a maintainer (a manual event), or have a maintainer set `origin: {origin}` on it first."
_FIX_CORE = "Core skills are never changed by an agent; a maintainer commits such edits as a manual event."


class AllowList(Rule):
    """SG002: every skill an agent commit touches has `origin: <agent.origin>` and no `core: true`,
    in its parsed frontmatter both before and after the change (options: `agent.origin`)."""

    id = "SG002"
    name = "allow-list"
    agent_only = True
    options = (Option("agent.origin", "string|null", None,
                      "The frontmatter `origin` of the skills the agent may change (SG002); unset: an agent commit may "
                      "change no skill."),)

    def check(self, change: Change, config: Config) -> list[Violation]:
        out: list[Violation] = []
        for name, locations in touched_skills(change, config).items():
            out.extend(self._check_skill(change, config, name, locations))
        return out

    def _violation(self, change: Change, path: str, message: str, fix: str) -> Violation:
        return Violation(self.id, self.name, message, fix, path=path, commit=change.commit)

    def refusal(self, name: str, skill: Skill | None, config: Config) -> str | None:
        """Why an agent may not change skill `name` with frontmatter `skill` (None: it does not parse), in
        a phrase; None when this rule lets it."""
        origin = config.agent.origin
        if skill is None:
            return f"`{name}` has a SKILL.md that does not parse, so its owner is unknown"
        if skill.core:
            return f"`{name}` is `core: true`"
        if not origin:
            return "agent.origin is not set in skillgit.yaml"
        if skill.origin != origin:
            return f"`{name}` has origin `{skill.origin or 'unknown'}`, not `{origin}`"
        return None

    def _check_skill(self, change: Change, config: Config, name: str, locations: set[str]) -> list[Violation]:
        want = config.agent.origin
        out: list[Violation] = []
        before: tuple[str, Skill] | None = None
        after: tuple[str, Skill] | None = None
        for location in (ACTIVE, ATTIC):
            if location not in locations:
                continue
            path = skill_file(config, name, location, change)
            for when, raw in (("before", change.before(path)), ("after", change.after(path))):
                if raw is None:
                    continue
                parsed = load_skill(raw, path)
                if isinstance(parsed, SkillParseError):
                    out.append(self._violation(
                        change, path,
                        f"the frontmatter {when} the change cannot be parsed ({parsed.problem}), so its owner is unknown "
                        "and an agent commit may not touch it",
                        "A maintainer must repair the file in a manual event.",
                    ))
                elif when == "before" and before is None:
                    before = (path, parsed)
                elif when == "after":
                    after = (path, parsed)
        if out:
            return out
        if before is None and after is None:
            where = skill_dir(config, name, ACTIVE if ACTIVE in locations else ATTIC, change)
            return [self._violation(
                change, where,
                f"no SKILL.md before or after the change{tree_note(change)}, so the skill has no known owner "
                "and an agent commit may not touch it",
                _FIX_FOREIGN.format(origin=want or "<agent.origin>"),
            )]
        path = after[0] if after else before[0] if before else ""
        if not want:
            return [self._violation(
                change, path, "`agent.origin` is not set in skillgit.yaml, so an agent commit may change no skill",
                "Set `agent.origin` (e.g. `origin: yoyo`) in skillgit.yaml in a maintainer commit.",
            )]
        return self._ownership(change, want, path, before, after)

    def _ownership(
        self, change: Change, want: str, path: str, before: tuple[str, Skill] | None, after: tuple[str, Skill] | None
    ) -> list[Violation]:
        out: list[Violation] = []
        versions = [v[1] for v in (before, after) if v]
        if before and after and before[1].origin != after[1].origin:
            out.append(self._violation(
                change, path,
                f"frontmatter key `origin` changed from `{_shown(before[1].origin)}` to `{_shown(after[1].origin)}` "
                "in an agent commit",
                _FIX_OWNER,
            ))
        else:
            origin = versions[0].origin
            if origin != want:
                what = f"has `origin: {origin}`" if origin is not None else "has no `origin` (owner unknown)"
                out.append(self._violation(
                    change, path, f"the skill {what}; an agent commit may only change skills with `origin: {want}`",
                    _FIX_FOREIGN.format(origin=want),
                ))
        if before and after and before[1].core != after[1].core:
            out.append(self._violation(
                change, path,
                f"frontmatter key `core` changed from `{_core(before[1])}` to `{_core(after[1])}` in an agent commit",
                _FIX_CORE,
            ))
        elif any(s.core for s in versions):
            out.append(self._violation(change, path, "the skill is a core skill (`core: true`)", _FIX_CORE))
        return out


def _shown(origin: str | None) -> str:
    return origin if origin is not None else "(none)"


def _core(skill: Skill) -> str:
    return "true" if skill.core else "(not true)"


def is_holdout_path(path: str, config: Config, change: Change | None = None) -> bool:
    """`<skill folder>/evals/holdout.jsonl` or its lock."""
    if not path.endswith(_HOLDOUT_TAILS):
        return False  # (whatever skill it lies in: the tail after its folder cannot be either)
    hit = place_of(path, config, change)
    if hit is None:
        return False
    tail = path[len(hit.dir) + 1 :]
    return tail in (f"evals/{HOLDOUT_FILE}", f"evals/{LOCK_FILE}")


_HOLDOUT_TAILS = (f"/evals/{HOLDOUT_FILE}", f"/evals/{LOCK_FILE}")


def protected_glob(path: str, config: Config) -> str | None:
    """The `policy.protected_paths` pattern that covers `path` (skillgit.yaml always is); the answers for the
    last patterns asked are kept by path (`verify` asks for the same skill files again and again)."""
    patterns = tuple(config.policy.protected_paths)
    found = _GLOBS.get(patterns)
    if found is None or len(found) >= _GLOBS_MAX:
        if len(_GLOBS) >= 8:
            _GLOBS.clear()
        found = _GLOBS[patterns] = {}
    if path in found:
        return found[path]
    glob = found[path] = _protected_glob(path, patterns)
    return glob


_GLOBS: dict[tuple[str, ...], dict[str, str | None]] = {}
"""`policy.protected_paths` → {path: the pattern that covers it}."""
_GLOBS_MAX = 65536


def _protected_glob(path: str, protected: tuple[str, ...]) -> str | None:
    patterns = [CONFIG_FILE, *protected]
    for pattern in patterns:
        pattern = str(pattern)
        if pattern.endswith("/") and path.startswith(pattern):
            return pattern
        if fnmatch.fnmatchcase(path, pattern):
            return pattern
    return None


def _always_protected(config: Config) -> Callable[[str], tuple[str | None, str | None]]:
    """`path` → (why it is always protected, the evidence source it belongs to) under `config` (see
    `protected_reason` and `evidence_key`); the answers for the last config asked are kept by path."""
    if _ALWAYS and _ALWAYS[0][0] is config:
        return _ALWAYS[0][1]
    from skillgit.policy.rules.protected import evidence_key, evidence_sources, protected_reason

    sources = evidence_sources(config)
    found: dict[str, tuple[str | None, str | None]] = {}

    def always(path: str) -> tuple[str | None, str | None]:
        hit = found.get(path)
        if hit is None:
            if len(found) >= _GLOBS_MAX:
                found.clear()
            hit = found[path] = (protected_reason(path, config), evidence_key(path, sources))
        return hit

    _ALWAYS[:] = [(config, always)]
    return always


_ALWAYS: list[tuple[Config, Callable[[str], tuple[str | None, str | None]]]] = []


class NoSelfEdit(Rule):
    """SG003: an agent commit (of any event type, or none) does not touch the evolver's own skill
    (`agent.self_skill`, active or attic), skillgit.yaml, `policy.protected_paths`, any holdout file,
    git-hook folders, CI configuration, or the files of the eval runner and judge commands; it only
    adds to or appends to the trace and learning sources named in the config."""

    id = "SG003"
    name = "no-self-edit"
    agent_only = True
    options = (
        Option("agent.self_skill", "string|null", None,
               "The evolver's own skill: never editable by the agent (SG003), in the skill roots or the attic."),
        Option("policy.protected_paths", "array",
               ["skillgit.yaml", "hooks/**", ".githooks/**", ".github/**", ".ci/**", ".pre-commit-config.yaml",
                ".pre-commit-hooks.yaml"],
               "Globs an agent commit may not touch (SG003), on top of the built-in list: skillgit.yaml, hook folders, "
               "CI configuration, the eval runner's and judge's files."),
    )
    reads = READS

    def refusal(self, name: str, config: Config) -> str | None:
        """Why an agent may not change skill `name` (it is the evolver's own), in a phrase; None when this
        rule lets it."""
        if name == config.agent.self_skill:
            return f"`{name}` is the evolver's own skill (agent.self_skill)"
        return None

    def check(self, change: Change, config: Config) -> list[Violation]:
        from skillgit.policy.rules.protected import evidence_problem

        out: list[Violation] = []
        self_skill = config.agent.self_skill
        always = _always_protected(config)
        for f in change.files:
            hit = skill_of(f.path, config, change)
            glob = protected_glob(f.path, config)
            fix = "Only a maintainer may change it; take the file out of the agent's change."
            if self_skill and hit and hit[0] == self_skill:
                what = f"the evolver's own skill `{self_skill}` (agent.self_skill)"
            elif is_holdout_path(f.path, config, change):
                what = "a sealed holdout file"
            elif glob is not None:
                what = f"a protected path (`{glob}`, policy.protected_paths)"
            elif (reason := always(f.path)[0]) is not None:
                what = f"a protected path ({reason})"
            elif (key := always(f.path)[1]) is not None and (problem := evidence_problem(change, f)):
                what = f"evidence the metrics are computed from ({key}): it {problem}"
                fix = "An agent may add trace and learning files and append to them, never rewrite them; undo that part."
            else:
                continue
            out.append(Violation(self.id, self.name, f"an agent commit changes {what}", fix, path=f.path,
                                 commit=change.commit))
        return out
