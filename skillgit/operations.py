"""The event operations: init, create, refine, retire, revive, record, rollback — each exactly one commit.

Each function validates everything first, then calls `Workspace.commit_event` once. On any error
nothing is written: HEAD, index and work tree stay as they were.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from skillgit import trailers as T
from skillgit.config import CONFIG_FILE, Config, default_config_text
from skillgit.errors import ConfigError, UsageError
from skillgit.events import version_value
from skillgit.git import AddFromWorktree, CopyTree, PutFile, RemovePath, TreeEdit, blob_id
from skillgit.model.expected import parse_expected
from skillgit.model.skill import check_name as check_skill_name
from skillgit.workspace import Workspace

MAX_SKILL_BYTES = 1_000_000


@dataclass(frozen=True)
class Result:
    """What an event operation did: the commit and a one-line summary."""

    commit: str
    event: str
    skill: str | None
    summary: str


def init(ws: Workspace, *, origin: str | None = None, self_skill: str | None = None) -> Result:
    """Write skillgit.yaml (unless present) and record the `init` event. Skills are not touched."""
    ws.require_committable("init")
    head = ws.repo.head()
    if head is not None:
        ws.require_history(head, "cannot tell whether this repository is initialised already")
    prior = [e for e in ws.events() if e.kind == "init"]
    if prior:
        raise UsageError(f"already initialised by {prior[-1].commit[:12]}; nothing to do.")
    path = ws.repo.root / CONFIG_FILE
    if path.exists():
        text = path.read_text(encoding="utf-8")
    else:
        if self_skill is None and (ws.repo.root / ws.skills_root / "skill-evolve" / "SKILL.md").exists():
            self_skill = "skill-evolve"
        text = default_config_text(origin, self_skill)
    ws.config = Config.from_text(text, CONFIG_FILE)
    body = f"skillgit manages the skills under {ws.config.paths.skills}/ from this commit on."
    commit = ws.commit_event(
        "init", skill=None, trailers=[], edits=[PutFile(CONFIG_FILE, text.encode("utf-8"))], body=body,
        sync=[CONFIG_FILE], worktree=not path.exists(),
    )
    ws.repo.write_commit_graph()
    return Result(commit, "init", None, f"initialised skillgit ({CONFIG_FILE})")


def _prediction(expected: str) -> str:
    T.check_value(T.EXPECTED, expected)
    parse_expected(expected)
    return expected.strip()


def _read_source(source: Path) -> bytes:
    from skillgit.safefile import FileTooLarge, describe, read_regular

    try:
        return read_regular(source, MAX_SKILL_BYTES)
    except FileTooLarge:
        raise UsageError(f"--from {source}: larger than {MAX_SKILL_BYTES} bytes; a SKILL.md must be smaller.") from None
    except OSError as exc:
        raise UsageError(f"--from {source}: {describe(exc)}; pass the path of the new SKILL.md file.") from None


def _check_skill_bytes(ws: Workspace, raw: bytes, path: str) -> None:
    """Refuse a SKILL.md that does not parse or validate (errors only; warnings pass)."""
    from skillgit.model.validate import validate_skill_bytes

    problems = [p for p in validate_skill_bytes(raw, path, unknown_fields=ws.config.policy.unknown_fields) if p.severity == "error"]
    if problems:
        lines = "\n".join(f"  {p.path}: {p.key or '(file)'}: {p.message}. {p.fix[:1].upper()}{p.fix[1:]}" for p in problems)
        raise UsageError(f"{path} is not a valid skill; nothing was committed:\n{lines}")


def _worktree_files(ws: Workspace, directory: str) -> list[str]:
    out = ws.repo.run("ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", directory)
    return [p for p in out.split("\0") if p]


def _check_no_escape(ws: Workspace, directory: str) -> None:
    """Refuse symlinks inside a skill directory that point outside it (the skill directory is the
    boundary, not the repository: a link to `../../.git/config` stays inside the repository)."""
    base = ws.repo.root / directory
    if base.is_symlink():
        raise UsageError(f"{directory} is a symlink; a skill directory must be a real directory inside the repository.")
    inside = base.resolve()
    for rel in _worktree_files(ws, directory):
        path = ws.repo.root / rel
        if path.is_symlink():
            link = os.readlink(path)
            target = path.resolve()
            if os.path.isabs(link) or not target.is_relative_to(inside):
                where = "the repository" if not target.is_relative_to(ws.repo.root.resolve()) else f"the skill's folder {directory}/"
                raise UsageError(
                    f"{rel} is a symlink to {link}, outside {where}; nothing was committed. Replace it with the file itself."
                )


def _touch_bookkeeping(raw: bytes, path: str, key: str) -> bytes:
    """Keep `last_evolved` current in the same commit when the skill carries it."""
    from skillgit.model.skill import parse_skill

    skill = parse_skill(raw, path)
    if key not in skill.frontmatter:
        return raw
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return skill.with_field(key, stamp).raw


def create(
    ws: Workspace,
    name: str,
    *,
    expected: str,
    source: Path | None = None,
    description: str | None = None,
    origin: str | None = None,
    agent: bool = False,
    eval_summary: str | None = None,
    trigger: str | None = None,
) -> Result:
    """Add a new skill: from --from FILE, from an uncommitted skills/NAME/ in the work tree, or a template."""
    ws.require_committable(f"create {name}")
    directory = ws.skill_dir(name)
    prediction = _prediction(expected)
    if ws.locate(name) is not None:
        raise UsageError(f"skill `{name}` already exists; use `skillgit refine {name}` to change it.")
    skill_md = f"{directory}/SKILL.md"
    edits: list[TreeEdit]
    on_disk = ws.repo.root / skill_md
    if source is not None:
        raw = _read_source(source)
        edits, worktree = [PutFile(skill_md, raw)], True
        if on_disk.exists() and on_disk.read_bytes() != raw:
            raise UsageError(f"{skill_md} exists in the work tree with other content; remove it or drop --from.")
    elif on_disk.exists():
        _check_no_escape(ws, directory)
        raw = on_disk.read_bytes()
        edits, worktree = [AddFromWorktree(directory)], False
    else:
        if not description:
            raise UsageError(f"no {skill_md} yet: write it first, or pass --from FILE, or --description to start from a template.")
        raw = _template(name, description, origin or (ws.config.agent.origin if agent else "creator"), ws.config)
        edits, worktree = [PutFile(skill_md, raw)], True
    _check_skill_bytes(ws, raw, skill_md)
    trailers = [(T.VERSION, version_value(None, blob_id(raw))), (T.EXPECTED, prediction)]
    if eval_summary:
        trailers.append((T.EVAL_SUMMARY, eval_summary))
    if trigger:
        trailers.insert(0, (T.TRIGGER, trigger))
    commit = ws.commit_event("create", skill=name, trailers=trailers, edits=edits, sync=[directory], worktree=worktree, agent=agent)
    return Result(commit, "create", name, f"created {directory}")


def _template(name: str, description: str, origin: str | None, config: Config) -> bytes:
    from skillgit.yamlio import load_yaml

    T.check_value("description", description)
    quoted = '"' + description.replace("\\", "\\\\").replace('"', '\\"') + '"'
    load_yaml(f"description: {quoted}\n", "--description")
    lines = ["---", f"name: {name}", f"description: {quoted}"]
    if origin:
        lines.append(f"origin: {origin}")
    lines += ["status: candidate", "---", "", f"# {name}", "", "## When to use", "", description, ""]
    return "\n".join(lines).encode("utf-8")


def refine(
    ws: Workspace,
    name: str,
    *,
    expected: str,
    source: Path | None = None,
    eval_summary: str | None = None,
    score_delta: str | None = None,
    parent_event: str | None = None,
    trigger: str | None = None,
    agent: bool = False,
    expect_head: str | None = None,
) -> Result:
    """Commit one skill's edit (the work tree's, or --from FILE) as a `refine` event."""
    ws.require_committable(f"refine {name}")
    entry = ws.require(name)
    directory = ws.skill_dir(name)
    skill_md = f"{directory}/SKILL.md"
    prediction = _prediction(expected)
    dirty = ws.repo.changed_paths([directory])
    if source is not None:
        if dirty:
            raise UsageError(f"{directory} has uncommitted edits ({', '.join(dirty[:3])}); commit or discard them before --from.")
        raw = _read_source(source)
    else:
        if not dirty:
            raise UsageError(f"nothing to refine: {directory} is unchanged; edit {skill_md} first or pass --from FILE.")
        _check_no_escape(ws, directory)
        on_disk = ws.repo.root / skill_md
        if not on_disk.exists():
            raise UsageError(f"{skill_md} was deleted; to remove a skill use `skillgit retire {name}`.")
        raw = on_disk.read_bytes()
    _check_skill_bytes(ws, raw, skill_md)
    raw = _touch_bookkeeping(raw, skill_md, "last_evolved")
    if raw == ws.repo.blob(entry.blob) and source is not None:
        raise UsageError(f"{source} is identical to {skill_md} at HEAD; nothing to refine.")
    edits: list[TreeEdit] = [] if source is not None else [AddFromWorktree(directory)]
    edits.append(PutFile(skill_md, raw))
    worktree = source is not None or raw != (ws.repo.root / skill_md).read_bytes()
    trailers = [(T.VERSION, version_value(entry.blob, blob_id(raw))), (T.EXPECTED, prediction)]
    for key, value in ((T.EVAL_SUMMARY, eval_summary), (T.SCORE_DELTA, score_delta), (T.PARENT_EVENT, parent_event)):
        if value:
            trailers.append((key, value))
    if trigger:
        trailers.insert(0, (T.TRIGGER, trigger))
    commit = ws.commit_event(
        "refine", skill=name, trailers=trailers, edits=edits, sync=[directory], worktree=worktree, agent=agent,
        expect_head=expect_head,
    )
    return Result(commit, "refine", name, f"refined {directory}")


def retire(ws: Workspace, name: str, *, reason: str | None = None, agent: bool = False, trigger: str | None = None) -> Result:
    """Move a skill to the attic (a soft delete that `revive` undoes)."""
    ws.require_committable(f"retire {name}")
    entry = ws.require(name, "active")
    src, dst = ws.skill_dir(name), ws.attic_dir(name)
    ws.require_clean([src, dst], f"retire {name}")
    edits: list[TreeEdit] = [RemovePath(dst), RemovePath(src), CopyTree("HEAD", src, dst)]
    trailers = [(T.VERSION, version_value(entry.blob, None))]
    if trigger:
        trailers.insert(0, (T.TRIGGER, trigger))
    if reason:
        trailers.append((T.REASON, reason))
    commit = ws.commit_event("retire", skill=name, trailers=trailers, edits=edits, sync=[src, dst], worktree=True, agent=agent)
    return Result(commit, "retire", name, f"moved {src} to {dst}")


def revive(ws: Workspace, name: str, *, reason: str | None = None) -> Result:
    """Move a retired skill back from the attic."""
    ws.require_committable(f"revive {name}")
    entry = ws.require(name, "attic")
    src, dst = ws.attic_dir(name), ws.skill_dir(name)
    ws.require_clean([src, dst], f"revive {name}")
    edits: list[TreeEdit] = [RemovePath(dst), RemovePath(src), CopyTree("HEAD", src, dst)]
    trailers = [(T.VERSION, version_value(None, entry.blob))]
    if reason:
        trailers.append((T.REASON, reason))
    commit = ws.commit_event("revive", skill=name, trailers=trailers, edits=edits, sync=[src, dst], worktree=True)
    return Result(commit, "revive", name, f"moved {src} back to {dst}")


def record(ws: Workspace, name: str | None = None, *, message: str | None = None) -> Result:
    """Commit a maintainer's own work-tree edit of one skill as a `manual` event."""
    ws.require_committable("record")
    if name is None:
        name = _single_changed_skill(ws)
    check_skill_name(name)
    entry = ws.locate(name)
    location = entry.location if entry else "active"
    directory = ws.dir_for(name, location)
    changed = ws.repo.changed_paths([directory])
    if not changed:
        raise UsageError(f"nothing to record: {directory} has no uncommitted changes.")
    _check_no_escape(ws, directory)
    skill_md = ws.repo.root / directory / "SKILL.md"
    after = None
    if skill_md.exists():
        raw = skill_md.read_bytes()
        _check_skill_bytes(ws, raw, f"{directory}/SKILL.md")
        after = blob_id(raw)
    trailers = [(T.VERSION, version_value(entry.blob if entry else None, after))]
    body = message.strip() if message else ""
    commit = ws.commit_event(
        "manual", skill=name, trailers=trailers, edits=[AddFromWorktree(directory)], body=body, sync=[directory]
    )
    return Result(commit, "manual", name, f"recorded the edit of {directory}")


def _single_changed_skill(ws: Workspace) -> str:
    names = sorted({hit[0] for p in ws.repo.changed_paths([ws.skills_root, ws.attic_root]) if (hit := ws.skill_name_of(p))})
    if not names:
        raise UsageError(f"nothing to record: no skill under {ws.skills_root}/ or {ws.attic_root}/ has changes.")
    if len(names) > 1:
        raise UsageError(f"several skills have changes ({', '.join(names)}); record one at a time: `skillgit record NAME`.")
    return names[0]


def rollback(ws: Workspace, name: str, *, to: str, reason: str | None = None, agent: bool = False) -> Result:
    """Restore a skill's content as of version `vN` or commit `REV`, as one `rollback` commit."""
    ws.require_committable(f"rollback {name}")
    from skillgit.history import resolve_version

    entry = ws.require(name, "active")
    directory = ws.skill_dir(name)
    ws.require_clean([directory], f"rollback {name}")
    target, undone = resolve_version(ws, name, to)
    source_dir = None
    for location in ("active", "attic"):
        candidate = ws.dir_for(name, location)
        if ws.repo.path_exists(target, f"{candidate}/SKILL.md"):
            source_dir = candidate
            break
    if source_dir is None:
        raise UsageError(f"{to}: skill `{name}` has no SKILL.md at {target[:12]}; pick another version from `skillgit versions {name}`.")
    restored = ws.repo.read_file(target, f"{source_dir}/SKILL.md") or b""
    if ws.repo.tree_files(target, source_dir) and _same_tree(ws, target, source_dir, directory):
        raise UsageError(f"skill `{name}` already has the content of {to}; nothing to roll back.")
    edits: list[TreeEdit] = [RemovePath(directory), CopyTree(target, source_dir, directory)]
    trailers = [(T.VERSION, version_value(entry.blob, blob_id(restored)))]
    trailers.append((T.ROLLBACK_OF, " ".join(undone) if undone else target))
    trailers.append((T.REASON, reason or f"restore {to}"))
    commit = ws.commit_event("rollback", skill=name, trailers=trailers, edits=edits, sync=[directory], worktree=True, agent=agent)
    return Result(commit, "rollback", name, f"restored {directory} to {to} ({target[:12]})")


def _same_tree(ws: Workspace, rev: str, source_dir: str, directory: str) -> bool:
    old = {p[len(source_dir):]: v for p, v in ws.repo.tree_files(rev, source_dir).items()}
    now = {p[len(directory):]: v for p, v in ws.repo.tree_files("HEAD", directory).items()}
    return old == now


def load_config_at(ws: Workspace, rev: str) -> Config:
    """The config as committed at `rev` (defaults when the file is absent there)."""
    raw = ws.repo.read_file(rev, CONFIG_FILE)
    if raw is None:
        return Config.defaults()
    try:
        return Config.from_text(raw.decode("utf-8"), f"{CONFIG_FILE}@{rev[:12]}")
    except UnicodeDecodeError:
        raise ConfigError(f"{CONFIG_FILE}@{rev[:12]}: not valid UTF-8; fix the file in a new commit.") from None
