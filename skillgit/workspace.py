"""A managed skills repository: where skills live, how to read them, and who commits (the maintainer or the
agent). `skillgit.operations.commit_event` turns an event into one commit after the policy rules pass."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from skillgit.config import Config
from skillgit.errors import RepoStateError, UsageError
from skillgit.events import EVENT_GREP, Event, event_from_commit
from skillgit.git import Identity, Repo
from skillgit.model.layout import SkillPlace
from skillgit.model.skill import SKILL_FILE
from skillgit.model.skill import check_name as check_skill_name

if TYPE_CHECKING:
    from skillgit.eventindex import EventLog


@dataclass(frozen=True)
class SkillEntry:
    """A skill present in a tree: name, where it is (`active` or `attic`), its SKILL.md blob id, and its folder."""

    name: str
    location: str
    blob: str
    dir: str = ""


class Workspace:
    """The repository plus its config. Open with `Workspace.open(dir)`."""

    def __init__(self, repo: Repo, config: Config) -> None:
        self.repo = repo
        self.config = config
        self.layout = config.layout
        self.skills_root = self.layout.primary
        """The folder new skills go to (the first plain root of `paths.skills`)."""
        self.attic_root = self.layout.attic
        self.scan_roots = self.layout.scan_roots
        """Plain folders holding every skill root and the attic: what `git log -- …` is given."""
        self._listed: dict[str, list[SkillEntry]] = {}
        self._adoptions: dict[str, Event | None] = {}

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
        """The folder of active skill `name` at HEAD; where it would go when there is none."""
        entry = self.locate(name)
        if entry is not None and entry.location == "active":
            return entry.dir
        return self.layout.new_dir(name)

    def attic_dir(self, name: str) -> str:
        return f"{self.attic_root}/{check_skill_name(name)}"

    def dir_for(self, name: str, location: str) -> str:
        return self.skill_dir(name) if location == "active" else self.attic_dir(name)

    def skill_name_of(self, path: str) -> tuple[str, str] | None:
        """(name, location) when `path` lies inside a skill directory (the tree at HEAD and the work tree
        say which folders are skills)."""
        found = self.place_of(path)
        return (found.name, found.location) if found is not None else None

    def place_of(self, path: str, rev: str = "HEAD") -> SkillPlace | None:
        """The skill folder `path` lies in, judged by the SKILL.md files at `rev` and in the work tree."""
        known = {e.dir for e in self.skills(rev)} if rev != "HEAD" or self.repo.head() is not None else set()

        def has_skill(folder: str) -> bool:
            return folder in known or (self.repo.root / folder / SKILL_FILE).is_file()

        return self.layout.place(path, has_skill)

    # -- reading ---------------------------------------------------------------------------------

    def skills(self, rev: str = "HEAD") -> list[SkillEntry]:
        """Every skill (active and in the attic) in the tree of `rev`."""
        if rev == "HEAD" and self.repo.head() is None:
            return []
        commit = self.repo.resolve(rev)
        found = self._listed.get(commit)
        if found is None:
            files: dict[str, str] = {}
            for root in self.scan_roots:
                files.update((path, oid) for path, (_mode, oid) in self.repo.tree_files(commit, root).items())
            places = self.layout.skill_files(files)
            found = sorted((SkillEntry(p.name, p.location, files[path], p.dir) for path, p in places.items()),
                           key=lambda e: (e.location, e.name, e.dir))
            if len(self._listed) > 8:
                self._listed.clear()
            self._listed[commit] = found
        return list(found)

    def locate(self, name: str, rev: str = "HEAD") -> SkillEntry | None:
        check_skill_name(name)
        if self.repo.head() is None:
            return None
        if self.layout.flat:  # `<root>/<name>` first: no listing of every skill
            for location in ("active", "attic"):
                directory = self.layout.new_dir(name, location)
                files = self.repo.tree_files(rev, f"{directory}/SKILL.md")
                for _path, (_mode, oid) in files.items():
                    return SkillEntry(name, location, oid, directory)
        entries = [e for e in self.skills(rev) if e.name == name]
        return next((e for e in entries if e.location == "active"), entries[0] if entries else None)

    def require(self, name: str, location: str | None = "active") -> SkillEntry:
        entry = self.locate(name)
        if entry is None:
            known = ", ".join(e.name for e in self.skills() if e.location == "active") or "none"
            raise UsageError(f"no skill `{name}` at HEAD (looked under {self.layout.describe()}); active skills: {known}.")
        if location and entry.location != location:
            if entry.location == "attic":
                raise UsageError(f"skill `{name}` is retired ({self.attic_dir(name)}); run `skillgit revive {name}` first.")
            raise UsageError(f"skill `{name}` is active, not retired; nothing to revive.")
        if not (self.layout.flat and entry.dir == self.layout.new_dir(name, entry.location)):
            twins = [e.dir for e in self.skills() if e.name == name and e.location == entry.location]
            if len(twins) > 1:
                raise UsageError(f"skill name `{name}` is used by {len(twins)} folders ({', '.join(twins)}); a name must be "
                                 f"unique across the skill roots: rename one (`skillgit mv {name} NEW-NAME --dir FOLDER`).")
        return entry

    def adoption(self, rev: str = "HEAD", log: EventLog | None = None) -> Event | None:
        """The `init` event that started skillgit's management of the history of `rev`: the oldest one a
        maintainer made (None: never initialised). Read from the event index, or from `log` (`rev`'s)."""
        if rev == "HEAD" and self.repo.head() is None:
            return None
        key = self.repo.resolve(rev)
        if key not in self._adoptions:
            if log is not None:
                self._adoptions[key] = self._oldest_init(log.of_kind("init"))
            else:
                with self.event_log(key, build=True) as mine:
                    self._adoptions[key] = self._oldest_init(mine.of_kind("init"))
        return self._adoptions[key]

    def _oldest_init(self, events: Iterable[Event]) -> Event | None:
        """The oldest `init` event a maintainer made among `events` (newest first)."""
        found = None
        for event in events:
            if event.kind == "init" and not self.is_agent(event.author_email, event.committer_email):
                found = event
        return found

    def pre_adoption(self, rev: str = "HEAD", paths: Sequence[str] = ()) -> frozenset[str]:
        """The commits of the history of `rev` from before its `init` event (that touch `paths`, when given):
        the repository's own history, which holds versions but no events."""
        adoption = self.adoption(rev)
        if adoption is None or not adoption.parents:
            return frozenset()
        if paths:
            return frozenset(c for parent in adoption.parents for c in self.repo.commits_touching(parent, paths))
        return frozenset(self.repo.rev_list(*adoption.parents))

    def events(self, *extra: str, rev: str = "HEAD") -> list[Event]:
        """Event commits reachable from `rev`, newest first (plain reverts of events included); none from
        before the `init` event (the repository's history before skillgit is not a journal). Through the
        event index (`skillgit.eventindex`) unless `extra` `git log` options (`--since`, `-1`) narrow the walk."""
        if self.repo.head() is None:
            return []
        if not extra:
            from skillgit.eventindex import all_events

            key = self.repo.resolve(rev)
            events = all_events(self.repo, key)
            if key not in self._adoptions:
                self._adoptions[key] = self._oldest_init(e for e in events if e.kind == "init")
            adoption = self._adoptions[key]
            if adoption is None or not adoption.parents or events[-1].commit == adoption.commit:
                return events  # nothing from before the `init` event to leave out
        adoption = self.adoption(rev)
        before = ["--not", *adoption.parents] if adoption is not None and adoption.parents else []
        records = self.repo.log(*EVENT_GREP, *extra, rev, *before)
        events = [
            event_from_commit(r.commit, r.parents, r.author_name, r.author_email, r.time, r.message, r.committer_email)
            for r in records
        ]
        return [e for e in events if e.kind is not None]

    def event_log(self, rev: str = "HEAD", *, build: bool = False) -> EventLog:
        """The events reachable from `rev`, newest first, read only as far as the caller goes (from the
        event index, or a `git log` stopped when the caller stops); `build`: bring the index up to date
        first, even when that means reading the whole history. Close it when done."""
        from skillgit.eventindex import EventLog, event_log

        if self.repo.head() is None:
            return EventLog()
        return event_log(self.repo, rev, build=build)

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
            adoption = self.adoption(rev)
            if adoption is None:
                return (f"this is a shallow clone and the history of {rev[:12]} stops at {cut[0][:12]} before any "
                        "`init` event, so skillgit cannot tell whether, or since when, it manages these skills")
            anchor, what = adoption.commit, "the `init` event"
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
        """True when any of `emails` (a commit's author and committer) matches `agent.identities`
        (`config.agent.is_agent`)."""
        return self.config.agent.is_agent(*emails)

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


def history_error(what: str, gap: str, *, assume_hint: bool = False) -> str:
    """The message for an incomplete history: what could not be done, what is missing, the fix."""
    fix = "fetch the whole history (`fetch-depth: 0` in actions/checkout, or `git fetch --unshallow`)"
    if assume_hint:
        fix += ", or name the commit from which the history is trusted: `--assume-managed-since REV`"
    return f"{what}: {gap}; {fix}."

