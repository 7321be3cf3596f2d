"""`skillgit status`: the managed skills at HEAD, their owners and versions, and uncommitted skill edits."""

from __future__ import annotations

from typing import Any

from skillgit.errors import SkillFileError
from skillgit.workspace import Workspace


def collect(ws: Workspace) -> dict[str, Any]:
    """A JSON-ready report: skills (with version, last event, and metrics when traces were ingested), events
    (none from before `init`), uncommitted paths, and layout problems (a name used by two folders)."""
    from skillgit.evidence.metrics import status_metrics
    from skillgit.model.skill import parse_skill

    entries = ws.skills()
    metrics = status_metrics(ws)
    events = ws.events()
    numbers = version_numbers(ws)
    last_events: dict[str, Any] = {}
    for event in events:
        for name in (*event.skills, *([event.renamed_from] if event.renamed_from else [])):
            last_events.setdefault(name, event)
    skills = []
    for entry in entries:
        path = f"{entry.dir}/SKILL.md"
        last = last_events.get(entry.name)
        row: dict[str, Any] = {"name": entry.name, "location": entry.location, "blob": entry.blob, "path": path,
                               "version": numbers.get(entry.name),
                               "last_event": {"event": last.kind, "commit": last.commit} if last else None}
        try:
            skill = parse_skill(ws.repo.blob(entry.blob), path)
            row.update(origin=skill.origin, core=skill.core, status=skill.status, problem=None)
        except SkillFileError as exc:
            row.update(origin=None, core=False, status=None, problem=str(exc))
        row.update(metrics.get(entry.name, {}))
        skills.append(row)
    initialised = ws.adoption() is not None
    uncommitted = [p for p in ws.repo.changed_paths(ws.scan_roots) if ws.layout.roots_of(p)] if ws.repo.head() else []
    active = sum(1 for s in skills if s["location"] == "active")
    last = events[0] if events else None
    problems = duplicate_names(entries)
    summary = (
        f"{ws.repo.root}: {active} active, {len(skills) - active} retired skill{'' if len(skills) - active == 1 else 's'} "
        f"under {ws.layout.describe()}; {len(events)} event{'' if len(events) == 1 else 's'}"
        + (f", last {last.kind} {', '.join(last.skills)} {last.commit[:12]}".replace("  ", " ") if last else "")
        + ("" if initialised else " (not initialised: run `skillgit init`)")
    )
    return {
        "root": str(ws.repo.root),
        "initialised": initialised,
        "roots": list(ws.layout.patterns),
        "summary": summary,
        "skills": skills,
        "events": len(events),
        "last_event": last.to_json() if last else None,
        "uncommitted": uncommitted,
        "problems": problems,
    }


def version_numbers(ws: Workspace) -> dict[str, str]:
    """Each skill's current version label (`v3`), from one walk over the skill roots."""
    from skillgit.history import all_versions

    out = {}
    for name, history in all_versions(ws).items():
        numbered = [v for v in history if v.number]
        if numbered:
            out[name] = numbered[-1].label
    return out


def duplicate_names(entries: list[Any]) -> list[str]:
    """A problem for each skill name that two folders use (events name skills by name)."""
    seen: dict[tuple[str, str], list[str]] = {}
    for entry in entries:
        seen.setdefault((entry.name, entry.location), []).append(entry.dir)
    return [f"skill name `{name}` is used by {len(dirs)} folders ({', '.join(dirs)}); events name a skill by its name, "
            f"so rename all but one (`skillgit mv {name} NEW-NAME`)"
            for (name, _loc), dirs in sorted(seen.items()) if len(dirs) > 1]
