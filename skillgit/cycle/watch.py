"""`skillgit watch`: did the latest version of a skill make things worse than the one before it?

For every active skill whose current version was committed within `watch.window_days`, the
sessions attributed to the current version and to the previous version (the last earlier version
with other content) are compared like for like: the same metric (win_rate = wins / uses) over
sessions attributed with the same strength — explicit invocation or stamped id first, then a read
of SKILL.md, then (only with `metrics.count_weak`) keywords; the first class with at least
`watch.min_sessions` sessions on both sides is used. An alert fires when win_rate fell by more
than `watch.max_drop`. With `--auto-rollback` each alerted skill is restored to the previous
version by one `rollback` commit, authored like any `skillgit rollback` by whoever runs watch
(run it as the agent and the agent rules apply to it too).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from skillgit.evidence.session import Session, SessionSummary
from skillgit.jsontypes import JSONObject

if TYPE_CHECKING:
    from skillgit.evidence.attribution import Attribution, Catalog, Strength
    from skillgit.evidence.ingested import Ingested
    from skillgit.history import Version
    from skillgit.operations import Result
    from skillgit.workspace import Workspace

EPSILON = 1e-9
CLASSES = {"explicit": "explicit", "stamped": "explicit", "read": "read", "weak": "weak"}


@dataclass(frozen=True)
class Side:
    label: str
    commit: str
    blob: str
    uses: int
    wins: int

    @property
    def win_rate(self) -> float:
        return self.wins / self.uses if self.uses else 0.0

    def to_json(self) -> JSONObject:
        return {"version": self.label, "commit": self.commit, "blob": self.blob, "uses": self.uses, "wins": self.wins,
                "win_rate": round(self.win_rate, 4)}


@dataclass(frozen=True)
class Comparison:
    skill: str
    path: str
    new: Side
    old: Side
    strength: str | None
    """The attribution class compared; None when no class had enough sessions on both sides."""
    max_drop: float
    min_sessions: int

    @property
    def drop(self) -> float:
        return self.old.win_rate - self.new.win_rate

    @property
    def alert(self) -> bool:
        return self.strength is not None and self.drop > self.max_drop + EPSILON

    def message(self) -> str:
        figures = (f"{self.path}: {self.new.label} ({self.new.blob[:7]}) win_rate {self.new.win_rate:.2f} over "
                   f"{self.new.uses} session(s) vs {self.old.label} ({self.old.blob[:7]}) {self.old.win_rate:.2f} over "
                   f"{self.old.uses}")
        if self.strength is None:
            return f"{figures} — too few sessions to compare (watch.min_sessions {self.min_sessions} on both sides)"
        verdict = (f"dropped {self.drop:.2f} > {self.max_drop:.2f}" if self.alert
                   else f"change {-self.drop:+.2f}, within watch.max_drop {self.max_drop:.2f}")
        return f"{figures} — {verdict} ({self.strength} attribution)"

    def to_json(self) -> JSONObject:
        return {"skill": self.skill, "alert": self.alert, "attribution": self.strength, "drop": round(self.drop, 4),
                "new": self.new.to_json(), "old": self.old.to_json(), "message": self.message()}


Use = tuple["str | None", "Strength", bool]
"""One use of a skill: the version, the strength, whether the session succeeded."""


def watch(ws: Workspace, sessions: Sequence[Session | SessionSummary], *, now: datetime, catalog: Catalog | None = None,
          attributions: Sequence[Attribution] | None = None) -> list[Comparison]:
    """Every comparison (see the module doc); `attributions` (with their `catalog`) are found in `sessions`
    when not given (whole sessions then)."""
    from skillgit.evidence.attribution import Catalog, attribute

    catalog = catalog or Catalog(ws)
    found = attributions if attributions is not None else attribute([s for s in sessions if isinstance(s, Session)], ws,
                                                                     catalog=catalog)
    outcome = {s.id: s.outcome for s in sessions}
    mine: dict[str, list[Use]] = {}
    for a in found:
        mine.setdefault(a.skill, []).append((a.version, a.strength, outcome.get(a.session_id) == "success"))
    return _compare(ws, catalog, now, lambda name: mine.get(name, []))


def stored_watch(ws: Workspace, ev: Ingested, *, now: datetime) -> list[Comparison]:
    """`watch` over everything ingested, each skill's uses read from the store for that skill alone."""
    timeline = ev.timeline
    return _compare(ws, ev.catalog, now,
                    lambda name: [(version, strength, bool(timeline.success[p])) for p, strength, version in ev.uses_at(name)])


def _compare(ws: Workspace, catalog: Catalog, now: datetime, uses_of: Callable[[str], list[Use]]) -> list[Comparison]:
    cfg = ws.config.watch
    count_weak = bool(ws.config.metrics.count_weak)
    since = now - timedelta(days=float(cfg.window_days))
    out: list[Comparison] = []
    for name, entry in sorted(catalog.entries.items()):
        if entry.location != "active":
            continue
        history = catalog.versions(name)
        pair = _latest_pair(history, entry.blob)
        if pair is None or pair[0].time < since:
            continue
        new, old = pair
        counts: dict[tuple[str, str], list[bool]] = {}
        for version, strength, success in uses_of(name):
            if version in (new.blob, old.blob):
                counts.setdefault((str(version), CLASSES[strength]), []).append(success)
        classes = ["explicit", "read"] + (["weak"] if count_weak else [])
        chosen = next((c for c in classes if min(len(counts.get((new.blob or "", c), [])),
                                                   len(counts.get((old.blob or "", c), []))) >= cfg.min_sessions), None)

        key = chosen or classes[0]
        out.append(Comparison(name, ws.skill_dir(name), _side(new, counts.get((new.blob or "", key), [])),
                              _side(old, counts.get((old.blob or "", key), [])), chosen,
                              float(cfg.max_drop), int(cfg.min_sessions)))
    return out


def _side(version: Version, successes: list[bool]) -> Side:
    return Side(version.label, version.commit, version.blob or "", len(successes), sum(successes))


def _latest_pair(history: Sequence[Version], blob: str) -> tuple[Version, Version] | None:
    """(the version that put the current content in place, the last earlier version with other content)."""
    if not history or history[-1].blob != blob:
        return None
    current = history[-1]
    for version in reversed(history[:-1]):
        if version.blob and version.blob != blob:
            return current, version
    return None


def roll_back(ws: Workspace, alerts: Sequence[Comparison]) -> tuple[list[Result], list[str]]:
    """One rollback commit per alerted skill, to its previous version: (commits made, failures with the reason).

    A rollback the rules refuse (say, run as the agent on a skill it does not own) is reported and
    the others still run; each one is its own commit or nothing.
    """
    from skillgit import operations
    from skillgit.errors import SkillgitError

    done: list[Result] = []
    failed: list[str] = []
    for c in alerts:
        try:
            done.append(operations.rollback(ws, c.skill, to=c.old.label, reason=f"watch: {c.message()}"[:500]))
        except SkillgitError as exc:
            failed.append(f"rollback of {c.skill} not made: {exc}")
    return done, failed
