"""The cycle's gates, all read from git history and the trace store (no counter files).

1. clean tree — no staged or unstaged change to a tracked file, and no untracked file under the
   skills, attic or config paths (other untracked files, such as trace directories, are fine);
2. sessions — at least `cycle.min_sessions` sessions started after the commit time of the last
   cycle event (every session counts before the first one);
3. cooldown — `cycle.cooldown_hours` since the last cycle event, doubled when it was a no-op that
   carried `Skill-Saturation: true`.

The repo lock (one cycle at a time) is `skillgit.cycle.lock`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from skillgit import trailers as T
from skillgit.config import CONFIG_FILE
from skillgit.jsontypes import JSONObject

if TYPE_CHECKING:
    from skillgit.events import Event
    from skillgit.evidence.session import SessionSummary
    from skillgit.workspace import Workspace


@dataclass(frozen=True)
class Gate:
    name: str
    open: bool
    detail: str


@dataclass(frozen=True)
class GateReport:
    gates: tuple[Gate, ...]
    last_cycle: Event | None
    new_sessions: Sequence[SessionSummary]
    noop_streak: int
    """No-op events in a row at the top of the cycle history."""

    @property
    def open(self) -> bool:
        return all(g.open for g in self.gates)

    @property
    def closed(self) -> list[Gate]:
        return [g for g in self.gates if not g.open]

    def to_json(self) -> JSONObject:
        return {
            "open": self.open,
            "gates": [{"gate": g.name, "open": g.open, "detail": g.detail} for g in self.gates],
            "last_cycle_event": self.last_cycle.commit if self.last_cycle else None,
            "new_sessions": len(self.new_sessions),
        }


def as_utc(when: datetime | None) -> datetime | None:
    """Naive times are taken as UTC."""
    if when is None:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def cycle_events(history: Sequence[Event]) -> list[Event]:
    """The cycle events in `history` (newest first)."""
    return [e for e in history if e.is_cycle]


def noop_streak(history: Sequence[Event]) -> int:
    streak = 0
    for event in cycle_events(history):
        if event.kind != "no-op":
            break
        streak += 1
    return streak


def sessions_after(sessions: Sequence[SessionSummary], when: datetime | None) -> list[SessionSummary]:
    """Sessions that started (else ended) strictly after `when`; all timed sessions when `when` is None."""
    out = []
    for session in sessions:
        started = as_utc(session.started or session.ended)
        if started is not None and (when is None or started > when):
            out.append(session)
    return out


def dirty_paths(ws: Workspace) -> list[str]:
    """What makes the tree unclean for a cycle (see the module doc)."""
    return [
        path
        for code, path in ws.repo.status_entries()
        if code != "??" or ws.layout.roots_of(path) or path == CONFIG_FILE
    ]


def check_gates(ws: Workspace, sessions: Sequence[SessionSummary] | Callable[[datetime | None], Sequence[SessionSummary]],
                history: Sequence[Event], *, now: datetime) -> GateReport:
    """Every gate, evaluated (none short-circuits, so the report names all that are closed). `sessions`: every
    session, or what gives those after a time (`Ingested.after`: the store reads them)."""
    cfg = ws.config.cycle
    cycles = cycle_events(history)
    last = cycles[0] if cycles else None
    gates: list[Gate] = []
    dirty = dirty_paths(ws)
    shown = ", ".join(dirty[:5]) + (" …" if len(dirty) > 5 else "")
    gates.append(Gate("clean-tree", not dirty, f"uncommitted changes: {shown}" if dirty else "work tree clean"))
    since = as_utc(last.time) if last else None
    fresh: Sequence[SessionSummary] = sessions(since) if callable(sessions) else tuple(sessions_after(sessions, since))
    where = f"since {last.commit[:12]} ({last.kind}, {last.time:%Y-%m-%d %H:%M}Z)" if last else "in the trace store"
    gates.append(Gate(
        "sessions", len(fresh) >= cfg.min_sessions,
        f"{len(fresh)} new session(s) {where}; cycle.min_sessions is {cfg.min_sessions}",
    ))
    streak = noop_streak(history)
    saturated = last is not None and last.kind == "no-op" and last.trailers.get(T.SATURATION) == "true"
    hours = float(cfg.cooldown_hours) * (2 if saturated else 1)
    if last is None or hours <= 0:
        gates.append(Gate("cooldown", True, "no cooldown" if last else "no cycle event yet"))
    else:
        ready = last.time.astimezone(UTC) + timedelta(hours=hours)
        why = f"cooldown {hours:g}h" + (" (doubled: the last no-op was saturated)" if saturated else "")
        if now >= ready:
            gates.append(Gate("cooldown", True, f"{why} passed"))
        else:
            gates.append(Gate("cooldown", False, f"{why} since {last.commit[:12]}; next cycle after {ready:%Y-%m-%d %H:%M}Z"))
    return GateReport(tuple(gates), last, fresh, streak)
