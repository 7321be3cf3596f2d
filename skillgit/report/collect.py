"""What `skillgit report` shows, gathered from the read-side library into one JSON-ready mapping.

Nothing here computes anything of its own: versions come from `history`, per-version metrics from
`evidence.metrics.version_rows`, gate decisions from `evals.ledger`, predictions from
`evidence.expectations`, the inventory from `status.collect` and the proposal branches, and the
verdict from `policy.verify`. The HTML and Markdown renderers read only this mapping.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, cast

from skillgit import trailers as T
from skillgit.errors import SkillgitError, UsageError
from skillgit.report.data import (
    CaseData,
    DecisionData,
    EventData,
    GradeData,
    Inventory,
    Proposal,
    ReportData,
    SkillData,
    Tally,
    VerifyData,
    VersionData,
)

if TYPE_CHECKING:
    from skillgit.evals.stats import Tally as CaseTally
    from skillgit.events import Event
    from skillgit.history import Version
    from skillgit.jsontypes import JSON, JSONObject
    from skillgit.status import SkillRow
    from skillgit.workspace import Workspace

PROPOSALS = "refs/heads/skillgit/proposal/"


def collect(ws: Workspace, since: str | None = None, *, verify: bool = True, quiet: bool = False,
            detail: bool = True) -> ReportData:
    """Everything the report shows about the repository at HEAD; with `since` (a revision), the events,
    versions, decisions and predictions of `since..HEAD` (and the version in effect at `since`), and
    verify over that range. Without `detail`, only what the Markdown shows: the events of the range
    and the gate decisions among them (no sessions, versions or inventory are read).

    The verify walk shows a progress bar on a terminal (not when `quiet`)."""
    from skillgit.history import journal
    from skillgit.policy.ranges import resolve_range

    head = ws.repo.head()
    if head is None:
        raise UsageError(f"{ws.repo.root}: the repository has no commits yet; nothing to report. Run `skillgit init` first.")
    ws.require_history(head, "cannot report the history")
    rng = resolve_range(ws, f"{since}..HEAD" if since else "HEAD")
    inside = _commits(ws, rng.base, rng.head) if rng.base else None
    events = journal(ws)
    shown = [e for e in events if inside is None or e.commit in inside]
    by_commit = {e.commit: e for e in events}
    data: ReportData = {
        "root": str(ws.repo.root),
        "head": head,
        "branch": ws.repo.branch(),
        "range": {"spec": rng.spec, "since": since, "base": rng.base, "head": rng.head},
        "events": [_event(e) for e in shown],
        "skills": [],
        "predictions": [],
        "verify": None,
    }
    if detail:
        _detail(data, ws, events, shown, inside, by_commit)
    else:
        names = sorted({e.skill for e in shown if e.skill})
        data["skills"] = [{"name": n, "decisions": _decisions(ws, n, events, inside, by_commit)} for n in names]
    data["verify"] = _verify(ws, rng.spec, quiet) if verify else None
    return data


def _detail(data: ReportData, ws: Workspace, events: Sequence[Event], shown: Sequence[Event], inside: set[str] | None,
            by_commit: dict[str, Event]) -> None:
    """The page's part, added to `data`: skills with versions, metrics, events and decisions; predictions;
    inventory."""
    from skillgit.evidence.expectations import grade_expectations
    from skillgit.evidence.ingested import Ingested
    from skillgit.evidence.metrics import version_rows
    from skillgit.status import collect as status

    inventory = status(ws)
    with Ingested.open(ws) as ev:
        names = ev.catalog.names
        histories = {name: ev.catalog.versions(name) for name in names}
        rows = version_rows(ws, ev, names)
        grades = grade_expectations(ws, ev.summaries, ev.learnings, catalog=ev.catalog, attributions=ev.attributions,
                                    channels=ev.channels) if ev.summaries else []
        evidence = (len(ev.summaries), len(ev.learnings))
    metrics: dict[tuple[str, str], Mapping[str, JSON]] = {
        (cast(str, row["skill"]), label): row for row in rows for label in cast(list[str], row["versions"])}
    skills: list[SkillData] = []
    for entry in inventory["skills"]:
        name = entry["name"]
        versions = _in_range(histories.get(name, []), inside)
        skills.append({
            "name": name, "location": entry["location"], "status": entry["status"], "origin": entry["origin"],
            "core": entry["core"], "blob": entry["blob"], "problem": entry["problem"],
            "versions": [_version(v, metrics.get((name, v.label)), inside) for v in versions],
            "events": [_event(e) for e in _skill_events(name, versions, shown)],
            "decisions": _decisions(ws, name, events, inside, by_commit),
        })
    data["summary"] = inventory["summary"]
    data["evidence"] = {"sessions": evidence[0], "learnings": evidence[1]}
    data["skills"] = skills
    data["predictions"] = [cast(GradeData, g.to_json()) for g in grades if inside is None or g.commit in inside]
    data["inventory"] = _inventory(ws, inventory["skills"])


def _in_range(versions: Sequence[Version], inside: set[str] | None) -> list[Version]:
    """The versions made in the range, after the one in effect at its base (what they are compared with)."""
    if inside is None:
        return list(versions)
    first = next((i for i, v in enumerate(versions) if v.commit in inside), None)
    if first is None:
        return []
    return [v for i, v in enumerate(versions) if v.commit in inside or i == first - 1]


def _commits(ws: Workspace, base: str, head: str) -> set[str]:
    return set(ws.repo.rev_list(f"{base}..{head}"))


def _version(v: Version, metrics: Mapping[str, JSON] | None, inside: set[str] | None) -> VersionData:
    keep = ("uses", "wins", "failures", "complaints", "win_rate", "failure_rate", "score", "status")
    shown: JSONObject | None = {k: metrics[k] for k in keep} if metrics else None
    return cast(VersionData, {**v.to_json(), "metrics": shown, "in_range": inside is None or v.commit in inside})


def _skill_events(name: str, versions: Sequence[Version], events: Sequence[Event]) -> list[Event]:
    """The events about skill `name`: those naming it, and those that made one of its versions (a plain
    `git revert` names no skill; the history shows which skill it changed)."""
    made = {v.commit for v in versions}
    return [e for e in events if e.skill == name or (e.skill is None and e.commit in made)]


def _event(e: Event) -> EventData:
    return cast(EventData, {**e.to_json(), "body": e.message.body.strip()})


def _decisions(ws: Workspace, name: str, events: Sequence[Event], inside: set[str] | None,
               by_commit: dict[str, Event]) -> list[DecisionData]:
    from skillgit.evals.ledger import ledger

    out: list[DecisionData] = []
    for d in ledger(ws, name, events):
        if inside is not None and d.commit not in inside:
            continue
        event = by_commit.get(d.commit)
        body = event.message.body.strip() if event is not None else ""
        cases, problem = _cases(body, d.commit)
        out.append(cast(DecisionData, {**d.to_json(), "trigger": event.trailers.get(T.TRIGGER) if event else None,
                                        "body": body, "cases": cases, "cases_error": problem}))
    return out


def _cases(body: str, commit: str) -> tuple[list[CaseData], str | None]:
    """The per-case counts the decision rests on, read from the event's body: train cases by suite and
    id, holdout cases without one. Pass/fail counts carry the candidate's 95% Wilson interval; judged
    holdout cases their score sum, runs and sum of squares. An unreadable block gives its error."""
    from skillgit.evals.counts import CountsError, parse_counts
    from skillgit.evals.stats import wilson

    try:
        counts = parse_counts(body, f"commit {commit[:12]}")
    except CountsError as exc:
        return [], str(exc)
    if counts is None:
        return [], None
    rows: list[CaseData] = []
    for c in counts.cases:
        scored = c.part == "holdout" and counts.scored_holdout
        champion, candidate = (_tally(t, scored) for t in (c.champion, c.candidate))
        rows.append({"part": c.part, "suite": c.group or None, "case": c.case or None, "scored": scored,
                     "champion": champion, "candidate": candidate,
                     "candidate_interval": None if scored else list(wilson(c.candidate.total, c.candidate.runs))})
    return rows, None


def _tally(tally: CaseTally, scored: bool) -> Tally:
    if scored:
        return {"sum": tally.total, "runs": tally.runs, "squares": tally.squares}
    return {"passes": int(tally.total), "runs": tally.runs}


def _inventory(ws: Workspace, skills: Sequence[SkillRow]) -> Inventory:
    """Active and retired skills at HEAD, skills whose frontmatter says `status: candidate`, and the
    proposal branches the cycle left for review."""
    proposals: list[Proposal] = []
    for ref, commit, when in ws.repo.refs_under(PROPOSALS):
        proposals.append({"branch": ref.removeprefix("refs/heads/"), "commit": commit, "time": when})
    return {
        "active": [s["name"] for s in skills if s["location"] == "active"],
        "attic": [s["name"] for s in skills if s["location"] == "attic"],
        "candidate": [s["name"] for s in skills if s.get("status") == "candidate"],
        "proposals": proposals,
    }


def _verify(ws: Workspace, spec: str, quiet: bool) -> VerifyData:
    from skillgit.policy.verify import verify
    from skillgit.progress import commits_bar

    try:
        with commits_bar(ws, spec, "verifying", quiet=quiet) as advance:
            report = verify(ws, spec, progress=advance)
    except SkillgitError as exc:
        return {"range": spec, "ok": False, "error": str(exc), "violations": [], "warnings": []}
    return cast(VerifyData, report.to_json())
