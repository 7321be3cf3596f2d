"""Reading history: the journal of events and a skill's versions v1…vN.

A skill's versions are the distinct contents of its SKILL.md, in order: a commit that changes the
SKILL.md's bytes (or moves the skill to or from the attic, or removes it) makes a version; a commit
that only touches its other files does not (`all_commits` lists those too, unnumbered). The commits
are those of every branch merged into the history (`git log --full-history`: git's default
simplification of merges depends on the paths asked for). The history follows the skill across
renames (a `rename` event, or a folder moved with `git mv` before adoption) and across category
folders and skill roots, back and forth (A → B → A is one history); a skill removed and added again
later in another folder, not moved, starts a new history there, as `git log -- FOLDER` does.
`versions` (one skill's folders) and `all_versions` (every skill, one walk) read it the same way.
Commits from before the `init` event are the repository's history before skillgit: they are versions
too (the skill had that content), marked as such, and are never events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypedDict, TypeVar

from skillgit import trailers as T
from skillgit.errors import UsageError
from skillgit.events import Event, event_from_commit
from skillgit.git import LogRecord
from skillgit.model.layout import ACTIVE, ATTIC
from skillgit.model.skill import SKILL_FILE, name_is_safe
from skillgit.model.skill import check_name as check_skill_name
from skillgit.workspace import Workspace

MAX_RENAMES = 50


class VersionJSON(TypedDict):
    """A `Version` as JSON (`Version.to_json`): `versions --json`, the report's versions."""

    version: str
    commit: str
    time: str
    event: str
    author: str
    blob: str | None
    location: str
    eval_summary: str | None
    rollback_of: str | None
    subject: str
    name: str
    adopted: bool
    same_as: str | None


@dataclass(frozen=True)
class Version:
    """One commit in a skill's history. `blob` is the SKILL.md blob id after it (None once gone);
    `number` is its version (0: a commit that changed none of the SKILL.md's bytes, listed only with
    `all_commits`)."""

    number: int
    commit: str
    time: datetime
    event: str
    author: str
    blob: str | None
    location: str
    """`active`, `attic`, or `gone`."""
    eval_summary: str | None
    rollback_of: str | None
    subject: str = ""
    name: str = ""
    """The skill's name in that commit (the old name, before a rename)."""
    adopted: bool = True
    """False for the repository's history before skillgit's `init`."""
    same_as: int | None = None
    """An earlier version with the same content (what a rollback restored)."""

    @property
    def label(self) -> str:
        return f"v{self.number}" if self.number else "-"

    def to_json(self) -> VersionJSON:
        return {
            "version": self.label,
            "commit": self.commit,
            "time": self.time.isoformat(),
            "event": self.event,
            "author": self.author,
            "blob": self.blob,
            "location": self.location,
            "eval_summary": self.eval_summary,
            "rollback_of": self.rollback_of,
            "subject": self.subject,
            "name": self.name,
            "adopted": self.adopted,
            "same_as": f"v{self.same_as}" if self.same_as else None,
        }


@dataclass(frozen=True)
class _Step:
    """What one commit did to one skill: its SKILL.md blob and location after (None, `gone`: removed),
    whether the SKILL.md changed at all, and the skill's name then."""

    record: LogRecord
    event: Event
    blob: str | None
    location: str
    changed: bool
    name: str
    adopted: bool


# -- one skill -----------------------------------------------------------------------------------


def versions(ws: Workspace, name: str, rev: str = "HEAD", *, all_commits: bool = False) -> list[Version]:
    """The versions of skill `name` (active or retired), oldest first, numbered v1…vN, following renames;
    with `all_commits`, every commit that touched its folder, the ones that changed no content unnumbered."""
    check_skill_name(name)
    if ws.repo.head() is None:
        return []
    head = ws.repo.resolve(rev)

    def older(before: LogRecord | None, folders: Sequence[str]) -> list[LogRecord]:
        commits = ws.repo.commits_touching(before.parents[0] if before else head, folders, full_history=True)
        return list(ws.repo.log("--no-walk", raw=True, stdin="\n".join(commits) + "\n")) if commits else []

    adoption = ws.adoption(head)
    pres: dict[tuple[str, ...], set[str]] = {}

    def pre(record: LogRecord, folders: Sequence[str]) -> bool:
        """From before `init` (the commits touching `folders` in the history of the `init` commit's parents)."""
        key = tuple(folders)
        if key not in pres:
            parents = adoption.parents if adoption is not None else ()
            pres[key] = {c for p in parents for c in ws.repo.commits_touching(p, folders, full_history=True)}
        return record.commit in pres[key]

    return _numbered(_chain(ws, name, _folders_of(ws, name, head), older, pre), all_commits=all_commits)


def _chain(ws: Workspace, name: str, folders: Sequence[str],
           older: Callable[[LogRecord | None, Sequence[str]], list[LogRecord]],
           pre: Callable[[LogRecord, Sequence[str]], bool]) -> list[_Step]:
    """Skill `name`'s steps, oldest first: the commits that touched its folders, newest first from `older`
    (the ones before a record, or all), back to the newest commit that moved it there (a rename, a move
    between category folders or roots), then its old name's and folders' before that, and so on.
    `versions` and `all_versions` both read a skill's history this way, from their own lists of commits."""
    steps: list[_Step] = []
    current, before = name, None
    for _ in range(MAX_RENAMES):
        records = older(before, folders)
        origin, cut = None, len(records)
        for i, record in enumerate(records):
            origin = _renamed_from(ws, record, current, folders)
            if origin is not None:
                cut = i + 1
                break
        mine = [_step(ws, r, current, folders, not pre(r, folders)) for r in reversed(records[:cut])]
        steps = [s for s in mine if s is not None] + steps
        if origin is None or not records[cut - 1].parents:
            break
        before = records[cut - 1]
        current, folders = origin
    return steps


def _folders_of(ws: Workspace, name: str, rev: str) -> list[str]:
    """The folders skill `name` has at `rev` (active and attic), or would have; for a skill removed since, the
    folder it was last in (from the newest commit that touched a SKILL.md of that name under the roots)."""
    entry = ws.locate(name, rev)  # (in a flat layout, `<root>/<name>` first: no listing of every skill)
    found = [e.dir for e in ws.skills(rev) if e.name == name] if not ws.layout.flat else [entry.dir] if entry else []
    if not found:
        specs = [f":(glob){root}/**/{name}/{SKILL_FILE}" for root in (*ws.layout.patterns, ws.layout.attic)]
        paths = ws.repo.last_change_names(rev, specs)
        found = [place.dir for place in (ws.layout.place(p) for p in sorted(paths) if p) if place is not None and place.name == name][:1]
    return _with_new_dirs(ws, name, found)


def _with_new_dirs(ws: Workspace, name: str, found: Sequence[str]) -> list[str]:
    return list(dict.fromkeys([*found, ws.layout.new_dir(name), ws.layout.new_dir(name, ATTIC)]))


def _step(ws: Workspace, record: LogRecord, name: str, folders: Sequence[str], adopted: bool) -> _Step | None:
    """What `record` did to skill `name`, whose folders are `folders`."""
    files = {c.path: c for c in record.files}
    inside = tuple(folder + "/" for folder in folders)
    if not any(p.startswith(inside) for p in files):
        return None
    blob, location, changed = None, "gone", False
    for folder in folders:
        change = files.get(f"{folder}/{SKILL_FILE}")
        if change is None:
            continue
        changed = True
        if change.status != "D":
            blob, location = change.new_oid, _location(ws, folder)
    event = _event(record)
    return _Step(record, event, blob, location, changed, name, adopted)


def _location(ws: Workspace, folder: str) -> str:
    found = ws.layout.place(f"{folder}/{SKILL_FILE}")
    return found.location if found is not None else ACTIVE


def _renamed_from(ws: Workspace, record: LogRecord, name: str, folders: Sequence[str]) -> tuple[str, list[str]] | None:
    """(old name, its folders) when `record` brought skill `name` into `folders` by renaming another:
    a `rename` event, or (before adoption) a commit that moved a skill's folder to this one (`git mv`); or
    its own name and older folder when a commit moved it between category folders or roots."""
    targets = {f"{f}/{SKILL_FILE}" for f in folders}
    added = [c for c in record.files if c.status == "A" and c.path in targets]
    if not added:
        return None
    event = _event(record)
    new_folder = added[0].path[: -len(SKILL_FILE) - 1]
    gone = {c.path[: -len(SKILL_FILE) - 1]: c for c in record.files
            if c.status == "D" and c.path.endswith("/" + SKILL_FILE) and ws.layout.place(c.path) is not None}
    old = event.renamed_from if event.kind == "rename" and event.skill == name else None
    for folder in gone:
        place = ws.layout.place(f"{folder}/{SKILL_FILE}")
        if place is None or folder in folders:
            continue
        if place.name == name:  # moved to another category folder or root, same name
            if event.kind in (None, "manual") and _same_files(record, folder, new_folder):
                return name, list(dict.fromkeys([folder, ws.layout.new_dir(name, ATTIC)]))
            continue
        if (old is not None and place.name == old) or (old is None and event.kind is None and _same_files(record, folder, new_folder)):
            return place.name, list(dict.fromkeys([folder, ws.layout.new_dir(place.name, ATTIC)]))
    return None


def _same_files(record: LogRecord, old: str, new: str) -> bool:
    """`record` removed folder `old` and added `new` with the same files (the SKILL.md may differ)."""
    removed = {c.path[len(old) + 1:]: c.old_oid for c in record.files if c.path.startswith(old + "/") and c.status == "D"}
    added = {c.path[len(new) + 1:]: c.new_oid for c in record.files if c.path.startswith(new + "/") and c.status == "A"}
    return removed.keys() == added.keys() and all(removed[k] == added[k] for k in removed if k != SKILL_FILE)


# -- every skill, one walk ---------------------------------------------------------------------------


R = TypeVar("R")


class Ahead(Generic[R]):
    """`work()` run by a thread from when this is made, so the git process it runs works beside what the
    caller does next; `result()` waits for it and gives its value (or raises its error)."""

    def __init__(self, work: Callable[[], R], name: str) -> None:
        import threading

        self._value: list[R] = []
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(work,), name=name, daemon=True)
        self._thread.start()

    def _run(self, work: Callable[[], R]) -> None:
        try:
            self._value.append(work())
        except BaseException as exc:  # noqa: BLE001 - not swallowed: raised by `result`
            self._error = exc

    def result(self) -> R:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value[0]


class RootsLog(Ahead[list[LogRecord]]):
    """`all_versions`'s one `git log` over the skill roots, read ahead (`status` builds the event index meanwhile)."""

    def __init__(self, ws: Workspace, rev: str = "HEAD") -> None:
        self.head = ws.repo.resolve(rev)
        head = self.head
        super().__init__(lambda: _roots_log(ws, head), "skillgit-roots-log")


def _roots_log(ws: Workspace, head: str) -> list[LogRecord]:
    return list(ws.repo.iter_log(head, "--full-history", "--", *ws.scan_roots, raw=True))


def all_versions(ws: Workspace, rev: str = "HEAD", ahead: RootsLog | None = None) -> dict[str, list[Version]]:
    """The versions of every skill that has a history under the skill roots, from one `git log` over the
    roots (not one per skill): what `versions` gives for each, renames followed, read the same way
    (`_chain`) from the commits of that one walk.

    One walk over the roots cannot use the commit-graph's changed-path Bloom filters (git uses them for
    one pathspec only), so for a single skill `versions` stays faster; for all of them this is one
    process instead of two per skill (and, once adopted, one `rev-list` for the commits from before
    `init`). Both walks list every commit of any branch that changed a SKILL.md (`--full-history`): git's
    default simplification of merges depends on the paths asked for, and would make them disagree.
    `ahead`: that log, started earlier (used when it is of `rev`).
    """
    if ws.repo.head() is None:
        return {}
    head = ws.repo.resolve(rev)
    pre = ws.pre_adoption(head)
    records = ahead.result() if ahead is not None and ahead.head == head else _roots_log(ws, head)
    by_folder: dict[str, list[int]] = {}
    last_in: dict[str, str] = {}  # name → the folder of its newest SKILL.md change (for a skill removed since)
    for i, record in enumerate(records):
        for change in sorted(record.files, key=lambda c: c.path):
            if change.path.endswith("/" + SKILL_FILE):
                place = ws.layout.place(change.path)
                if place is not None and name_is_safe(place.name):
                    by_folder.setdefault(change.path[: -len(SKILL_FILE) - 1], []).append(i)
                    if place.name == change.path.split("/")[-2]:
                        last_in.setdefault(place.name, place.dir)
    position = {r.commit: i for i, r in enumerate(records)}

    def older(before: LogRecord | None, folders: Sequence[str]) -> list[LogRecord]:
        after = position[before.commit] if before is not None else -1
        return [records[i] for i in sorted({i for f in folders for i in by_folder.get(f, ()) if i > after})]

    def before_init(record: LogRecord, _folders: Sequence[str]) -> bool:
        return record.commit in pre

    entries = ws.skills(head)
    out = {}
    for name in [*dict.fromkeys(e.name for e in entries), *last_in]:
        if name in out:
            continue
        found = [e.dir for e in entries if e.name == name] or [last_in[name]]
        history = _numbered(_chain(ws, name, _with_new_dirs(ws, name, found[:1] if ws.layout.flat else found), older, before_init))
        if history:
            out[name] = history
    return out


def versions_after(ws: Workspace, known: dict[str, list[Version]], base: str, rev: str = "HEAD") -> dict[str, list[Version]] | None:
    """`known` (every skill's versions at commit `base`, from `all_versions`) brought to `rev`, reading only
    the commits since `base` — or None when that would not give what `all_versions(rev)` gives: `base` is
    not an ancestor of `rev`, a merge came in since (the walk could order the old commits differently), a
    new commit is dated before `base` (a walk orders commits by date), a skill was renamed or moved since,
    or one was added or removed anywhere but its own folder under the first root or the attic."""
    head = ws.repo.resolve(rev)
    if head == base:
        return dict(known)
    if ws.repo.merge_base(base, head) != base or ws.repo.has_merges(base, head):
        return None
    dates = ws.repo.commit_times(f"{base}..{head}")
    if not dates or min(dates) < ws.repo.commit_times("-1", base)[0]:
        return None
    adoption = ws.adoption(head)
    if adoption is not None and not ws.repo.is_ancestor(adoption.commit, base):
        return None  # adopted since: the older versions change sides
    entries = ws.skills(head)
    steps: dict[str, list[_Step]] = {}
    for record in reversed(list(ws.repo.iter_log(f"{base}..{head}", "--", *ws.scan_roots, raw=True))):
        names: dict[str, None] = {}
        for change in record.files:
            place = ws.layout.place(change.path) if change.path.endswith("/" + SKILL_FILE) else None
            if place is None or place.dir != change.path[: -len(SKILL_FILE) - 1] or not name_is_safe(place.name):
                continue
            if change.status in "AD" and place.dir not in _with_new_dirs(ws, place.name, ()):
                return None
            names.setdefault(place.name, None)
        for name in names:
            found = [e.dir for e in entries if e.name == name]
            folders = _with_new_dirs(ws, name, found[:1] if ws.layout.flat else found)
            if _renamed_from(ws, record, name, folders) is not None or _event(record).kind == "rename":
                return None
            step = _step(ws, record, name, folders, True)
            if step is not None:
                steps.setdefault(name, []).append(step)
    out = dict(known)
    for name, mine in steps.items():
        out[name] = _numbered(mine, before=known.get(name, []))
    return out


# -- numbering -----------------------------------------------------------------------------------


def _numbered(steps: Iterable[_Step], *, all_commits: bool = False, before: Sequence[Version] = ()) -> list[Version]:
    """`steps` (oldest first) as versions, after `before`: a version where the SKILL.md's content or place
    changed; with `all_commits`, the other commits too, numbered 0."""
    out: list[Version] = list(before)
    numbered = [v for v in out if v.number]
    blob = numbered[-1].blob if numbered else None
    location = numbered[-1].location if numbered else "gone"
    seen = {v.blob: v.number for v in numbered if v.blob}
    for step in steps:
        new = step.changed and (step.blob != blob or step.location != location)
        if not new and not all_commits:
            continue
        event = step.event
        number = len([v for v in out if v.number]) + 1 if new else 0
        same = seen.get(step.blob) if new and step.blob else None
        out.append(Version(
            number=number,
            commit=step.record.commit,
            time=datetime.fromtimestamp(step.record.time, tz=UTC),
            event=(event.kind or "commit") if step.adopted else (event.kind if event.kind and event.kind != "rollback" else "commit"),
            author=f"{step.record.author_name} <{step.record.author_email}>",
            blob=step.blob if new or step.changed else blob,
            location=step.location if new or step.changed else location,
            eval_summary=event.trailers.get(T.EVAL_SUMMARY),
            rollback_of=(event.trailers.get(T.ROLLBACK_OF) or event.revert_of) if step.adopted else None,
            subject=event.message.title,
            name=step.name,
            adopted=step.adopted,
            same_as=same,
        ))
        if new:
            blob, location = step.blob, step.location
            if step.blob and step.blob not in seen:
                seen[step.blob] = number
    return out


def _event(record: LogRecord) -> Event:
    return event_from_commit(record.commit, record.parents, record.author_name, record.author_email, record.time, record.message)


def resolve_version(ws: Workspace, name: str, ref: str) -> tuple[str, list[str]]:
    """(target commit, the commits after it that changed the skill's SKILL.md) for `vN` or any revision."""
    history = versions(ws, name)
    if not history:
        raise UsageError(f"skill `{name}` has no history; check the name with `skillgit status`.")
    if ref.lower().startswith("v") and ref[1:].isdigit():
        number = int(ref[1:])
        if not 1 <= number <= len(history):
            raise UsageError(f"{ref}: skill `{name}` has versions v1…v{len(history)}; see `skillgit versions {name}`.")
        target = history[number - 1].commit
    else:
        target = ws.repo.resolve(ref)
    commits = [v.commit for v in history]
    if target in commits:
        undone = commits[commits.index(target) + 1 :]
    else:
        folders = _folders_of(ws, name, "HEAD")
        ancestors = set(ws.repo.rev_list(target, paths=folders))
        undone = [c for c in commits if c not in ancestors]
    return target, undone


def version_of(history: Sequence[Version], commit: str) -> Version | None:
    """The version `commit` made or left in place (the last one at or before it in `history`)."""
    found = None
    for v in history:
        found = v if v.number else found
        if v.commit == commit:
            return found
    return None


def journal(
    ws: Workspace,
    *,
    skill: str | None = None,
    kinds: tuple[str, ...] = (),
    since: str | None = None,
    limit: int | None = None,
) -> list[Event]:
    """Events newest first (none from before the `init` event), optionally filtered by skill, event type and
    date (`--since` as git takes it)."""
    from skillgit.events import EVENT_TYPES

    unknown = [k for k in kinds if k not in EVENT_TYPES]
    if unknown:
        raise UsageError(f"--event {unknown[0]}: not an event type; use one of {', '.join(EVENT_TYPES)}.")
    extra = [f"--since={since}"] if since else []
    events = [_as_verified(ws, e) for e in ws.events(*extra)]
    if skill:
        check_skill_name(skill)
        events = [e for e in events if e.about(skill) or (e.revert_of and _reverts_skill(ws, e, skill))]
        if not events and not since and ws.locate(skill) is None:
            known = ", ".join(sorted({e.name for e in ws.skills()})[:10]) or "none"
            raise UsageError(f"--skill {skill}: no skill of that name, now or in any event; skills: {known}.")
    if kinds:
        events = [e for e in events if e.kind in kinds]
    return events[:limit] if limit else events


def _as_verified(ws: Workspace, event: Event) -> Event:
    """`event`, or the one `verify` reads in its commit: a maintainer's squash made by GitHub quotes each
    squashed commit's trailers, and stands for one event naming every skill it changes."""
    if not event.message.forged:
        return event
    from skillgit.policy.squash import github_squash_event

    return github_squash_event(ws, event) or event


def _reverts_skill(ws: Workspace, event: Event, skill: str) -> bool:
    reverted = ws.repo.log("-1", event.revert_of or "", "--")
    if not reverted:
        return False
    r = reverted[0]
    return event_from_commit(r.commit, r.parents, r.author_name, r.author_email, r.time, r.message).about(skill)
