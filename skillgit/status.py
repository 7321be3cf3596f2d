"""`skillgit status`: the managed skills at HEAD, their owners and versions, and uncommitted skill edits."""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NamedTuple, NotRequired, TypedDict, TypeGuard

from skillgit.errors import SkillFileError
from skillgit.workspace import SkillEntry, Workspace

if TYPE_CHECKING:
    from collections.abc import Mapping

    from skillgit.events import Event
    from skillgit.history import RootsLog
    from skillgit.jsontypes import JSON, JSONObject

_EPOCH = datetime.fromtimestamp(0, tz=UTC)


class LastEvent(TypedDict):
    event: str
    commit: str


class SkillRow(TypedDict):
    """One skill of `skillgit status --json`; the measures only once traces were ingested."""

    name: str
    location: str
    blob: str
    path: str
    version: str | None
    last_event: LastEvent | None
    origin: str | None
    core: bool
    status: str | None
    problem: str | None
    uses: NotRequired[JSON]
    win_rate: NotRequired[JSON]
    score: NotRequired[JSON]
    evidence: NotRequired[JSON]


class StatusReport(TypedDict):
    """`skillgit status --json`."""

    root: str
    initialised: bool
    roots: list[str]
    summary: str
    skills: list[SkillRow]
    events: int
    last_event: dict[str, object] | None
    uncommitted: list[str]
    problems: list[str]


class _Shown(NamedTuple):
    """What a SKILL.md shows in status, kept by blob: its origin, core, status, or why it cannot be read."""

    origin: str | None
    core: bool
    status: str | None
    problem: str | None


class _Count(NamedTuple):
    """A skill's number of versions and its last version's commit, blob and location."""

    number: int
    commit: str
    blob: str | None
    location: str


def collect(ws: Workspace) -> StatusReport:
    """A JSON-ready report: skills (with version, last event, and metrics when traces were ingested), events
    (none from before `init`), uncommitted paths, and layout problems (a name used by two folders)."""
    from skillgit.history import Ahead

    roots = ws.scan_roots
    head = ws.repo.head()
    # `git status` (the uncommitted edits) runs while the rest is read
    changed = Ahead(lambda: ws.repo.changed_paths(roots), "skillgit-status") if head else None
    metrics: Mapping[str, Mapping[str, JSON]] = {}
    if _ingested(ws):
        from skillgit.evidence.metrics import status_metrics

        metrics = status_metrics(ws)
    with _Cache(ws) as cache:
        entries = cache.entries(ws, head)
        if entries is None:
            entries = ws.skills()
            if head is not None:
                cache.put_entries(ws, head, entries)
        ahead = None
        if cache.versions(ws) is None and ws.repo.head() is not None:
            from skillgit.history import RootsLog

            ahead = RootsLog(ws)  # every version is read: git walks the roots while the events are counted
        count, last, last_events, initialised = _events(ws)
        numbers = version_numbers(ws, cache, ahead)
        skills = [_row(ws, entry, numbers, last_events, metrics, cache) for entry in entries]
    uncommitted = [p for p in changed.result() if ws.layout.roots_of(p)] if changed is not None else []
    active = sum(1 for s in skills if s["location"] == "active")
    problems = duplicate_names(entries)
    summary = (
        f"{ws.repo.root}: {active} active, {len(skills) - active} retired skill{'' if len(skills) - active == 1 else 's'} "
        f"under {ws.layout.describe()}; {count} event{'' if count == 1 else 's'}"
        + (f", last {last.kind} {', '.join(last.skills)} {last.commit[:12]}".replace("  ", " ") if last else "")
        + ("" if initialised else " (not initialised: run `skillgit init`)")
    )
    return {
        "root": str(ws.repo.root),
        "initialised": initialised,
        "roots": list(ws.layout.patterns),
        "summary": summary,
        "skills": skills,
        "events": count,
        "last_event": last.to_json() if last else None,
        "uncommitted": uncommitted,
        "problems": problems,
    }


def _ingested(ws: Workspace) -> bool:
    """Traces may have been ingested: the evidence database lists a source, or cannot be read here (the
    evidence modules then say). Asked of SQLite alone, so a status without evidence loads none of them."""
    from skillgit.evidence.db import db_path

    path = db_path(ws.repo)
    if not path.exists():
        return False
    try:
        con = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=1)
        try:
            return con.execute("SELECT 1 FROM sources LIMIT 1").fetchone() is not None
        finally:
            con.close()
    except sqlite3.Error:
        return True


def _row(ws: Workspace, entry: SkillEntry, numbers: dict[str, str], last_events: dict[str, tuple[str, str]],
         metrics: Mapping[str, Mapping[str, JSON]], cache: _Cache) -> SkillRow:
    """One skill's row: what its SKILL.md shows read again only when its blob changed (`cache`)."""
    from skillgit.model.skill import parse_skill

    path = f"{entry.dir}/SKILL.md"
    last = last_events.get(entry.name)
    key = f"{entry.blob} {path}"
    found = cache.skill(key)
    if found is None:
        try:
            skill = parse_skill(ws.repo.blob(entry.blob), path)
            found = cache.put_skill(key, _Shown(skill.origin, skill.core, skill.status, None))
        except SkillFileError as exc:
            found = cache.put_skill(key, _Shown(None, False, None, str(exc)))
    row: SkillRow = {"name": entry.name, "location": entry.location, "blob": entry.blob, "path": path,
                     "version": numbers.get(entry.name),
                     "last_event": {"event": last[0], "commit": last[1]} if last else None,
                     "origin": found.origin, "core": found.core, "status": found.status, "problem": found.problem}
    measured = metrics.get(entry.name, {})
    for measure in ("uses", "win_rate", "score", "evidence"):
        if measure in measured:
            row[measure] = measured[measure]
    return row


def _events(ws: Workspace) -> tuple[int, Event | None, dict[str, tuple[str, str]], bool]:
    """The events since `init` (`Workspace.events`'s): how many, the newest, (type, commit) of the newest
    naming each skill, and whether skillgit was initialised; counted in the event index, reading only
    the rows shown. Events from before `init` (in `git log`'s order) are left out by asking git which
    commits `init` came after, as `Workspace.events` does."""
    if ws.repo.head() is None:
        return 0, None, {}, False
    with ws.event_log(build=True) as log:
        adoption = ws.adoption("HEAD", log)
        n = len(log)
        at = log.position(adoption.commit) if adoption is not None and adoption.parents else n - 1
        if at is not None and at + 1 == n:  # nothing older than `init` to leave out
            return n, log.get(0), log.latest_by_skill(n), adoption is not None
    events = ws.events()
    latest: dict[str, tuple[str, str]] = {}
    for event in events:
        for name in (*event.skills, *([event.renamed_from] if event.renamed_from else [])):
            latest.setdefault(name, (str(event.kind), event.commit))
    return len(events), events[0] if events else None, latest, adoption is not None


def version_numbers(ws: Workspace, cache: _Cache | None = None, ahead: RootsLog | None = None) -> dict[str, str]:
    """Each skill's current version label (`v3`), from one walk over the skill roots (`history.all_versions`;
    `ahead`: its log, started earlier); with `cache`, kept for HEAD and brought to a later HEAD by reading
    only the commits since (`history.versions_after`, when it can: no merge, no rename since)."""
    from skillgit.history import Version, all_versions, versions_after

    head = ws.repo.head()
    if head is None:
        return {}
    counts: dict[str, _Count] | None = None
    kept = cache.versions(ws) if cache is not None else None
    if kept is not None and kept[0] == head:
        counts = kept[1]
    elif kept is not None:
        at, known = kept
        # each skill's last version, numbered 1: what comes after is numbered on from it
        stubs = {name: [Version(number=1, commit=k.commit, time=_EPOCH, event="", author="", blob=k.blob, location=k.location,
                                eval_summary=None, rollback_of=None)] for name, k in known.items()}
        after = versions_after(ws, stubs, at, head)
        if after is not None:
            counts = {}
            for name, history in after.items():
                numbered = [v for v in history if v.number]
                if numbered:
                    before = known[name].number - 1 if name in known else 0
                    counts[name] = _Count(before + len(numbered), numbered[-1].commit, numbered[-1].blob, numbered[-1].location)
    if counts is None:
        counts = {}
        for name, history in all_versions(ws, ahead=ahead).items():
            numbered = [v for v in history if v.number]
            if numbered:
                counts[name] = _Count(len(numbered), numbered[-1].commit, numbered[-1].blob, numbered[-1].location)
    if cache is not None:
        cache.put_versions(ws, head, counts)
    return {name: f"v{kept.number}" for name, kept in counts.items()}


def duplicate_names(entries: list[SkillEntry]) -> list[str]:
    """A problem for each skill name that two folders use (events name skills by name)."""
    seen: dict[tuple[str, str], list[str]] = {}
    for entry in entries:
        seen.setdefault((entry.name, entry.location), []).append(entry.dir)
    return [f"skill name `{name}` is used by {len(dirs)} folders ({', '.join(dirs)}); events name a skill by its name, "
            f"so rename all but one (`skillgit mv {name} NEW-NAME`)"
            for (name, _loc), dirs in sorted(seen.items()) if len(dirs) > 1]


class _Cache:
    """What `status` read before, kept in `.git/skillgit/status-cache.json`: what each SKILL.md shows
    (origin, core, status, problem) by blob id and path, so a status reads only the skills that changed;
    and at one HEAD, the skills its tree holds and each one's version count. Kept with a fingerprint of the
    code that reads them (another one starts over); best effort, never an error."""

    MODULES = ("skillgit.model.skill", "skillgit.model.frontmatter", "skillgit.yamlio.fast", "skillgit.yamlio",
               "skillgit.history", "skillgit.model.layout", "skillgit.status", "skillgit.workspace")

    def __init__(self, ws: Workspace) -> None:
        from skillgit.eventindex import code_fingerprint

        self.path = ws.repo.state_dir / "status-cache.json"
        self.fingerprint = code_fingerprint(self.MODULES)
        self.kept: JSONObject = {}
        self.used: JSONObject = {}
        self.kept_versions: JSONObject = {}
        self.kept_entries: JSONObject = {}
        self.changed = False
        try:
            data = _load_json(self.path.read_text(encoding="utf-8"))
            rows, versions, entries = data.get("rows"), data.get("versions"), data.get("entries")
            if data.get("fingerprint") == self.fingerprint and isinstance(rows, dict):
                self.kept = rows
                self.kept_versions = versions if isinstance(versions, dict) else {}
                self.kept_entries = entries if isinstance(entries, dict) else {}
        except (OSError, ValueError, AttributeError):
            pass

    def entries(self, ws: Workspace, head: str | None) -> list[SkillEntry] | None:
        """The skills in the tree of `head` (`Workspace.skills`), as kept for it and this layout."""
        kept = self.kept_entries
        rows = kept.get("skills")
        if head is None or kept.get("at") != head or kept.get("layout") != ws.layout.key or not isinstance(rows, list):
            return None
        if not all(isinstance(row, list) and len(row) == 4 and all(isinstance(x, str) for x in row) for row in rows):
            return None
        return [SkillEntry(*(str(x) for x in row)) for row in rows if isinstance(row, list)]

    def put_entries(self, ws: Workspace, head: str, entries: list[SkillEntry]) -> None:
        self.kept_entries = {"at": head, "layout": ws.layout.key,
                             "skills": [[e.name, e.location, e.blob, e.dir] for e in entries]}
        self.changed = True

    def skill(self, key: str) -> _Shown | None:
        found = self.kept.get(key)
        if isinstance(found, list) and len(found) == 4:
            origin, core, status, problem = found
            if _str_or_none(origin) and isinstance(core, bool) and _str_or_none(status) and _str_or_none(problem):
                self.used[key] = found
                return _Shown(origin, core, status, problem)
        return None

    def put_skill(self, key: str, row: _Shown) -> _Shown:
        self.used[key] = list(row)
        self.changed = True
        return row

    def versions(self, ws: Workspace) -> tuple[str, dict[str, _Count]] | None:
        """(HEAD, each skill's count, commit, blob and location) as kept for this layout."""
        kept = self.kept_versions
        at, counts = kept.get("at"), kept.get("skills")
        if kept.get("layout") != ws.layout.key or not isinstance(at, str) or not isinstance(counts, dict):
            return None
        out = {}
        for name, row in counts.items():
            if not (isinstance(row, list) and len(row) == 4 and type(row[0]) is int):
                return None
            number, commit, blob, location = row
            if not (isinstance(number, int) and isinstance(commit, str) and _str_or_none(blob) and isinstance(location, str)):
                return None
            out[name] = _Count(number, commit, blob, location)
        return at, out

    def put_versions(self, ws: Workspace, head: str, counts: dict[str, _Count]) -> None:
        skills: JSONObject = {name: list(kept) for name, kept in counts.items()}
        new: JSONObject = {"at": head, "layout": ws.layout.key, "skills": skills}
        if new != self.kept_versions:
            self.kept_versions = new
            self.changed = True

    def __enter__(self) -> _Cache:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.changed and len(self.used) == len(self.kept):
            return
        try:  # only the skills of this HEAD: the file does not grow with the history
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"fingerprint": self.fingerprint, "rows": self.used, "versions": self.kept_versions,
                                       "entries": self.kept_entries}), encoding="utf-8")
            tmp.replace(self.path)
        except (OSError, TypeError, ValueError):
            pass


def _str_or_none(value: object) -> TypeGuard[str | None]:
    return value is None or isinstance(value, str)


def _load_json(text: str) -> JSONObject:
    """The cache file's JSON object (ValueError when it is not one)."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data
