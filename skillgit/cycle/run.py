"""`skillgit cycle`: gates → evidence → decision → proposal → rules → eval gate → one event (or none).

Every check runs before anything is written. The event is committed by `operations.commit_event`
(private index, compare-and-swap on HEAD as it was when the cycle started, restartable sync), so a
cycle makes exactly one commit or none, and a commit that lands meanwhile aborts it (exit 4).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from skillgit import trailers as T
from skillgit.cycle.decide import Decision, decide
from skillgit.cycle.evidence import Evidence, gather
from skillgit.cycle.gates import GateReport, check_gates
from skillgit.cycle.lock import CycleLock
from skillgit.cycle.model import MODES, CycleOptions, CycleResult, Echo
from skillgit.cycle.plan import Plan, one_line, safe_body
from skillgit.errors import UsageError
from skillgit.events import version_value

if TYPE_CHECKING:
    from skillgit.events import Event
    from skillgit.evidence.ingested import Ingested
    from skillgit.workspace import Workspace

def run_cycle(ws: Workspace, options: CycleOptions, echo: Echo = lambda _: None) -> CycleResult:
    """Run one cycle; see the module doc. Raises SkillgitError subclasses for failures (nothing committed)."""
    mode = options.on_propose or ws.config.cycle.on_propose
    if mode not in MODES:
        raise UsageError(f"--on-propose {mode!r}: use one of {', '.join(MODES)}.")
    if options.branch is not None:
        ref = ws.repo.check_branch_name(options.branch)
        if ws.repo.ref_exists(ref):
            raise UsageError(f"branch {options.branch} already exists; --branch needs a new branch name.")
        if mode == "disabled":
            raise UsageError("--branch commits to a new branch, --on-propose disabled commits nothing; drop one of them.")
    ws.agent_identity()
    with CycleLock(ws.repo.state_dir, float(ws.config.cycle.lock_timeout_seconds)):
        ws.repo.recover()
        return _locked(ws, options, mode, echo)


def _locked(ws: Workspace, options: CycleOptions, mode: str, echo: Echo) -> CycleResult:
    from skillgit.evidence.ingested import Ingested

    now = options.now or datetime.now(UTC)
    head = ws.repo.head()
    history = ws.events()
    if head is None or not any(e.kind == "init" for e in history):
        raise UsageError("this repository is not managed by skillgit yet; run `skillgit init` first.")
    with Ingested.open(ws) as ingested:
        return _evidenced(ws, options, mode, echo, ingested, now, head, history)


def _evidenced(ws: Workspace, options: CycleOptions, mode: str, echo: Echo, ingested: Ingested, now: datetime, head: str,
               history: list[Event]) -> CycleResult:
    gates = check_gates(ws, ingested.after, history, now=now)
    for g in gates.gates:
        echo(f"gate {g.name}: {'open' if g.open else 'CLOSED'} — {g.detail}")
    if not gates.open:
        names = ", ".join(g.name for g in gates.closed)
        return CycleResult("skipped", gates=gates, lines=(f"cycle skipped: gate {names} closed; nothing was committed.",))
    ev = gather(ws, ingested)
    since = gates.last_cycle.time if gates.last_cycle else None
    decision = decide(ws, ev, history, new_sessions=gates.new_sessions, since=since)
    echo(f"decision: {decision.action}{' ' + decision.skill if decision.skill else ''} — {decision.trigger}")
    for note in decision.notes:
        echo(f"  note: {note}")
    parent = _parent(gates)
    plan = _plan(ws, ev, decision, gates, options, echo, parent, now, head)
    if plan.kind == "no-op" and gates.noop_streak + 1 >= ws.config.cycle.saturation_noops:
        plan = plan.with_trailers((T.SATURATION, "true"))
    from skillgit.cycle.land import land

    return land(ws, plan, options, mode, head, now, echo, gates=gates, decision=decision)


def _parent(gates: GateReport) -> list[tuple[str, str]]:
    return [(T.PARENT_EVENT, gates.last_cycle.commit)] if gates.last_cycle else []


def _plan(ws: Workspace, ev: Evidence, d: Decision, gates: GateReport, options: CycleOptions, echo: Echo,
          parent: list[tuple[str, str]], now: datetime, head: str) -> Plan:
    trigger = [(T.TRIGGER, one_line(d.trigger))]
    notes = [f"- {n}" for n in d.notes]
    if d.action == "no-op":
        pairs = trigger + parent
        body = safe_body(["The cycle found nothing to change."] + (["", "Skipped:"] + notes if notes else []))
        return Plan("no-op", None, tuple(pairs), body, summary="nothing met a threshold")
    if d.action in ("refused", "meta-suggestion"):
        pairs = trigger + [(T.REASON, one_line(d.reason or "not eligible"))] + parent
        assert d.skill is not None
        evidence = ev.evidenced(ws, d.skill)
        lead = ("The evolver may not change this skill; a maintainer decides." if d.action == "refused"
                else "A suggestion for the evolver's own skill, for a maintainer to apply by hand.")
        return Plan(d.action, d.skill, tuple(pairs), safe_body([lead] + evidence.body_lines()),
                    summary=d.reason or "")
    if d.action == "retire":
        return _retire_plan(ws, ev, d, trigger + parent)
    from skillgit.cycle.candidate import proposal_plan

    return proposal_plan(ws, ev, d, trigger, parent, options, echo, now, head)


def _retire_plan(ws: Workspace, ev: Evidence, d: Decision, pairs: list[tuple[str, str]]) -> Plan:
    from skillgit.git import CopyTree, RemovePath

    assert d.skill is not None
    entry = ev.catalog.entries[d.skill]
    src, dst = ws.skill_dir(d.skill), ws.attic_dir(d.skill)
    edits = (RemovePath(dst), RemovePath(src), CopyTree("HEAD", src, dst))
    trailers = pairs[:1] + [(T.VERSION, version_value(entry.blob, None)), (T.REASON, one_line(d.trigger))] + pairs[1:]
    body = safe_body([f"Moved {src} to {dst}; `skillgit revive {d.skill}` brings it back."])
    return Plan("retire", d.skill, tuple(trailers), body, edits, (src, dst), summary=f"moved {src} to {dst}")

