"""Reading history: the journal of events and a skill's versions v1…vN (following attic moves)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from skillgit import trailers as T
from skillgit.errors import UsageError
from skillgit.events import Event, event_from_commit
from skillgit.git import LogRecord
from skillgit.model.skill import check_name as check_skill_name
from skillgit.workspace import Workspace


@dataclass(frozen=True)
class Version:
    """One commit that changed a skill. `blob` is the SKILL.md blob id after it (None once gone)."""

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

    @property
    def label(self) -> str:
        return f"v{self.number}"

    def to_json(self) -> dict[str, object]:
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
        }


def versions(ws: Workspace, name: str, rev: str = "HEAD") -> list[Version]:
    """Every commit that changed skill `name` (active or attic), oldest first, numbered v1…vN."""
    check_skill_name(name)
    if ws.repo.head() is None:
        return []
    active, attic = ws.skill_dir(name), ws.attic_dir(name)
    commits = ws.repo.commits_touching(rev, [active, attic])
    if not commits:
        return []
    records = list(reversed(ws.repo.log("--no-walk", raw=True, stdin="\n".join(commits) + "\n")))
    return _numbered(ws, name, [(r, _event(r)) for r in records])


def all_versions(ws: Workspace, rev: str = "HEAD") -> dict[str, list[Version]]:
    """The versions of every skill that ever had a folder under the skill roots, from one `git log` over
    the roots (not one per skill): what `versions` gives for each, in the log's order.

    One walk over the roots cannot use the commit-graph's changed-path Bloom filters (git uses them for
    one pathspec only), so for a single skill `versions` stays faster; for all of them this is one
    process instead of two per skill. A merge commit is listed under a skill only when git shows it
    (a merge that changed a skill's files beyond both parents has no file list of its own here).
    """
    if ws.repo.head() is None:
        return {}
    touched: dict[str, list[tuple[LogRecord, Event]]] = {}
    for record in ws.repo.iter_log(rev, "--", ws.skills_root, ws.attic_root, raw=True):
        names = {found[0] for change in record.files if (found := ws.skill_name_of(change.path)) is not None}
        if names:
            event = _event(record)  # parsed while git reads on
            for name in names:
                touched.setdefault(name, []).append((record, event))
    out: dict[str, list[Version]] = {}
    for name, records in touched.items():
        try:
            check_skill_name(name)
        except UsageError:
            continue  # not a skill folder (a name skillgit would refuse)
        out[name] = _numbered(ws, name, list(reversed(records)))
    return out


def versions_after(ws: Workspace, known: dict[str, list[Version]], base: str, rev: str = "HEAD") -> dict[str, list[Version]] | None:
    """`known` (every skill's versions at commit `base`, from `all_versions`) brought to `rev`, reading only
    the commits since `base` — or None when that would not give what `all_versions(rev)` gives: `base` is
    not an ancestor of `rev`, a merge came in since (the walk could order the old commits differently), or
    a new commit is dated before `base` (a walk orders commits by date)."""
    head = ws.repo.resolve(rev)
    if head == base:
        return dict(known)
    if ws.repo.merge_base(base, head) != base or ws.repo.run("rev-list", "-1", "--merges", f"{base}..{head}").strip():
        return None
    dates = [int(x) for x in ws.repo.run("log", "--format=%ct", f"{base}..{head}").split()]
    if not dates or min(dates) < int(ws.repo.run("log", "-1", "--format=%ct", base).strip()):
        return None
    touched: dict[str, list[tuple[LogRecord, Event]]] = {}
    for record in ws.repo.iter_log(f"{base}..{head}", "--", ws.skills_root, ws.attic_root, raw=True):
        names = {found[0] for change in record.files if (found := ws.skill_name_of(change.path)) is not None}
        for name in names:
            touched.setdefault(name, []).append((record, _event(record)))
    out = dict(known)
    for name, records in touched.items():
        try:
            check_skill_name(name)
        except UsageError:
            continue
        out[name] = _numbered(ws, name, list(reversed(records)), known.get(name, []))
    return out


def _event(record: LogRecord) -> Event:
    return event_from_commit(record.commit, record.parents, record.author_name, record.author_email, record.time, record.message)


def _numbered(ws: Workspace, name: str, records: list[tuple[LogRecord, Event]], before: Sequence[Version] = ()) -> list[Version]:
    """`records` (oldest first, each with its changed files and event) as versions of skill `name`, after
    the versions `before` (v1…vN when there are none)."""
    active, attic = ws.skill_dir(name), ws.attic_dir(name)
    out: list[Version] = list(before)
    blob: str | None = before[-1].blob if before else None
    location = before[-1].location if before else "gone"
    for record, event in records:
        skill_files = {c.path: c for c in record.files}
        for loc, directory in (("active", active), ("attic", attic)):
            change = skill_files.get(f"{directory}/SKILL.md")
            if change is None:
                continue
            if change.status == "D":
                if location == loc:
                    blob, location = None, "gone"
            else:
                blob, location = change.new_oid, loc
        kind = event.kind or "commit"
        out.append(
            Version(
                number=len(out) + 1,
                commit=record.commit,
                time=datetime.fromtimestamp(record.time, tz=UTC),
                event=kind,
                author=f"{record.author_name} <{record.author_email}>",
                blob=blob,
                location=location,
                eval_summary=event.trailers.get(T.EVAL_SUMMARY),
                rollback_of=event.trailers.get(T.ROLLBACK_OF) or event.revert_of,
            )
        )
    return out


def resolve_version(ws: Workspace, name: str, ref: str) -> tuple[str, list[str]]:
    """(target commit, commits after it that changed the skill) for `vN` or any revision."""
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
        ancestors = set(ws.repo.run("rev-list", target, "--", ws.skill_dir(name), ws.attic_dir(name)).split())
        undone = [c for c in commits if c not in ancestors]
    return target, undone


def journal(
    ws: Workspace,
    *,
    skill: str | None = None,
    kinds: tuple[str, ...] = (),
    since: str | None = None,
    limit: int | None = None,
) -> list[Event]:
    """Events newest first, optionally filtered by skill, event type and date (`--since` as git takes it)."""
    extra = [f"--since={since}"] if since else []
    events = ws.events(*extra)
    if skill:
        check_skill_name(skill)
        events = [e for e in events if e.skill == skill or (e.revert_of and _reverts_skill(ws, e, skill))]
    if kinds:
        events = [e for e in events if e.kind in kinds]
    return events[:limit] if limit else events


def _reverts_skill(ws: Workspace, event: Event, skill: str) -> bool:
    reverted = ws.repo.log("-1", event.revert_of or "", "--")
    if not reverted:
        return False
    r = reverted[0]
    return event_from_commit(r.commit, r.parents, r.author_name, r.author_email, r.time, r.message).skill == skill
