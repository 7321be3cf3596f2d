"""Building the policy `Change` the rules look at: from the index (hooks), from a logged commit (verify) and
from an event about to be committed (the commands).

Hooks run on every `git commit`, so this module stays cheap: no pygit2, ruamel or jsonschema unless a
rule needs them; blobs come through one `git cat-file --batch` process; the config of a commit is
read from `HEAD:skillgit.yaml` and cached by blob id (validated once, then loaded as JSON).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from skillgit import trailers as T
from skillgit.config import CONFIG_FILE, Config
from skillgit.git import BlobReader, Identity, RawChange, Repo
from skillgit.policy.model import Change, FileChange

if TYPE_CHECKING:
    from skillgit.events import Event
    from skillgit.workspace import Workspace

_IDENT = re.compile(r"^(?P<name>.*?) ?<(?P<email>[^>]*)>")


@dataclass(frozen=True)
class Author:
    name: str
    email: str


def oid_or_none(oid: str) -> str | None:
    return None if not oid or set(oid) == {"0"} else oid


def file_changes(raw: Iterable[RawChange]) -> tuple[FileChange, ...]:
    """`git log --raw` / `diff-tree` entries as the rules' FileChange records."""
    return tuple(FileChange(c.status, c.path, oid_or_none(c.old_oid), oid_or_none(c.new_oid), c.new_mode) for c in raw)


def mentions_governed(message: str) -> bool:
    """True when a message may carry (or forge) skillgit trailers, or is a plain revert."""
    lowered = message.lower()
    return "skill-" in lowered or "this reverts commit " in lowered


def is_exact_revert(files: Iterable[FileChange], reverted: Iterable[FileChange]) -> bool:
    """True when `files` undo `reverted` exactly: every path back to its old blob, nothing else touched."""
    undo = {(f.path, f.new_oid, f.old_oid) for f in reverted}
    done = {(f.path, f.old_oid, f.new_oid) for f in files}
    return bool(undo) and undo == done


# -- config ----------------------------------------------------------------------------------------


def config_from_blob(repo: Repo, raw: bytes | None, source: str) -> Config | None:
    """The validated config in `raw` (None when there is no config file), cached by blob id."""
    if raw is None:
        return None
    from skillgit.git import blob_id
    from skillgit.schemas import load_schema

    schema_key = hashlib.sha1(json.dumps(load_schema("config"), sort_keys=True).encode()).hexdigest()[:12]
    cache = repo.git_dir / "skillgit" / "config-cache" / f"{blob_id(raw)}-{schema_key}.json"
    try:
        return Config.from_data(json.loads(cache.read_text(encoding="utf-8")), source)
    except (OSError, ValueError):
        pass
    from skillgit.errors import ConfigError

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{source}: not valid UTF-8; save the file as UTF-8.") from None
    config = Config.from_text(text, source)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        tmp.write_text(json.dumps(config.to_dict()), encoding="utf-8")
        tmp.replace(cache)
    except (OSError, TypeError, ValueError):
        pass
    return config


def config_for_commit(repo: Repo, reader: BlobReader, parent: str | None) -> Config | None:
    """The config that governs a commit on top of `parent`: as committed there (None = not managed)."""
    if parent is None:
        return None
    return config_from_blob(repo, reader.find(f"{parent}:{CONFIG_FILE}"), f"{CONFIG_FILE}@{parent[:12]}")


# -- from the index (hooks) ------------------------------------------------------------------------


def author_of_next_commit(repo: Repo) -> Author:
    """The author `git commit` will record (it exports GIT_AUTHOR_* to hooks for --author and --amend)."""
    name, email = os.environ.get("GIT_AUTHOR_NAME"), os.environ.get("GIT_AUTHOR_EMAIL")
    if name is not None and email is not None:
        return Author(name, email)
    ident = repo.var("GIT_AUTHOR_IDENT")
    match = _IDENT.match(ident)
    if not match:
        return Author(ident, "")
    return Author(match.group("name"), match.group("email"))


def committer_of_next_commit(repo: Repo) -> str:
    """The committer e-mail `git commit` will record ("" when git knows none)."""
    email = os.environ.get("GIT_COMMITTER_EMAIL")
    if email is not None:
        return email
    match = _IDENT.match(repo.var("GIT_COMMITTER_IDENT", required=False))
    return match.group("email") if match else ""


def index_change(
    ws: Workspace,
    reader: BlobReader,
    *,
    parent: str | None,
    message: str | None,
    merge_parents: tuple[str, ...] = (),
    revert_of: str | None = None,
    committer: str | None = None,
) -> Change:
    """The commit `git commit` is about to make: the real index's tree against `parent`.

    `message` is None in the pre-commit hook (not written yet). A merge (`merge_parents`, its
    parents in order) is checked for its own change: what the index holds that a clean re-merge
    of its parents would not. `committer` is the committer's e-mail when already known.
    """
    from skillgit.events import event_from_commit

    repo = ws.repo
    author = author_of_next_commit(repo)
    parsed = T.parse_message(message) if message is not None else None
    event = None
    if message is not None and parsed is not None and parsed.trailers.get(T.EVENT):
        event = event_from_commit("0" * 40, (), author.name, author.email, 0, message)
    agent = ws.config.agent.is_agent(author.email) or (event is not None and event.is_cycle)
    if agent or not ws.config.agent.identities:
        committer = committer or ""
    else:
        committer = committer if committer is not None else committer_of_next_commit(repo)
        agent = ws.config.agent.is_agent(committer)
    files: tuple[FileChange, ...]
    if merge_parents:
        from skillgit.policy.merges import own_change

        only = None if agent else ws.scan_roots
        files = file_changes(own_change(reader, repo.root, merge_parents, repo.write_index_tree(), only))
    else:
        files = file_changes(repo.staged_changes(parent))
    history: Sequence[Event] = ()
    if agent and parent is not None:
        from skillgit.policy.walk import History, HistoryView

        ws.require_history(parent, "cannot check an agent commit")
        history = HistoryView(History(ws.event_log(parent)))  # read back only as far as the rules go
    tree_files, skills_changed_since = lookups(ws, reader, repo.write_index_tree, parent)
    return Change(
        committer_email=committer,
        merge=bool(merge_parents),
        files_at=files_at_lookup(reader),
        commit=None,
        parent=parent,
        author_name=author.name,
        author_email=author.email,
        message=parsed,
        files=files,
        agent=agent,
        read_blob=reader.read,
        history=history,
        revert_of=revert_of,
        tree_files=tree_files,
        skills_changed_since=skills_changed_since,
    )


def tree_lookup(reader: BlobReader, tree: str | Callable[[], str]) -> Callable[[str], Mapping[str, str]]:
    """`Change.tree_files` over the tree (or commit) `tree`, read through the batch reader, cached per prefix.

    `tree` may be a function giving the tree id (called once, on the first lookup).
    """
    from skillgit.policy.trees import TreeFiles

    return TreeFiles(reader, tree)


def files_at_lookup(reader: BlobReader) -> Callable[[str, str], Mapping[str, str]]:
    """`Change.files_at` through the batch reader (a listing per commit, kept while the change is checked)."""
    from skillgit.policy.trees import TreeFiles

    trees: dict[str, TreeFiles] = {}

    def files_at(rev: str, prefix: str) -> Mapping[str, str]:
        found = trees.get(rev)
        if found is None:
            found = trees[rev] = TreeFiles(reader, rev)
        return found(prefix)

    return files_at


def lookups(ws: Workspace, reader: BlobReader, tree: str | Callable[[], str], parent: str | None
            ) -> tuple[Callable[[str], Mapping[str, str]], Callable[[str | None], frozenset[str]]]:
    """The lazy lookups of a Change: `tree_files` and `skills_changed_since`."""
    from skillgit.policy.lookups import skills_changed_lookup

    return tree_lookup(reader, tree), skills_changed_lookup(ws.repo, parent, ws.layout)


def pending_change(
    ws: Workspace, head: str | None, tree: str, message: str, author: Identity, *, agent: bool, committer: Identity | None = None
) -> Change:
    """The Change of an event about to be committed on `head` (its `tree`, `message` and `author`), as the
    commands check it before they write anything."""
    from skillgit.policy import lookups
    from skillgit.policy.walk import History, HistoryView

    files = tuple(
        FileChange(c.status, c.path, oid_or_none(c.old_oid), oid_or_none(c.new_oid), c.new_mode)
        for c in ws.repo.diff_trees(head, tree)
    )
    history = HistoryView(History(ws.event_log(head))) if head is not None else ()
    return Change(
        commit=None,
        parent=head,
        author_name=author.name,
        author_email=author.email,
        message=T.parse_message(message),
        files=files,
        agent=agent,
        read_blob=ws.repo.blob,
        history=history,
        tree_files=lookups.tree_lookup(ws.repo, tree),
        skills_changed_since=lookups.skills_changed_lookup(ws.repo, head, ws.layout),
        files_at=lookups.files_at_lookup(ws.repo),
        committer_email=committer.email if committer is not None else "",
    )
