"""Squash merges: the message of a commit that squashes several commits quotes their trailer blocks.

`git merge --squash` then `git commit` writes "Squashed commit of the following:" and each commit,
its message indented; GitHub's "Squash and merge" writes the pull request's title and, in the body,
each commit's message after `* ` (its trailers included; the last commit's trailers end the
message). The quoted `Skill-*` lines are not the squash's own trailers: read as they stand, they
are trailers outside the final block (forged) and a final block that names one of the commits.

A maintainer's squash is one change of every skill it touches: the commit-msg hook (after
prepare-commit-msg dropped the quoted lines) and `verify` (for GitHub's squash, made without hooks)
read it as one `manual` event naming each of them, with the versions the change really has.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING

from skillgit import trailers as T

if TYPE_CHECKING:
    from skillgit.events import Event
    from skillgit.policy.model import Change
    from skillgit.workspace import Workspace

_GOVERNED = re.compile(r"^\s*skill-[a-z0-9-]*\s*:", re.IGNORECASE)
_LOCAL_HEAD = "Squashed commit of the following:"
_ITEM = re.compile(r"^\* \S")


def is_local_squash(text: str) -> bool:
    """The message `git merge --squash` prepares."""
    return any(line.strip() == _LOCAL_HEAD for line in text.splitlines()[:3])


def is_github_squash(text: str) -> bool:
    """A GitHub squash body: after the title, a list of the pull request's commits (`* subject`), with
    governed keys only inside that list."""
    lines = text.replace("\r\n", "\n").split("\n")
    body = lines[1:]
    first = next((i for i, line in enumerate(body) if line.strip()), None)
    if first is None or not _ITEM.match(body[first]):
        return False
    items = sum(1 for line in body if _ITEM.match(line))
    return items >= 2 and any(_GOVERNED.match(line) for line in body)


def without_quoted_trailers(text: str) -> str:
    """The message with every governed line dropped (the quoted trailers of the squashed commits), blank
    runs left behind folded into one."""
    out: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if _GOVERNED.match(line):
            continue
        if not line.strip() and out and not out[-1].strip():
            continue
        out.append(line)
    return "\n".join(out).rstrip("\n") + "\n"


def with_trailers(text: str, pairs: list[tuple[str, str]]) -> str:
    """`text` (without governed lines) with `pairs` as the final trailer block (after any trailers it has,
    such as `Co-authored-by:`)."""
    base = text.rstrip("\n")
    message = T.parse_message(base)
    lines = "\n".join(f"{k}: {v}" for k, v in pairs)
    joiner = "\n" if message.trailers.items else "\n\n"
    return f"{base}{joiner}{lines}\n"


def github_squash_message(change: Change, text: str, ws: Workspace) -> str | None:
    """The message a maintainer's GitHub squash stands for: its text without the quoted trailers, with one
    `manual` block naming every skill the change touches (None: not a maintainer's GitHub squash)."""
    if change.agent or change.message is None or not change.message.forged or not is_github_squash(text):
        return None
    from skillgit.policy.maintainer import maintainer_trailers

    stripped = without_quoted_trailers(text)
    pairs = maintainer_trailers(ws, dataclasses.replace(change, message=T.parse_message(stripped)))
    return with_trailers(stripped, pairs) if pairs else stripped


def github_squash_event(ws: Workspace, event: Event) -> Event | None:
    """The event a commit made by GitHub's "Squash and merge" stands for, read as `verify` reads it: one
    event (`manual`, or a `rename`) naming every skill the squashed change touches, from the commit's
    change and its message without the quoted trailers — or None when `event` is no maintainer's squash."""
    if not event.message.forged or len(event.parents) != 1:
        return None
    record = ws.repo.log("-1", event.commit)[0]
    if not is_github_squash(record.message):
        return None
    from skillgit.events import event_from_commit
    from skillgit.policy.changes import file_changes, tree_lookup
    from skillgit.policy.model import Change

    agent = event.is_cycle or ws.config.agent.is_agent(event.author_email, record.committer_email)
    with ws.repo.blob_reader() as reader:
        change = Change(
            commit=event.commit, parent=event.parents[0], author_name=event.author_name, author_email=event.author_email,
            message=event.message, files=file_changes(ws.repo.diff_trees(event.parents[0], event.commit)),
            agent=agent, read_blob=reader.read,
            tree_files=tree_lookup(reader, event.commit), committer_email=record.committer_email,
        )
        squashed = github_squash_message(change, record.message, ws)
    if squashed is None:
        return None
    return event_from_commit(event.commit, event.parents, event.author_name, event.author_email,
                             int(event.time.timestamp()), squashed, record.committer_email)
