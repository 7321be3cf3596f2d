"""SG004: one mutation per commit, and the shape of the change matches its `Skill-Event`."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from skillgit import trailers as T
from skillgit.config import CONFIG_FILE
from skillgit.events import EVENT_TYPES, NON_MUTATING
from skillgit.model.skill import SKILL_FILE, Skill
from skillgit.policy.model import Change, FileChange, Rule, Violation
from skillgit.policy.rules.common import (
    ACTIVE,
    ATTIC,
    event_kind,
    event_skill,
    event_skills,
    skill_dir,
    skill_of,
    touched_skills,
    tree_note,
)

if TYPE_CHECKING:
    from skillgit.config import Config

_FIX_SPLIT = "Split it: one commit per skill, each its own event (`skillgit record NAME` for a maintainer's edit)."


class OneMutation(Rule):
    """SG004: a mutating event changes exactly the one skill named by `Skill-Name`, in the way its type
    says (create = a new directory, retire/revive = an unchanged move to/from the attic, refine = a
    SKILL.md edit of an active skill, rollback/manual = any change in that skill's directories).
    Non-mutating events change no skill files (`init` only skillgit.yaml); a commit that is not an
    event changes at most one skill."""

    id = "SG004"
    name = "one-mutation-per-commit"
    agent_only = False

    def check(self, change: Change, config: Config) -> list[Violation]:
        kind = event_kind(change)
        out = self._agent_kind(change, kind)
        return out + self._shape(change, config, kind)

    def _agent_kind(self, change: Change, kind: str | None) -> list[Violation]:
        """An agent records neither a maintainer's own edit (`manual`), a rename, nor the start of management (`init`)."""
        if not change.agent or kind not in MAINTAINER_EVENTS:
            return []
        what = {"manual": "a maintainer's own edit", "rename": "a maintainer's change of a skill's name"}.get(
            kind or "", "the start of skillgit's management")
        return [self._v(
            change, None, f"an agent commit records a `{kind}` event; `{kind}` is {what} and only a maintainer makes it",
            "The agent changes a skill with the event that fits (refine, create, retire, rollback through "
            "`skillgit cycle` or the event commands), under the agent rules; leave this change to a maintainer.",
        )]

    def _shape(self, change: Change, config: Config, kind: str | None) -> list[Violation]:
        touched = touched_skills(change, config)
        name = event_skill(change)
        if kind is None or kind not in EVENT_TYPES or (kind not in NON_MUTATING and name is None):
            if len(touched) < 2 or (change.message is None and not change.agent):
                return []  # (no message yet: the pre-commit hook; commit-msg names every skill of a maintainer's commit)
            names = ", ".join(f"`{n}`" for n in touched)
            what = "a commit that is not a skill event" if kind is None else f"a `{kind}` commit"
            return [self._v(change, None, f"{what} changes {len(touched)} skills ({names})", _FIX_SPLIT)]
        if kind in NON_MUTATING:
            return self._non_mutating(change, config, kind, touched)
        assert name is not None
        out: list[Violation] = []
        named = event_skills(change)
        several = kind in ("manual", "rename") and not change.agent
        others = [n for n in touched if n not in (named if several else [name])]
        if others:
            fix = ("Name every skill the commit changes: one `Skill-Name` and one `Skill-Version` per skill "
                   "(the commit-msg hook writes them for a maintainer's commit)." if several else
                   "One mutation per commit: commit each other skill's change as its own event.")
            out.append(self._v(
                change, None,
                f"the `{kind}` event for `{name}` also changes {', '.join(f'`{n}`' for n in others)}", fix,
            ))
        for each in (named if several else [name]):
            if each not in touched:
                out.append(self._v(
                    change, skill_dir(config, each, ACTIVE, change),
                    f"the `{kind}` event names `{each}` (Skill-Name) but changes none of its files",
                    "Name the skill the commit really changes, or add its change to the commit.",
                ))
        if name not in touched:
            return out
        if kind == "rename":
            old = change.message.trailers.get(T.RENAMED_FROM) if change.message is not None else None
            if old is not None and old in touched:
                for path, message, fix in _rename(change, config, old, name):
                    out.append(self._v(change, path, message, fix))
            return out
        check = _AGENT_SHAPES.get(kind) if change.agent else None
        check = check or _SHAPES.get(kind)
        if check is not None:
            for path, message, fix in check(change, config, name, touched[name]):
                out.append(self._v(change, path, message, fix))
        return out

    def _v(self, change: Change, path: str | None, message: str, fix: str) -> Violation:
        return Violation(self.id, self.name, message, fix, path=path, commit=change.commit)

    def _non_mutating(self, change: Change, config: Config, kind: str, touched: dict[str, set[str]]) -> list[Violation]:
        out: list[Violation] = []
        if kind == "init" and touched and not change.agent and all(_origin_stamp(change, config, f) for f in change.files
                                                                    if skill_of(f.path, config, change) is not None):
            touched = {}  # `init --stamp-origin`: only `origin:` added to skills that had none
        if touched:
            names = ", ".join(f"`{n}`" for n in touched)
            out.append(self._v(
                change, None, f"the `{kind}` event changes skill files (of {names}); `{kind}` records no change",
                "Commit the skill change as its own event (create/refine/retire/revive/rollback/manual).",
            ))
        if kind == "init":
            extra = [f.path for f in change.files if f.path != CONFIG_FILE and skill_of(f.path, config, change) is None]
            if extra:
                shown = ", ".join(extra[:5]) + (" …" if len(extra) > 5 else "")
                out.append(self._v(
                    change, None, f"the `init` event changes {shown}; it may only add {CONFIG_FILE}",
                    "Commit those files separately, before or after `skillgit init`.",
                ))
        return out


Problem = tuple[str | None, str, str]


def _origin_stamp(change: Change, config: Config, f: FileChange) -> bool:
    """`f` is a skill's SKILL.md whose only change is an `origin` key added to its frontmatter."""
    from skillgit.policy.rules.common import load_skill, place_of

    hit = place_of(f.path, config, change)
    if hit is None or f.path != hit.skill_file or f.old_oid is None or f.new_oid is None:
        return False
    before, after = load_skill(change.read_blob(f.old_oid), f.path), load_skill(change.read_blob(f.new_oid), f.path)
    if not isinstance(before, Skill) or not isinstance(after, Skill) or "origin" in before.frontmatter:
        return False
    rest = {k: v for k, v in after.frontmatter.items() if k != "origin"}
    return rest == dict(before.frontmatter) and after.body == before.body and "origin" in after.frontmatter


def _before(change: Change, directory: str) -> dict[str, str]:
    """`{relative path: blob id}` of the files under `directory` before the change (as far as known)."""
    prefix = directory + "/"
    out = {f.path[len(prefix):]: f.old_oid for f in change.files if f.path.startswith(prefix) and f.old_oid}
    if change.tree_files is not None:
        touched = {f.path for f in change.files}
        for path, oid in change.tree_files(directory).items():
            if path not in touched and path.startswith(prefix):
                out[path[len(prefix):]] = oid
    return out


def _after(change: Change, directory: str) -> dict[str, str]:
    """`{relative path: blob id}` of the files under `directory` after the change (as far as known)."""
    prefix = directory + "/"
    if change.tree_files is not None:
        return {p[len(prefix):]: oid for p, oid in change.tree_files(directory).items() if p.startswith(prefix)}
    return {f.path[len(prefix):]: f.new_oid for f in change.files if f.path.startswith(prefix) and f.new_oid}


def _create(change: Change, config: Config, name: str, locations: set[str]) -> list[Problem]:
    active, attic = skill_dir(config, name, ACTIVE, change), skill_dir(config, name, ATTIC, change)
    out: list[Problem] = []
    if ATTIC in locations:
        out.append((attic, f"the `create` event changes the retired copy in {attic}/",
                    f"Bring a retired skill back with `skillgit revive {name}`; a create adds a new {active}/ only."))
    if _before(change, active):
        out.append((active, f"{active}/ already existed before this `create` event",
                    f"Change an existing skill with `skillgit refine {name}`."))
    elif SKILL_FILE not in _after(change, active):
        out.append((f"{active}/{SKILL_FILE}", f"the `create` event adds no {active}/{SKILL_FILE}",
                    "A new skill is a directory with a SKILL.md; add it to the commit."))
    if ATTIC not in locations and _before(change, attic):
        out.append((attic, f"`{name}` is retired in {attic}/; creating it again would give one name two skills",
                    f"Run `skillgit revive {name}` instead."))
    return out


def _move(change: Change, config: Config, name: str, kind: str, src_loc: str, dst_loc: str) -> list[Problem]:
    src, dst = skill_dir(config, name, src_loc, change), skill_dir(config, name, dst_loc, change)
    moved = _before(change, src)
    left = _after(change, src)
    landed = _after(change, dst)
    out: list[Problem] = []
    if SKILL_FILE not in moved:
        return [(f"{src}/{SKILL_FILE}", f"the `{kind}` event moves no skill: {src}/{SKILL_FILE} did not exist before",
                 f"A `{kind}` moves {src}/ to {dst}/; check the skill name and where it is now.")]
    if left:
        shown = ", ".join(sorted(left)[:5])
        out.append((src, f"the `{kind}` event leaves files in {src}/ ({shown}){tree_note(change)}",
                    f"Move the whole directory: every file of {src}/ goes to {dst}/."))
    if landed != moved:
        differ = sorted(k for k in set(landed) | set(moved) if landed.get(k) != moved.get(k))
        shown = ", ".join(differ[:5]) + (" …" if len(differ) > 5 else "")
        out.append((dst, f"the `{kind}` event does not move {src}/ to {dst}/ unchanged (differs: {shown})",
                    f"Make the move alone (`skillgit {kind} {name}`); commit content changes as their own event."))
    return out


def _rename(change: Change, config: Config, old: str, new: str) -> list[Problem]:
    """A rename moves the whole folder of `old` to a new folder named `new` (its SKILL.md may change: the
    `name` in it follows the folder; other files move as they are)."""
    src, dst = skill_dir(config, old, ACTIVE, change), skill_dir(config, new, ACTIVE, change)
    moved, left, landed, existed = _before(change, src), _after(change, src), _after(change, dst), _before(change, dst)
    fix = f"Rename with `skillgit mv {old} {new}`, which moves the folder alone; commit other changes as their own events."
    out: list[Problem] = []
    if SKILL_FILE not in moved:
        return [(f"{src}/{SKILL_FILE}", f"the `rename` event names `{old}` (Skill-Renamed-From), which had no {src}/{SKILL_FILE}", fix)]
    if existed:
        out.append((dst, f"{dst}/ existed before this `rename`; a rename moves a skill to a new folder", fix))
    if left:
        out.append((src, f"the `rename` event leaves files in {src}/ ({', '.join(sorted(left)[:5])})", fix))
    differ = sorted(k for k in set(landed) | set(moved) if k != SKILL_FILE and landed.get(k) != moved.get(k))
    if differ or SKILL_FILE not in landed:
        shown = ", ".join((differ or [SKILL_FILE])[:5]) + (" …" if len(differ) > 5 else "")
        out.append((dst, f"the `rename` event does not move {src}/ to {dst}/ as it was (differs: {shown})", fix))
    return out


def _retire(change: Change, config: Config, name: str, locations: set[str]) -> list[Problem]:
    return _move(change, config, name, "retire", ACTIVE, ATTIC)


def _revive(change: Change, config: Config, name: str, locations: set[str]) -> list[Problem]:
    return _move(change, config, name, "revive", ATTIC, ACTIVE)


def _refine(change: Change, config: Config, name: str, locations: set[str]) -> list[Problem]:
    active, attic = skill_dir(config, name, ACTIVE, change), skill_dir(config, name, ATTIC, change)
    path = f"{active}/{SKILL_FILE}"
    out: list[Problem] = []
    if ATTIC in locations:
        out.append((attic, f"the `refine` event changes the retired copy in {attic}/",
                    f"Only active skills are refined; revive it first (`skillgit revive {name}`)."))
    edit = next((f for f in change.files if f.path == path), None)
    if edit is None:
        out.append((path, f"the `refine` event does not edit {path}",
                    "A refine is an edit of SKILL.md; other files of the skill may change with it."))
    elif edit.old_oid is None:
        out.append((path, f"the `refine` event adds {path}, which did not exist", f"Add a new skill with `skillgit create {name}`."))
    elif edit.new_oid is None:
        out.append((path, f"the `refine` event deletes {path}", f"Remove a skill with `skillgit retire {name}`."))
    return out


def _agent_rollback(change: Change, config: Config, name: str, locations: set[str]) -> list[Problem]:
    """An agent's rollback restores exactly the skill's files at one of the commits it names
    (`Skill-Rollback-Of`, or the commit a plain revert undoes) or at the parent of one: events in
    the history before it, so a commit made aside cannot pass for a version."""
    active = skill_dir(config, name, ACTIVE, change)
    fix = f"Roll back with `skillgit rollback {name} --to vN`, which restores a version exactly; any other edit is a refine."
    if change.files_at is None or change.tree_files is None:
        return [(active, "cannot compare the rollback with earlier versions: the change carries no tree lookups",
                 "Build the Change with `files_at` and `tree_files`.")]
    restored = _after(change, active)
    value = (change.message.trailers.get(T.ROLLBACK_OF) or "") if change.message else ""
    span = re.match(r"^([0-9a-f]{7,40})\.\.([0-9a-f]{7,40})", value)
    if span is not None and _restores(change, config, name, span.group(1), restored):
        return []  # `<target>..<last>`: the version at `target` comes back
    named = [c for c in re.split(r"[ ,]+", value) if c] if span is None else [span.group(2)]
    if change.revert_of:
        named.append(change.revert_of)
    events = {}
    for event in reversed(change.history):
        for commit in named:
            if event.commit.startswith(commit) and commit not in events:
                events[commit] = event
        if len(events) == len(named):
            break
    for event in events.values():
        for rev in (event.commit, *event.parents[:1]):
            if _restores(change, config, name, rev, restored):
                return []
    shown = ", ".join(c[:12] for c in named) or "none"
    return [(active, f"the agent `rollback` of `{name}` does not restore a previous version: {active}/ after it matches "
                     f"the skill at none of the events it names (Skill-Rollback-Of: {shown}) nor at their parents", fix)]


def _restores(change: Change, config: Config, name: str, rev: str, restored: dict[str, str]) -> bool:
    """The skill's folder after the change holds what it held at commit `rev` (active or retired)."""
    assert change.files_at is not None
    for location in (ACTIVE, ATTIC):
        directory = skill_dir(config, name, location, change)
        prefix = directory + "/"
        then = {p[len(prefix):]: oid for p, oid in change.files_at(rev, directory).items() if p.startswith(prefix)}
        if restored and then == restored:
            return True
    return False


_SHAPES = {"create": _create, "retire": _retire, "revive": _revive, "refine": _refine}
_AGENT_SHAPES = {"rollback": _agent_rollback}
MAINTAINER_EVENTS = ("manual", "init", "rename")
"""Events only a maintainer records."""
