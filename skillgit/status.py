"""`skillgit status`: the managed skills at HEAD, their owners and versions, and uncommitted skill edits."""

from __future__ import annotations

from typing import Any

from skillgit.errors import SkillFileError
from skillgit.workspace import Workspace


def collect(ws: Workspace) -> dict[str, Any]:
    """A JSON-ready report: skills (with metrics when traces were ingested), events, uncommitted paths."""
    from skillgit.model.skill import parse_skill

    entries = ws.skills()
    from skillgit.evidence.metrics import status_metrics

    metrics = status_metrics(ws)
    skills = []
    for entry in entries:
        path = f"{ws.dir_for(entry.name, entry.location)}/SKILL.md"
        row: dict[str, Any] = {"name": entry.name, "location": entry.location, "blob": entry.blob, "path": path}
        try:
            skill = parse_skill(ws.repo.blob(entry.blob), path)
            row.update(origin=skill.origin, core=skill.core, status=skill.status, problem=None)
        except SkillFileError as exc:
            row.update(origin=None, core=False, status=None, problem=str(exc))
        row.update(metrics.get(entry.name, {}))
        skills.append(row)
    events = ws.events()
    initialised = any(e.kind == "init" for e in events)
    uncommitted = ws.repo.changed_paths([ws.skills_root, ws.attic_root]) if ws.repo.head() else []
    active = sum(1 for s in skills if s["location"] == "active")
    last = events[0] if events else None
    summary = (
        f"{ws.repo.root}: {active} active, {len(skills) - active} retired skills; {len(events)} events"
        + (f", last {last.kind} {last.skill or ''} {last.commit[:12]}".rstrip() if last else "")
        + ("" if initialised else " (not initialised: run `skillgit init`)")
    )
    return {
        "root": str(ws.repo.root),
        "initialised": initialised,
        "summary": summary,
        "skills": skills,
        "events": len(events),
        "last_event": last.to_json() if last else None,
        "uncommitted": uncommitted,
    }
