"""The git hooks: installing the shims, and what `skillgit hook pre-commit|prepare-commit-msg|commit-msg` does.

pre-commit checks the tree about to be committed (the real index against its parent) with every
rule that can judge it without a message. commit-msg reads the message as the commit will keep it
(comments and the `commit -v` scissors part dropped, honouring core.commentChar), adds the trailers
a maintainer's commit (`manual`, naming every skill it changes; `rename` for a skill folder moved
with `git mv`) or a `git revert` of an event (`rollback`) needs, then runs every rule.
prepare-commit-msg does the same for a revert (`git revert --no-edit` runs no other hook) and drops
the quoted trailers of a squash (`git merge --squash`) so that commit-msg writes the squash's own.
`--amend` is detected from the `git commit` process that runs the hook (its arguments, found
through the parent processes) so the amended commit is checked against HEAD's parent; `SKILLGIT_AMEND=1|0` overrides the detection.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from skillgit import trailers as T
from skillgit.events import revert_target
from skillgit.git import BlobReader, Repo
from skillgit.policy.amend import amending
from skillgit.policy.changes import (
    config_for_commit,
    file_changes,
    index_change,
    is_exact_revert,
)
from skillgit.policy.maintainer import maintainer_trailers, skill_version_of, skills_in
from skillgit.policy.model import Change, Violation

if TYPE_CHECKING:
    from skillgit.workspace import Workspace

_COMMENT_CANDIDATES = "#;@!$%^&|:"

@dataclass(frozen=True)
class HookResult:
    """What a hook run decided: exit code, lines for stderr, and trailers it added to the message."""

    code: int
    lines: tuple[str, ...] = ()
    added: tuple[tuple[str, str], ...] = ()


# -- running ---------------------------------------------------------------------------------------


def run_pre_commit(directory: Path | str = ".") -> HookResult:
    """Check the staged tree with the rules that need no message."""
    repo = Repo.discover(directory)
    unfinished = finish_interrupted_sync(repo)
    if unfinished is not None:
        return unfinished
    with repo.blob_reader() as reader:
        context = _context(repo, reader)
        if context is None:
            return HookResult(0)
        ws, parent, merge_parents = context
        change = index_change(ws, reader, parent=parent, message=None, merge_parents=merge_parents)
        return _verdict(_check(change, ws))


def run_commit_msg(message_file: Path | str, directory: Path | str = ".") -> HookResult:
    """Complete the message's trailers where skillgit can, then check the commit with every rule."""
    repo = Repo.discover(directory)
    unfinished = finish_interrupted_sync(repo)
    if unfinished is not None:
        return unfinished
    path = _message_path(message_file, directory)
    with repo.blob_reader() as reader:
        context = _context(repo, reader)
        if context is None:
            return HookResult(0)
        ws, parent, merge_parents = context
        raw = path.read_bytes().decode("utf-8", "surrogateescape")
        text = T.cleanup_message(raw, comment_char(repo, raw))
        if not text.strip():
            return HookResult(0)  # git aborts an empty message itself
        change = index_change(ws, reader, parent=parent, message=text, merge_parents=merge_parents)
        added: list[tuple[str, str]] = []
        revert_of = None
        message = change.message
        if message is not None and message.trailers.get(T.EVENT) is None and not message.forged:
            target = None if merge_parents else revert_target(text)
            if target:
                added, revert_of = _rollback_trailers(ws, reader, change, target)
            if not added and not change.agent:
                added = maintainer_trailers(ws, change)  # a plain commit, or the revert of a commit that is no event
        if added:
            repo.append_trailers(path, added)
        if added or _restamp_version(repo, path, ws, change):
            raw = path.read_bytes().decode("utf-8", "surrogateescape")
            text = T.cleanup_message(raw, comment_char(repo, raw))
            change = index_change(ws, reader, parent=parent, message=text, merge_parents=merge_parents,
                                  revert_of=revert_of, committer=change.committer_email or None)
        result = _verdict(_check(change, ws))
        return HookResult(result.code, result.lines, tuple(added))


def run_prepare_commit_msg(message_file: Path | str, source: str | None = None, directory: Path | str = ".") -> HookResult:
    """Before the message is edited: drop the quoted trailers of a squash (`git merge --squash`; commit-msg then
    writes the squash's own), and give a revert its trailers and checks: `git revert --no-edit` runs no other
    hook (neither pre-commit nor commit-msg), so this is the only place a revert is checked before it lands."""
    from skillgit.policy.squash import is_local_squash, without_quoted_trailers

    path = _message_path(message_file, directory)
    try:
        raw = path.read_bytes().decode("utf-8", "surrogateescape")
    except OSError:
        return HookResult(0)  # git reports a missing message file itself
    if source == "squash" or is_local_squash(raw):
        cleaned = without_quoted_trailers(raw)
        if cleaned != raw.replace("\r\n", "\n").rstrip("\n") + "\n":
            path.write_bytes(cleaned.encode("utf-8", "surrogateescape"))
        return HookResult(0)
    if source not in (None, "", "message") or not revert_target(raw) or _GOVERNED_EVENT.search(raw):
        return HookResult(0)
    from skillgit.policy.amend import git_command

    if git_command() != "revert":
        return HookResult(0)  # `git commit` (of a `revert --no-commit`, say): commit-msg does it, unless --no-verify
    return run_commit_msg(path, directory)


_GOVERNED_EVENT = re.compile(r"^\s*skill-event\s*:", re.IGNORECASE | re.MULTILINE)


def _message_path(message_file: Path | str, directory: Path | str) -> Path:
    path = Path(message_file)
    return path if path.is_absolute() else Path(directory).resolve() / path


def finish_interrupted_sync(repo: Repo) -> HookResult | None:
    """Before a plain `git commit`: finish the sync of a skillgit commit killed after it moved HEAD, or
    refuse the commit (it would undo that event from the stale index). None: go on with the checks."""
    from skillgit.git import process_alive

    intent = repo.pending_intent()
    if intent is None:
        return None
    if process_alive(intent.pid):
        return HookResult(4, (f"skillgit: a skillgit command (process {intent.pid}) is finishing commit {intent.commit[:12]}; "
                              "commit again once it has ended.",))
    head = repo.head()
    if head != intent.commit:
        repo.pending_path.unlink(missing_ok=True)  # HEAD never moved to it, or moved on: nothing to finish
        return None
    what = f"skillgit commit {intent.commit[:12]} (HEAD) was interrupted before it updated the index and work tree"
    index = os.environ.get("GIT_INDEX_FILE")
    main = {repo.git_dir / "index", repo.git_dir / "index.lock"}
    if index is not None and (repo.root / index).resolve() not in {p.resolve() for p in main}:
        return HookResult(1, (f"skillgit: {what}, and this commit uses a temporary index, which cannot finish it; "
                              "run `skillgit status` (it finishes the update), then commit again.",))
    left = repo.finish_sync(intent)
    if not left:
        repo.pending_path.unlink(missing_ok=True)
        return None
    shown = ", ".join(left[:10]) + (" …" if len(left) > 10 else "")
    return HookResult(1, (
        f"skillgit: {what}; your copies of {shown} changed since and predate it, so committing them would undo "
        f"part of that event.",
        "skillgit: commit refused. Merge your edits onto HEAD's version (`git diff HEAD -- PATH` shows the difference, "
        "`git checkout HEAD -- PATH` restores it), run `skillgit status` (it clears the interrupted update), then commit again.",
    ))


def _context(repo: Repo, reader: BlobReader) -> tuple[Workspace, str | None, tuple[str, ...]] | None:
    """(workspace, first parent of the new commit, all its parents when it is a merge) — None when
    the repository is not managed."""
    from skillgit.workspace import Workspace

    found = reader.read_object("HEAD")
    head = found[0] if found and found[1] == "commit" else None
    parent = head
    merge_parents: tuple[str, ...] = ()
    if found is not None and head is not None and amending():
        parents = [line[7:] for line in found[2].decode("utf-8", "replace").split("\n\n", 1)[0].splitlines()
                   if line.startswith("parent ")]
        parent = parents[0] if parents else None
        merge_parents = tuple(parents) if len(parents) > 1 else ()
    from skillgit.errors import ConfigError

    try:
        config = config_for_commit(repo, reader, parent if parent is not None else head)
    except ConfigError as exc:
        raise ConfigError(
            f"{exc}\nThe hooks check each commit with the config committed at its parent; a maintainer commits the "
            "repaired skillgit.yaml with `git commit --no-verify` (CI's `skillgit verify` still checks it)."
        ) from None
    if config is None:
        return None
    if head is not None and not merge_parents:
        try:
            others = (repo.git_dir / "MERGE_HEAD").read_text(encoding="ascii").split()
        except (OSError, UnicodeDecodeError):
            others = []
        merge_parents = (head, *others) if others else ()
    return Workspace(repo, config), parent, merge_parents


def _check(change: Change, ws: Workspace) -> list[Violation]:
    from skillgit.policy.engine import check

    return check(change, ws.config)


def _verdict(violations: list[Violation]) -> HookResult:
    if not violations:
        return HookResult(0)
    lines = [format_violation(v) for v in violations]
    lines.append(
        f"skillgit: commit refused ({len(violations)} violation{'s' if len(violations) != 1 else ''}); "
        "fix the above and commit again. `--no-verify` skips the hooks, but `skillgit verify` in CI still reports it."
    )
    return HookResult(1, tuple(lines))


def format_violation(v: Violation) -> str:
    """`skillgit: SG00x <file>: <message>. <fix>` — one line per violation, as the hooks print them."""
    where = f" {v.path}" if v.path else ""
    message = v.message.rstrip(".")
    return f"skillgit: {v.rule}{where}: {message}. {v.fix}"


# -- trailers the hook adds ------------------------------------------------------------------------


def _rollback_trailers(
    ws: Workspace, reader: BlobReader, change: Change, target: str
) -> tuple[list[tuple[str, str]], str | None]:
    """Trailers for a `git revert` of an event, and the reverted commit when the revert is exact."""
    from skillgit.events import event_from_commit

    repo = ws.repo
    records = repo.log("-1", target, "--", raw=False) if repo.ref_exists(target) else []
    if not records:
        return [], None
    record = records[0]
    event = event_from_commit(record.commit, record.parents, record.author_name, record.author_email, record.time, record.message)
    if event.kind is None:
        return [], None
    name = event.skill
    if name is None and event.revert_of:
        name = _skill_of_revert(ws, event.revert_of)
    names = skills_in(ws, change)
    if name is None or names != {name}:
        return [], None
    reverted = file_changes(repo.diff_trees(record.parents[0] if record.parents else None, record.commit))
    exact = is_exact_revert(change.files, reverted)
    title = record.message.splitlines()[0] if record.message else ""
    reason = f"git revert of {record.commit[:12]} ({title[:200]})" if title else f"git revert of {record.commit[:12]}"
    pairs = [
        (T.EVENT, "rollback"),
        (T.NAME, name),
        (T.VERSION, skill_version_of(ws, change, name)),
        (T.ROLLBACK_OF, record.commit[:12]),
        (T.REASON, T.check_value(T.REASON, reason.replace("\n", " ").replace("\r", " "))),
    ]
    return pairs, record.commit if exact else None


def _skill_of_revert(ws: Workspace, commit: str) -> str | None:
    from skillgit.events import event_from_commit

    repo = ws.repo
    if not repo.ref_exists(commit):
        return None
    record = repo.log("-1", commit, "--")[0]
    return event_from_commit(record.commit, record.parents, record.author_name, record.author_email, record.time, record.message).skill


def _restamp_version(repo: Repo, path: Path, ws: Workspace, change: Change) -> bool:
    """On `git commit --amend`, bring a stale `Skill-Version` in line with the amended change.

    True when the message file was rewritten. Outside an amend a wrong value is left for SG001 to
    refuse: the hook does not make up for a message that claims another version."""
    from skillgit.events import MUTATING

    message = change.message
    if message is None or message.forged:
        return False
    kind, name, stamped = message.trailers.get(T.EVENT), message.trailers.get(T.NAME), message.trailers.get(T.VERSION)
    if kind not in MUTATING or stamped is None or name is None or len(message.trailers.get_all(T.VERSION)) != 1:
        return False
    if not amending():
        return False
    from skillgit.model.skill import name_is_safe

    if not name_is_safe(name):
        return False
    true = skill_version_of(ws, change, name)
    if stamped == true:
        return False
    repo.append_trailers(path, [(T.VERSION, true)], if_exists="replace")
    return True


def comment_char(repo: Repo, text: str) -> str:
    """git's core.commentChar (for `auto`, the character git's own template lines use).

    Only asked of git when some line starts with a character git could use for comments.
    """
    if not any(line[:1] in _COMMENT_CANDIDATES for line in text.splitlines()):
        return "#"
    value = repo.config_value("core.commentChar") or repo.config_value("core.commentString") or "#"
    if value != "auto":
        return value
    for candidate in _COMMENT_CANDIDATES:
        if any(line.startswith((f"{candidate} Please enter", f"{candidate} ----")) for line in text.splitlines()):
            return candidate
    return "#"
