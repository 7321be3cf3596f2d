"""`skillgit status`: the managed skills at HEAD, their owners and versions, and uncommitted skill edits."""

from __future__ import annotations

import json
import os
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
    with _SkillCache(ws) as cache:
        for entry in entries:
            path = f"{entry.dir}/SKILL.md"
            last = last_events.get(entry.name)
            row: dict[str, Any] = {"name": entry.name, "location": entry.location, "blob": entry.blob, "path": path,
                                   "version": numbers.get(entry.name),
                                   "last_event": {"event": last.kind, "commit": last.commit} if last else None}
            key = f"{entry.blob} {path}"
            found = cache.get(key)
            if found is None:
                try:
                    skill = parse_skill(ws.repo.blob(entry.blob), path)
                    found = cache.put(key, [skill.origin, skill.core, skill.status, None])
                except SkillFileError as exc:
                    found = cache.put(key, [None, False, None, str(exc)])
            row.update(zip(("origin", "core", "status", "problem"), found, strict=True))
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


class _SkillCache:
    """What `status` shows of each SKILL.md (origin, core, status, problem), kept by blob id and path in
    `.git/skillgit/status-cache.json`, so a status reads only the skills that changed since the last one.
    Kept with a fingerprint of the parsing code (another one starts over); best effort, never an error."""

    MODULES = ("skillgit.model.skill", "skillgit.model.frontmatter", "skillgit.model.fastyaml", "skillgit.yamlio")

    def __init__(self, ws: Workspace) -> None:
        from skillgit.eventindex import code_fingerprint

        self.path = ws.repo.state_dir / "status-cache.json"
        self.fingerprint = code_fingerprint(self.MODULES)
        self.kept: dict[str, list[Any]] = {}
        self.used: dict[str, list[Any]] = {}
        self.changed = False
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("fingerprint") == self.fingerprint and isinstance(data.get("rows"), dict):
                self.kept = data["rows"]
        except (OSError, ValueError, AttributeError):
            pass

    def get(self, key: str) -> list[Any] | None:
        found = self.kept.get(key)
        if isinstance(found, list) and len(found) == 4:
            self.used[key] = found
            return found
        return None

    def put(self, key: str, row: list[Any]) -> list[Any]:
        self.used[key] = row
        self.changed = True
        return row

    def __enter__(self) -> _SkillCache:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.changed and len(self.used) == len(self.kept):
            return
        try:  # only the skills of this HEAD: the file does not grow with the history
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"fingerprint": self.fingerprint, "rows": self.used}), encoding="utf-8")
            tmp.replace(self.path)
        except (OSError, TypeError, ValueError):
            pass
