"""Evidence for one cycle: the ingested sessions, attributed → metrics (whole window and current version) → diagnosis.

Metrics for the refine decision are those of each skill's **current version** (the sessions that
ran while it was in effect, and the complaints timed inside that span), so a problem that a
refine fixed stops counting once the new version is in place. Retire looks at the whole window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from skillgit.cycle.plan import Evidenced
    from skillgit.evidence.attribution import Catalog
    from skillgit.evidence.diagnosis import Finding
    from skillgit.evidence.ingested import Ingested
    from skillgit.evidence.metrics import Metrics
    from skillgit.evidence.session import Learning
    from skillgit.workspace import Workspace


@dataclass(frozen=True)
class Evidence:
    catalog: Catalog
    learnings: tuple[Learning, ...]
    """The learnings that name a skill (`Ingested.naming_learnings`): the others are never a complaint nor a
    pattern key to cover. Their texts (title, context, takeaway) are left empty: `with_texts` reads them."""
    metrics: dict[str, Metrics]
    """Every skill at HEAD over all sessions."""
    current: dict[str, Metrics]
    """Active skills, over the sessions of their current version (falls back to `metrics`)."""
    ingested: Ingested
    """Where skill uses and sessions are read from, a skill at a time."""

    def used_after(self, since: datetime | None) -> set[str]:
        """The skills used (weak uses included) by a session that ran after `since` (any time: None)."""
        return self.ingested.used_after(since)

    def with_texts(self) -> Iterable[Learning]:
        """`learnings` with their texts, read from the store as they go."""
        return self.ingested.naming_learnings()

    def complaints(self, name: str, *, texts: bool = False) -> list[Learning]:
        """Learnings tied to `name` (pattern_key or skill field), timed inside its current version's span (with their
        texts when asked: `with_texts`)."""
        from skillgit.evidence.metrics import is_complaint

        start = self.version_start(name)
        return [x for x in (self.with_texts() if texts else self.learnings)
                if is_complaint(x, name) and (start is None or x.ts is None or x.ts.replace(tzinfo=x.ts.tzinfo or UTC) >= start)]

    def version_start(self, name: str) -> datetime | None:
        """When the current version of `name` came into effect (its latest run of versions with that blob)."""
        entry = self.catalog.entries.get(name)
        if entry is None:
            return None
        start = None
        for version in self.catalog.versions(name):
            if version.blob == entry.blob and start is None:
                start = version.time
            elif version.blob != entry.blob:
                start = None
        return start

    def evidenced(self, ws: Workspace, name: str) -> Evidenced:
        """Findings and complaints of `name` as JSON-ready mappings (what proposers and commit bodies show)."""
        from skillgit.cycle.plan import Evidenced
        from skillgit.evidence.adapters.native import learning_to_dict

        findings = tuple(f.to_json() for f in self.findings(ws, name)) if name in self.catalog.entries else ()
        return Evidenced(findings, tuple(learning_to_dict(x) for x in self.complaints(name, texts=True)))

    def findings(self, ws: Workspace, name: str) -> list[Finding]:
        """Diagnosis of `name` over the sessions of its current version (all of its sessions when none)."""
        from skillgit.evidence.diagnosis import stored_diagnosis

        entry = self.catalog.entries[name]
        version = entry.blob if self.ingested.has_uses(name, entry.blob) else None
        return list(stored_diagnosis(ws, self.ingested, name, ws.config, version=version))


def gather(ws: Workspace, ingested: Ingested) -> Evidence:
    """The cycle's evidence from what was ingested (attributed once, at ingest, and kept)."""
    from skillgit.evidence.metrics import Uses, per_version, stored_metrics

    # every use of the learnings in a cycle is of those that name a skill: complaints, uncovered pattern keys
    catalog, chan, learnings = ingested.catalog, ingested.channels, tuple(ingested.naming_learnings(texts=False))
    by_version: dict[str, dict[str, Metrics]] = {}

    def current_version(name: str, uses: Uses) -> None:  # with the uses the whole window's figures were made of
        entry = catalog.entries[name]
        if entry.location == "active":
            by_version[name] = per_version(ws, name, ingested.timeline, learnings, ws.config, catalog=catalog,
                                           channels=chan, only=entry.blob, uses=uses)

    metrics = stored_metrics(ws, ingested, ws.config, each=current_version)
    current = {name: by_version[name].get(entry.blob) or metrics[name]
               for name, entry in catalog.entries.items() if entry.location == "active"}
    return Evidence(catalog, learnings, metrics, current, ingested)
