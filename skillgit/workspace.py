"""A managed skills repository: where skills live, how to read them, and how an event becomes one commit."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from skillgit import trailers as T
from skillgit.config import Config, identity_matches
from skillgit.errors import CheckFailed, RepoStateError, UsageError
from skillgit.events import Event, event_from_commit, title_for
from skillgit.git import Identity, Repo, TreeEdit
from skillgit.model.skill import check_name as check_skill_name

if TYPE_CHECKING:
    from skillgit.policy.model import Change, Violation

EVENT_GREP = ("-E", "-i", "--grep=^skill-event[[:space:]]*:", "--grep=^This reverts commit ")


@dataclass(frozen=True)
class SkillEntry:
    """A skill present in a tree: name, where it is (`active` or `attic`), and its SKILL.md blob id."""

    name: str
    location: str
    blob: str


class Workspace:
    """The repository plus its config. Open with `Workspace.open(dir)`."""

    def __init__(self, repo: Repo, config: Config) -> None:
        self.repo = repo
        self.config = config
        self.skills_root = config.paths.skills.strip("/")
        self.attic_root = config.paths.attic.strip("/")

    @classmethod
    def open(cls, directory: Path | str = ".") -> Workspace:
        repo = Repo.discover(directory)
        left = repo.recover()
        if left:
            print(
                f"skillgit: warning: a skillgit commit ({repo.head() or '?'}) was interrupted before it updated the index "
                f"and work tree; left as you have them (changed since): {', '.join(left[:10])}. Your copies predate "
                "that commit: merge your edits onto HEAD's version (`git diff HEAD -- PATH`).",
                file=sys.stderr,
            )
        return cls(repo, Config.load(repo.root))

    def require_committable(self, what: str) -> None:
        """UsageError (exit 2) while a merge, rebase, cherry-pick or revert is unresolved: nothing may be
        committed on top of a half-done operation (its conflict entries would be lost)."""
        found = self.repo.operation_in_progress()
        if found is not None:
            raise UsageError(f"{what}: {found[0]} is in progress in {self.repo.root}; nothing was committed. "
                             f"First {found[1]}, then run the command again.")

    # -- paths -----------------------------------------------------------------------------------

    def skill_dir(self, name: str) -> str:
        return f"{self.skills_root}/{check_skill_name(name)}"

    def attic_dir(self, name: str) -> str:
        return f"{self.attic_root}/{check_skill_name(name)}"

    def dir_for(self, name: str, location: str) -> str:
        return self.skill_dir(name) if location == "active" else self.attic_dir(name)

    def skill_name_of(self, path: str) -> tuple[str, str] | None:
        """(name, location) when `path` lies inside a skill directory."""
        for root, location in ((self.skills_root, "active"), (self.attic_root, "attic")):
            if path.startswith(root + "/"):
                rest = path[len(root) + 1 :]
                if "/" in rest:
                    return rest.split("/", 1)[0], location
        return None

    # -- reading ---------------------------------------------------------------------------------

    def skills(self, rev: str = "HEAD") -> list[SkillEntry]:
        """Every skill (active and in the attic) in the tree of `rev`."""
        if rev == "HEAD" and self.repo.head() is None:
            return []
        out = []
        for root, location in ((self.skills_root, "active"), (self.attic_root, "attic")):
            for path, (_mode, oid) in self.repo.tree_files(rev, root).items():
                parts = path[len(root) + 1 :].split("/")
                if len(parts) == 2 and parts[1] == "SKILL.md":
                    out.append(SkillEntry(parts[0], location, oid))
        return sorted(out, key=lambda e: (e.location, e.name))

    def locate(self, name: str, rev: str = "HEAD") -> SkillEntry | None:
        check_skill_name(name)
        if self.repo.head() is None:
            return None
        for location in ("active", "attic"):
            files = self.repo.tree_files(rev, f"{self.dir_for(name, location)}/SKILL.md")
            for _path, (_mode, oid) in files.items():
                return SkillEntry(name, location, oid)
        return None

    def require(self, name: str, location: str | None = "active") -> SkillEntry:
        entry = self.locate(name)
        if entry is None:
            known = ", ".join(e.name for e in self.skills() if e.location == "active") or "none"
            raise UsageError(f"no skill `{name}` at HEAD ({self.skill_dir(name)}/SKILL.md); active skills: {known}.")
        if location and entry.location != location:
            if entry.location == "attic":
                raise UsageError(f"skill `{name}` is retired ({self.attic_dir(name)}); run `skillgit revive {name}` first.")
            raise UsageError(f"skill `{name}` is active, not retired; nothing to revive.")
        return entry

    def events(self, *extra: str, rev: str = "HEAD") -> list[Event]:
        """Event commits reachable from `rev`, newest first (plain reverts of events included)."""
        if self.repo.head() is None:
            return []
        records = self.repo.log(*EVENT_GREP, *extra, rev)
        events = [
            event_from_commit(r.commit, r.parents, r.author_name, r.author_email, r.time, r.message, r.committer_email)
            for r in records
        ]
        return [e for e in events if e.kind is not None]

    def history_gap(self, rev: str, trusted_since: str | None = None) -> str | None:
        """What the history of `rev` lacks for the rules, in a shallow clone (None: nothing, or not shallow).

        The history may stop before the first maintainer's `init` event (or before `trusted_since`,
        a commit the caller vouches for): what came before it is not managed. It must not stop later,
        or the events the rules count (bootstrap order, the thrash window) are missing, and without
        any `init` in reach skillgit cannot tell whether the skills are managed at all."""
        boundaries = self.repo.shallow_boundaries()
        if not boundaries:
            return None
        cut = [b for b in boundaries if self.repo.is_ancestor(b, rev)]
        if not cut:
            return None
        anchor, what = trusted_since, "--assume-managed-since"
        if anchor is None:
            inits = [e for e in self.events(rev=rev) if e.kind == "init" and not self.is_agent(e.author_email, e.committer_email)]
            if not inits:
                return (f"this is a shallow clone and the history of {rev[:12]} stops at {cut[0][:12]} before any "
                        "`init` event, so skillgit cannot tell whether, or since when, it manages these skills")
            anchor, what = inits[-1].commit, "the `init` event"
        missing = [b for b in cut if not self.repo.is_ancestor(b, anchor)]
        if missing:
            return (f"this is a shallow clone and the history of {rev[:12]} stops at {missing[0][:12]}, after {what} "
                    f"{anchor[:12]}: the events between them, which the rules count, are missing")
        return None

    def require_history(self, rev: str, what: str, *, assume_hint: bool = False) -> None:
        """UsageError (exit 2) naming what is missing and the fix when the history of `rev` is incomplete."""
        gap = self.history_gap(rev)
        if gap is not None:
            raise UsageError(history_error(what, gap, assume_hint=assume_hint))

    def is_agent(self, *emails: str) -> bool:
        """True when any of `emails` (a commit's author and committer) matches `agent.identities`."""
        patterns = self.config.agent.identities
        return any(identity_matches(email, patterns) for email in emails if email)

    def require_clean(self, paths: Sequence[str], what: str) -> None:
        changed = self.repo.changed_paths(paths)
        if changed:
            shown = ", ".join(changed[:5]) + (" …" if len(changed) > 5 else "")
            raise RepoStateError(
                f"{what}: uncommitted changes in {shown}; commit them (`skillgit record`) or discard them first."
            )

    # -- identities ------------------------------------------------------------------------------

    def maintainer(self) -> Identity:
        return self.repo.identity(self.config.identity.name, self.config.identity.email)

    def agent_identity(self) -> Identity:
        email = self.config.agent_email
        if not email:
            raise UsageError(
                "skillgit.yaml: agent.identities has no literal e-mail and agent.email is not set; "
                "set agent.email so agent commits have an author."
            )
        return Identity(self.config.agent.name, email)

    # -- committing ------------------------------------------------------------------------------

    def commit_event(
        self,
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
        self.require_committable(f"cannot record the {kind} event")
        head = self.repo.head()
        if expect_head is not None and head != expect_head:
            raise RepoStateError("HEAD moved while the command ran; nothing was committed. Run it again.")
        message, tree, author, violations = self._prepare(head, kind, skill, trailers, edits, body, agent, title)
        if violations:
            lines = "\n".join(f"  {v.render()}" for v in violations)
            raise CheckFailed(f"the {kind} event breaks policy; nothing was committed:\n{lines}")
        if ref is not None:
            sync, worktree = (), False
        return self.repo.commit(
            message, tree, parent=head, author=author, committer=self.repo.committer(author), sync=sync, worktree=worktree,
            ref=ref,
        )

    def event_violations(
        self,
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
        return self._prepare(self.repo.head(), kind, skill, trailers, edits, body, agent, title)[3]

    def _prepare(
        self,
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
        from skillgit.policy.engine import check

        pairs = [(T.EVENT, kind)] + ([(T.NAME, skill)] if skill else []) + trailers
        message = T.format_message(title or title_for(kind, skill), pairs, body)
        tree = self.repo.build_tree(head, edits)
        author = self.agent_identity() if agent else self.maintainer()
        committer = self.repo.committer(author)
        agent = agent or self.is_agent(author.email, committer.email)
        if agent and head is not None:
            self.require_history(head, f"cannot check the agent's {kind} event")
        change = self.pending_change(head, tree, message, author, agent=agent, committer=committer)
        return message, tree, author, check(change, self.config)

    def pending_change(
        self, head: str | None, tree: str, message: str, author: Identity, *, agent: bool, committer: Identity | None = None
    ) -> Change:
        from skillgit.policy.lookups import files_at_lookup, skills_changed_lookup, tree_lookup
        from skillgit.policy.model import Change, FileChange

        files = tuple(
            FileChange(c.status, c.path, _oid(c.old_oid), _oid(c.new_oid), c.new_mode)
            for c in self.repo.diff_trees(head, tree)
        )
        history = tuple(reversed(self.events()))
        return Change(
            commit=None,
            parent=head,
            author_name=author.name,
            author_email=author.email,
            message=T.parse_message(message),
            files=files,
            agent=agent,
            read_blob=self.repo.blob,
            history=history,
            tree_files=tree_lookup(self.repo, tree),
            skills_changed_since=skills_changed_lookup(self.repo, head, (self.skills_root, self.attic_root)),
            files_at=files_at_lookup(self.repo),
            committer_email=committer.email if committer is not None else "",
        )


def history_error(what: str, gap: str, *, assume_hint: bool = False) -> str:
    """The message for an incomplete history: what could not be done, what is missing, the fix."""
    fix = "fetch the whole history (`fetch-depth: 0` in actions/checkout, or `git fetch --unshallow`)"
    if assume_hint:
        fix += ", or name the commit from which the history is trusted: `--assume-managed-since REV`"
    return f"{what}: {gap}; {fix}."


def _oid(oid: str) -> str | None:
    return None if set(oid) == {"0"} else oid
