"""The event operations: init, create, refine, retire, revive, record, rollback — each exactly one commit.

Each function validates everything first, then calls `commit_event` once. On any error
nothing is written: HEAD, index and work tree stay as they were.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from skillgit import trailers as T
from skillgit.config import CONFIG_FILE, Config, baseline_text, config_from_bytes, default_config_text
from skillgit.errors import CheckFailed, RepoStateError, SkillFileError, UsageError
from skillgit.events import title_for, version_value
from skillgit.git import AddFromWorktree, CopyTree, Identity, PutFile, RemovePath, TreeEdit, blob_id
from skillgit.model.expected import parse_expected
from skillgit.model.skill import check_name as check_skill_name
from skillgit.workspace import Workspace

if TYPE_CHECKING:
    from skillgit.policy.model import Violation

MAX_SKILL_BYTES = 1_000_000


@dataclass(frozen=True)
class Result:
    """What an event operation did: the commit and a one-line summary (and notes for stderr)."""

    commit: str
    event: str
    skill: str | None
    summary: str
    notes: tuple[str, ...] = ()
    made: bool = True
    """False when there was nothing to do (`init` of an initialised repository)."""


def commit_event(
    ws: Workspace,
    kind: str,
    *,
    skill: str | None,
    trailers: list[tuple[str, str]],
    edits: Sequence[TreeEdit] = (),
    body: str = "",
    sync: Sequence[str] = (),
    worktree: bool = False,
    agent: bool = False,
    title: str | None = None,
    expect_head: str | None = None,
    ref: str | None = None,
) -> str:
    """Make the one commit of an event, after every policy rule passed. Returns the commit id.

    Nothing is written to HEAD, the index or the work tree when a rule fails. With `ref` (a new
    ref such as `refs/heads/skillgit/proposal/x`) the commit, made on top of HEAD, goes to that
    ref only: HEAD, index and work tree stay as they are.
    """
    ws.require_committable(f"cannot record the {kind} event")
    head = ws.repo.head()
    if expect_head is not None and head != expect_head:
        raise RepoStateError("HEAD moved while the command ran; nothing was committed. Run it again.")
    message, tree, author, violations = _prepare(ws, head, kind, skill, trailers, edits, body, agent, title)
    if violations:
        lines = "\n".join(f"  {v.render()}" for v in violations)
        raise CheckFailed(f"the {kind} event breaks policy; nothing was committed:\n{lines}")
    if ref is not None:
        sync, worktree = (), False
    return ws.repo.commit(
        message, tree, parent=head, author=author, committer=ws.repo.committer(author), sync=sync, worktree=worktree,
        ref=ref,
    )


def event_violations(
    ws: Workspace,
    kind: str,
    *,
    skill: str | None,
    trailers: list[tuple[str, str]],
    edits: Sequence[TreeEdit] = (),
    body: str = "",
    agent: bool = False,
    title: str | None = None,
) -> list[Violation]:
    """What `commit_event` with these arguments would refuse, without writing any ref or file."""
    return _prepare(ws, ws.repo.head(), kind, skill, trailers, edits, body, agent, title)[3]


def _prepare(
    ws: Workspace,
    head: str | None,
    kind: str,
    skill: str | None,
    trailers: list[tuple[str, str]],
    edits: Sequence[TreeEdit],
    body: str,
    agent: bool,
    title: str | None,
) -> tuple[str, str, Identity, list[Violation]]:
    """The event's message, tree and author, and every rule it breaks."""
    from skillgit.policy.changes import pending_change
    from skillgit.policy.engine import check

    pairs = [(T.EVENT, kind)] + ([(T.NAME, skill)] if skill else []) + trailers
    message = T.format_message(title or title_for(kind, skill), pairs, body)
    tree = ws.repo.build_tree(head, edits)
    author = ws.agent_identity() if agent else ws.maintainer()
    committer = ws.repo.committer(author)
    agent = agent or ws.is_agent(author.email, committer.email)
    if agent and head is not None:
        ws.require_history(head, f"cannot check the agent's {kind} event")
    change = pending_change(ws, head, tree, message, author, agent=agent, committer=committer)
    return message, tree, author, check(change, ws.config)


def init(
    ws: Workspace,
    *,
    origin: str | None = None,
    self_skill: str | None = None,
    skills_dirs: Sequence[str] = (),
    identities: Sequence[str] = (),
    stamp_origin: str | None = None,
) -> Result:
    """Write skillgit.yaml (unless present) and record the `init` event, with the layout found in the
    repository (or `skills_dirs`), the problems the skills already have as the baseline, and, with
    `stamp_origin`, `origin: <value>` written on every skill that has none, in the same commit."""
    from skillgit.adopt import detect_roots

    ws.require_committable("init")
    head = ws.repo.head()
    if head is not None:
        ws.require_history(head, "cannot tell whether this repository is initialised already")
    prior = [e for e in ws.events() if e.kind == "init"]
    path = ws.repo.root / CONFIG_FILE
    if prior:
        asked = [flag for flag, value in (("--origin", origin), ("--self-skill", self_skill), ("--skills-dir", skills_dirs),
                                          ("--identities", identities), ("--stamp-origin", stamp_origin)) if value]
        ignored = (f"{', '.join(asked)} not applied: change {CONFIG_FILE} and commit it (`git commit`; the hooks make it a "
                 "manual change) instead.",) if asked else ()
        return Result(prior[-1].commit, "init", None, f"already initialised by {prior[-1].commit[:12]}; nothing to do",
                      ignored, made=False)
    files = ws.repo.worktree_files()
    detected = detect_roots(files)
    notes: list[str] = []
    if path.exists():
        if skills_dirs or identities:
            raise UsageError(f"{CONFIG_FILE} exists already; set paths.skills and agent.identities there, or remove it "
                             "and run `skillgit init` again.")
        text = path.read_text(encoding="utf-8")
    else:
        roots = list(skills_dirs) or list(detected.roots) or ["skills"]
        if self_skill is None and any((ws.repo.root / r / "skill-evolve" / "SKILL.md").exists() for r in roots):
            self_skill = "skill-evolve"
        text = default_config_text(origin, self_skill, skills=roots, identities=identities)
        if not skills_dirs and detected.roots:
            notes.append(f"skills found under {', '.join(f'{r}/' for r in detected.roots)} ({detected.skills} skills); "
                         f"written to {CONFIG_FILE} as paths.skills (`--skills-dir` chooses others)")
    _take_config(ws, Config.from_text(text, CONFIG_FILE))
    notes += _unmanaged(ws, files, detected.roots, path.exists())
    edits: list[TreeEdit] = []
    sync: list[str] = [CONFIG_FILE]
    if stamp_origin is not None and head is not None:
        notes += _stamp(ws, stamp_origin, edits, sync)
    if head is not None and "baseline" not in _top_keys(text):
        text = _with_baseline(ws, text, edits, notes, None if path.exists() else (origin, self_skill, identities))
    body = f"skillgit manages the skills under {ws.layout.describe()} from this commit on."
    rewritten = path.exists() and path.read_text(encoding="utf-8") != text
    commit = commit_event(
        ws, "init", skill=None, trailers=[], edits=[PutFile(CONFIG_FILE, text.encode("utf-8")), *edits], body=body,
        sync=sync, worktree=not path.exists() or rewritten or bool(edits),
    )
    ws.repo.write_commit_graph()
    return Result(commit, "init", None, f"initialised skillgit ({CONFIG_FILE}; skills under {ws.layout.describe()})",
                  tuple(notes))


def _take_config(ws: Workspace, config: Config) -> None:
    """The workspace reads `config` (and its layout) from now on."""
    ws.config, ws.layout = config, config.layout
    ws.skills_root, ws.attic_root, ws.scan_roots = ws.layout.primary, ws.layout.attic, ws.layout.scan_roots


def _unmanaged(ws: Workspace, files: Sequence[str], detected: Sequence[str], config_exists: bool) -> list[str]:
    """A note on the SKILL.md files outside the skill roots; a UsageError when the roots hold none and
    there are some elsewhere."""
    managed = ws.layout.skill_files(files)
    unmanaged = [f"{d}/SKILL.md" for d in _skill_folders(files) if f"{d}/SKILL.md" not in managed]
    if not managed and unmanaged:
        raise UsageError(f"paths.skills ({ws.layout.describe()}) holds no skill, but there are SKILL.md files elsewhere "
                         f"({', '.join(unmanaged[:5])}{' …' if len(unmanaged) > 5 else ''}); nothing was committed. Pass "
                         f"`--skills-dir {' --skills-dir '.join(detected) or 'DIR'}`"
                         + (f" or set paths.skills in {CONFIG_FILE}" if config_exists else "") + ".")
    if unmanaged:
        return [f"{len(unmanaged)} SKILL.md file(s) lie outside the skill roots and are not managed: "
                f"{', '.join(unmanaged[:5])}{' …' if len(unmanaged) > 5 else ''}"]
    return []


def _stamp(ws: Workspace, origin: str, edits: list[TreeEdit], sync: list[str]) -> list[str]:
    """`origin: <origin>` written on every skill without one: added to `edits` and `sync`; the notes."""
    from skillgit.adopt import stamp_origins

    stamped, skipped = stamp_origins(ws, origin)
    edits.extend(PutFile(p, raw) for p, raw in stamped)
    sync.extend(p for p, _raw in stamped)
    notes = [f"`origin: {origin}` written on {len(stamped)} skill(s) that had no origin"] if stamped else []
    return notes + list(skipped)


def _with_baseline(ws: Workspace, text: str, edits: Sequence[TreeEdit], notes: list[str],
                   defaults: tuple[str | None, str | None, Sequence[str]] | None) -> str:
    """The config text with the problems the skills already have (after `edits`) as its baseline, and the
    workspace reading it; `defaults` (origin, self-skill, identities): the config is written anew from them,
    else (an existing skillgit.yaml) the baseline is appended."""
    from skillgit.adopt import baseline

    found = baseline(ws, dict(edits_bytes(edits)))
    if not found:
        return text
    if defaults is None:
        text = text.rstrip("\n") + "\n" + baseline_text(found)
    else:
        origin, self_skill, identities = defaults
        text = default_config_text(origin, self_skill, skills=list(ws.config.layout.patterns), identities=identities,
                                   baseline=found)
    ws.config = Config.from_text(text, CONFIG_FILE)
    count = sum(len(v) for v in found.values())
    notes.append(f"{count} problem(s) in {len(found)} skill(s) exist already; recorded as the baseline in "
                 f"{CONFIG_FILE}: changes may keep them but not make them worse (`skillgit validate` lists them)")
    return text


def _top_keys(text: str) -> set[str]:
    """The top-level keys of a YAML mapping's text (a line `key:` at column 0)."""
    return {line.split(":", 1)[0].strip() for line in text.splitlines() if line[:1].isalpha() and ":" in line}


def edits_bytes(edits: Sequence[TreeEdit]) -> list[tuple[str, bytes]]:
    """(path, bytes) of the files `edits` write."""
    return [(e.path, e.data) for e in edits if isinstance(e, PutFile)]


def _skill_folders(files: Sequence[str]) -> list[str]:
    from skillgit.adopt import skill_folders

    return skill_folders(files)


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


def _check_skill_bytes(ws: Workspace, raw: bytes, path: str, before: bytes | None = None, name: str | None = None) -> None:
    """Refuse a SKILL.md that does not parse or validate (errors only; warnings pass). With `before` (the
    version it replaces) a problem in the skill's baseline that the edit does not make worse passes."""
    from skillgit.policy.rules import RULES
    from skillgit.policy.rules.skillfile import RULE, baseline_of, file_problems, tolerated

    rule = RULES[RULE]
    if not rule.enabled(ws.config):
        return
    found = [p for p in file_problems(raw, path, ws.config) if rule.enabled(ws.config, p.check)]
    allowed = baseline_of(ws.config, name) if name else frozenset()
    if found and before is not None and allowed:
        earlier = file_problems(before, path, ws.config)
        found = [p for p in found if not tolerated(p, earlier, allowed)]
    if found:
        lines = "\n".join(f"  {path}: {p.key or '(file)'}: {p.message}. {p.fix}" for p in found)
        raise UsageError(f"{path} is not a valid skill; nothing was committed:\n{lines}")


def message_parts(message: str | None, default_title: str) -> tuple[str, str]:
    """(title, body) of a `-m` message: its first line, and the rest; the default title without one."""
    text = (message or "").replace("\r\n", "\n").strip("\n")
    if not text.strip():
        return default_title, ""
    title, _, body = text.partition("\n")
    return title.strip(), body.strip("\n")


def _worktree_files(ws: Workspace, directory: str) -> list[str]:
    return ws.repo.worktree_files([directory])


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
    message: str | None = None,
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
    title, body = message_parts(message, title_for("create", name))
    commit = commit_event(ws, "create", skill=name, trailers=trailers, edits=edits, sync=[directory], worktree=worktree, agent=agent,
                          title=title, body=body)
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
    message: str | None = None,
    body: str = "",
) -> Result:
    """Commit one skill's edit (the work tree's, or --from FILE) as a `refine` event (`message`: a
    `-m` message; `body`: prose added to the message body, such as the eval gate's counts)."""
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
    _check_skill_bytes(ws, raw, skill_md, ws.repo.blob(entry.blob), name)
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
    title, text = message_parts(message, title_for("refine", name))
    commit = commit_event(
        ws, "refine", skill=name, trailers=trailers, edits=edits, sync=[directory], worktree=worktree, agent=agent,
        expect_head=expect_head, title=title, body="\n\n".join(p for p in (text, body) if p),
    )
    return Result(commit, "refine", name, f"refined {directory}")


def retire(ws: Workspace, name: str, *, reason: str | None = None, agent: bool = False, trigger: str | None = None,
           message: str | None = None) -> Result:
    """Move a skill to the attic (a soft delete that `revive` undoes)."""
    return _move(ws, "retire", name, reason=reason, agent=agent, trigger=trigger, message=message)


def revive(ws: Workspace, name: str, *, reason: str | None = None, message: str | None = None) -> Result:
    """Move a retired skill back from the attic."""
    return _move(ws, "revive", name, reason=reason, message=message)


def _move(ws: Workspace, kind: Literal["retire", "revive"], name: str, *, reason: str | None, message: str | None,
          agent: bool = False, trigger: str | None = None) -> Result:
    """The one commit of `retire` (active → attic) or `revive` (attic → active)."""
    ws.require_committable(f"{kind} {name}")
    entry = ws.require(name, "active" if kind == "retire" else "attic")
    src, dst = (ws.skill_dir(name), ws.attic_dir(name)) if kind == "retire" else (ws.attic_dir(name), ws.skill_dir(name))
    ws.require_clean([src, dst], f"{kind} {name}")
    edits: list[TreeEdit] = [RemovePath(dst), RemovePath(src), CopyTree("HEAD", src, dst)]
    version = version_value(entry.blob, None) if kind == "retire" else version_value(None, entry.blob)
    trailers = ([(T.TRIGGER, trigger)] if trigger else []) + [(T.VERSION, version)] + ([(T.REASON, reason)] if reason else [])
    title, body = message_parts(message, title_for(kind, name))
    commit = commit_event(ws, kind, skill=name, trailers=trailers, edits=edits, sync=[src, dst], worktree=True, agent=agent,
                          title=title, body=body)
    return Result(commit, kind, name, f"moved {src} to {dst}" if kind == "retire" else f"moved {src} back to {dst}")


def record(ws: Workspace, names: str | Sequence[str] | None = None, *, message: str | None = None) -> Result:
    """Commit a maintainer's own work-tree edit of skills as one `manual` event: of the skills named, or of
    every skill with uncommitted changes. The first line of `message` is the title, the rest the body."""
    ws.require_committable("record")
    wanted = [names] if isinstance(names, str) else list(names or ())
    if not wanted:
        wanted = _changed_skills(ws)
    trailers: list[tuple[str, str]] = []
    versions: list[tuple[str, str]] = []
    directories = []
    for name in dict.fromkeys(wanted):
        check_skill_name(name)
        entry = ws.locate(name)
        location = entry.location if entry else "active"
        directory = ws.dir_for(name, location)
        if not ws.repo.changed_paths([directory]):
            raise UsageError(f"nothing to record: {directory} has no uncommitted changes.")
        _check_no_escape(ws, directory)
        skill_md = ws.repo.root / directory / "SKILL.md"
        after = None
        if skill_md.exists():
            raw = skill_md.read_bytes()
            _check_skill_bytes(ws, raw, f"{directory}/SKILL.md", ws.repo.blob(entry.blob) if entry else None, name)
            after = blob_id(raw)
        trailers.append((T.NAME, name))
        versions.append((T.VERSION, version_value(entry.blob if entry else None, after)))
        directories.append(directory)
    single = len(directories) == 1
    names_done = [value for _key, value in trailers]
    title, body = message_parts(message, title_for("manual", names_done[0] if single else _few(names_done)))
    commit = commit_event(
        ws, "manual", skill=names_done[0] if single else None, trailers=versions if single else trailers + versions,
        edits=[AddFromWorktree(d) for d in directories], body=body, sync=directories, title=title,
    )
    what = directories[0] if single else f"{len(directories)} skills ({_few(names_done)})"
    return Result(commit, "manual", names_done[0] if single else None, f"recorded the edit of {what}")


def _few(names: Sequence[str], limit: int = 4) -> str:
    """`a, b, c` or `a, b, c and 5 more`."""
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _changed_skills(ws: Workspace) -> list[str]:
    names = sorted({hit[0] for p in ws.repo.changed_paths(ws.scan_roots) if (hit := ws.skill_name_of(p))})
    if not names:
        raise UsageError(f"nothing to record: no skill under {ws.layout.describe()} or {ws.attic_root}/ has changes.")
    return names


def _baseline_renamed(ws: Workspace, old: str, new: str) -> bytes | None:
    """skillgit.yaml with the `baseline:` entry of `old` moved to `new` (comments and order kept), so the
    renamed skill keeps the problems it was adopted with; None when `old` has no entry or the rename is an
    agent's (an agent never changes skillgit.yaml: the skill loses its baseline instead, the strict side)."""
    if old not in ws.config.baseline:
        return None
    if ws.is_agent(ws.maintainer().email, ws.repo.committer(ws.maintainer()).email):
        return None
    ws.require_clean([CONFIG_FILE], f"rename {old} (its baseline entry moves to {new})")
    from ruamel.yaml import YAML

    text = (ws.repo.read_file("HEAD", CONFIG_FILE) or b"").decode("utf-8")
    table = YAML().load(text)["baseline"]  # round-trip load: where the key is written
    line, col = table.lc.key(old)
    lines = text.splitlines(keepends=True)
    for written in (old, f'"{old}"', f"'{old}'"):
        if lines[line].startswith(written, col) and lines[line][col + len(written):].lstrip(" ").startswith(":"):
            lines[line] = lines[line][:col] + new + lines[line][col + len(written):]
            return "".join(lines).encode("utf-8")  # only the key changes: the rest is the user's, as written
    raise UsageError(f"{CONFIG_FILE}: line {line + 1}: cannot find the baseline key `{old}` as written; rename it to "
                     f"`{new}` by hand in the same commit (`git mv` then `git commit`), or write it plainly.")


def rename(ws: Workspace, old: str, new: str, *, folder: str | None = None, message: str | None = None) -> Result:
    """Move skill `old` to a folder named `new` (beside it, or `folder`) and write `name: new` in its SKILL.md,
    as one `rename` event; `versions new` goes on from the versions of `old`."""
    ws.require_committable(f"rename {old}")
    entry = ws.require(old, "active")
    check_skill_name(new)
    if ws.locate(new) is not None:
        raise UsageError(f"skill `{new}` exists already; pick another name.")
    src = entry.dir
    dst = folder.strip("/") if folder else f"{src.rpartition('/')[0]}/{new}"
    if dst.rpartition("/")[2] != new:
        raise UsageError(f"--dir {folder}: a skill's folder is named after it; end the path with `/{new}`.")
    landed = ws.layout.place(f"{dst}/SKILL.md")
    if landed is None or landed.name != new or landed.location != "active":
        raise UsageError(f"{dst}/ is not under a skill root ({ws.layout.describe()}); pick a folder under one.")
    if (ws.repo.root / dst).exists() or ws.repo.tree_files("HEAD", dst):
        raise UsageError(f"{dst} exists already; pick another folder.")
    ws.require_clean([src], f"rename {old}")
    from skillgit.model.skill import parse_skill

    raw = ws.repo.blob(entry.blob)
    try:
        skill = parse_skill(raw, f"{src}/SKILL.md")
        if skill.frontmatter.get("name") == old:
            raw = skill.with_field("name", new).raw
    except SkillFileError:
        pass  # moved as it is; SG007 says what is wrong with it
    edits: list[TreeEdit] = [RemovePath(src), CopyTree("HEAD", src, dst), PutFile(f"{dst}/SKILL.md", raw)]
    sync = [src, dst]
    config = _baseline_renamed(ws, old, new)
    if config is not None:
        edits.append(PutFile(CONFIG_FILE, config))
        sync.append(CONFIG_FILE)
    trailers = [(T.RENAMED_FROM, old), (T.VERSION, version_value(entry.blob, blob_id(raw)))]
    title, body = message_parts(message, f"skillgit: rename {old} to {new}")
    commit = commit_event(ws, "rename", skill=new, trailers=trailers, edits=edits, body=body, sync=sync,
                          worktree=True, title=title)
    return Result(commit, "rename", new, f"renamed {src} to {dst}")


@dataclass(frozen=True)
class RollbackPlan:
    """What `rollback` would commit: the folder, the commit whose content comes back, the changes it undoes."""

    name: str
    directory: str
    target: str
    label: str
    undone: tuple[str, ...]
    edits: tuple[TreeEdit, ...]
    trailers: tuple[tuple[str, str], ...]


SPAN_AFTER = 3
"""More undone changes than this are written as one span, `<target>..<last> (N changes)`."""


def rollback_of(target: str, undone: Sequence[str]) -> str:
    """The `Skill-Rollback-Of` value: the changes undone (abbreviated), or the span from the version
    restored to the last change undone when there are many (a trailer value stays one short line)."""
    if not undone:
        return target[:12]
    if len(undone) <= SPAN_AFTER:
        return " ".join(c[:12] for c in undone)
    return f"{target[:12]}..{undone[-1][:12]} ({len(undone)} changes)"


def plan_rollback(ws: Workspace, name: str, to: str, reason: str | None = None) -> RollbackPlan:
    """The rollback of skill `name` to version `to` (vN, or any revision), checked but not committed."""
    from skillgit.history import resolve_version, versions
    from skillgit.model.skill import parse_skill

    entry = ws.require(name, "active")
    directory = entry.dir
    target, undone = resolve_version(ws, name, to)
    then = [v.name for v in versions(ws, name) if v.commit == target and v.name] or [name]
    source = next((e for e in ws.skills(target) if e.name in (then[0], name)), None)
    if source is None:
        raise UsageError(f"{to}: skill `{name}` has no SKILL.md at {target[:12]}; pick another version from `skillgit versions {name}`.")
    restored = ws.repo.blob(source.blob)
    edits: list[TreeEdit] = [RemovePath(directory), CopyTree(target, source.dir, directory)]
    if source.name != name:  # a version from before a rename: it keeps today's name
        try:
            skill = parse_skill(restored, f"{directory}/SKILL.md")
            if skill.frontmatter.get("name") == source.name:
                restored = skill.with_field("name", name).raw
                edits.append(PutFile(f"{directory}/SKILL.md", restored))
        except SkillFileError:
            pass
    now = {p[len(directory):]: v for p, v in ws.repo.tree_files("HEAD", directory).items()}
    then_files = {p[len(source.dir):]: v for p, v in ws.repo.tree_files(target, source.dir).items()}
    if now == then_files and source.name == name:
        raise UsageError(f"skill `{name}` already has the content of {to}; nothing to roll back.")
    label = to if to.lower().startswith("v") else target[:12]
    trailers = (
        (T.VERSION, version_value(entry.blob, blob_id(restored))),
        (T.ROLLBACK_OF, rollback_of(target, undone)),
        (T.REASON, T.check_value(T.REASON, reason or f"restore {label} ({target[:12]})")),
    )
    return RollbackPlan(name, directory, target, label, tuple(undone), tuple(edits), trailers)


def rollback_diff(ws: Workspace, plan: RollbackPlan) -> str:
    """What the rollback would change, as `git diff --stat` and `git diff` of the skill's folder."""
    head = ws.repo.head()
    tree = ws.repo.build_tree(head, plan.edits)
    return ws.repo.diff(head or "", tree, [plan.directory], stat=True) + ws.repo.diff(head or "", tree, [plan.directory])


def rollback(ws: Workspace, name: str, *, to: str, reason: str | None = None, agent: bool = False,
             message: str | None = None) -> Result:
    """Restore a skill's content as of version `vN` or commit `REV` (of any age, from before a rename
    too), as one `rollback` commit."""
    ws.require_committable(f"rollback {name}")
    entry = ws.require(name, "active")
    ws.require_clean([entry.dir], f"rollback {name}")
    plan = plan_rollback(ws, name, to, reason)
    title, body = message_parts(message, title_for("rollback", name))
    commit = commit_event(ws, "rollback", skill=name, trailers=list(plan.trailers), edits=plan.edits, sync=[plan.directory],
                          worktree=True, agent=agent, title=title, body=body)
    undone = f"; undid {len(plan.undone)} change{'' if len(plan.undone) == 1 else 's'}" if plan.undone else ""
    return Result(commit, "rollback", name, f"restored {plan.directory} to {plan.label} ({plan.target[:12]}){undone}")


def load_config_at(ws: Workspace, rev: str) -> Config:
    """The config as committed at `rev` (defaults when the file is absent there)."""
    return config_from_bytes(ws.repo.read_file(rev, CONFIG_FILE), rev)
