"""Decide the one action of a cycle (SPEC §8), first match wins, every threshold from `cycle.*`:

1. retire  — an eligible active skill with score < retire_max_score, unused for the last
             retire_unused_sessions sessions, while more than min_active skills are active;
2. refine  — an active skill whose current version has complaints ≥ refine_min_complaints, or
             win_rate < refine_max_win_rate over uses ≥ refine_min_uses, with new evidence since
             the last cycle (a new session or complaint: unchanged evidence is not re-proposed),
             and not thrashing (SG009);
3. create  — a learning `pattern_key` seen in ≥ create_min_sessions sessions that no skill covers;
4. no-op.

A skill the agent may not change (origin not `agent.origin`, `core: true`, or the evolver's own
skill) is never acted on: when it is the only one that needs a refine (with new evidence), the
cycle records a `refused` event naming the rule (SG002/SG003), or a `meta-suggestion` for the
evolver's own skill.
An action the bootstrap order forbids (SG010: create from the 2nd real event, retire from the 3rd)
is skipped; if nothing else matches, the cycle is a no-op whose trigger says what was deferred.
A rule that `policy.disabled` turns off is not asked, as the commands, the hooks and `verify` do not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from skillgit.model.skill import slugify

if TYPE_CHECKING:
    from skillgit.config import Config
    from skillgit.cycle.evidence import Evidence
    from skillgit.events import Event
    from skillgit.evidence.metrics import Metrics
    from skillgit.evidence.session import SessionSummary
    from skillgit.model.skill import Skill
    from skillgit.workspace import Workspace


@dataclass(frozen=True)
class Decision:
    action: str
    skill: str | None
    trigger: str
    """One line: the evidence (becomes `Skill-Trigger`)."""
    reason: str | None = None
    """Why it is refused / what the meta-suggestion is about (`Skill-Reason`)."""
    signal: str | None = None
    """What triggered a refine: `complaints`, `win_rate`, or `pattern:<key>`."""
    pattern: str | None = None
    """The learning pattern_key behind a create."""
    notes: tuple[str, ...] = field(default=())
    """Actions considered and skipped (thrashing, bootstrap), for the report and the body."""


def eligibility(name: str, skill: Skill | None, config: Config) -> tuple[str, str] | None:
    """(rule id, why) when the agent may not change `name` (SG003, then SG002, asked); None when it may."""
    from skillgit.policy.rules import ALLOW_LIST, NO_SELF_EDIT

    why = NO_SELF_EDIT.refusal(name, config) if NO_SELF_EDIT.enabled(config) else None
    if why is not None:
        return NO_SELF_EDIT.id, why
    why = ALLOW_LIST.refusal(name, skill, config) if ALLOW_LIST.enabled(config) else None
    return (ALLOW_LIST.id, why) if why is not None else None


def thrashing(ws: Workspace, oldest_first: Sequence[Event]) -> frozenset[str]:
    """Skills that SG009 forbids the agent to refine now (changed inside its thrash window)."""
    from skillgit.policy.lookups import skills_changed_lookup
    from skillgit.policy.rules import NO_THRASHING

    window = NO_THRASHING.window(oldest_first, ws.config) if NO_THRASHING.enabled(ws.config) else None
    if window is None:
        return frozenset()
    _start, base, _since = window
    lookup = skills_changed_lookup(ws.repo, ws.repo.head(), ws.layout)
    return lookup(base)


def describe(m: Metrics) -> str:
    version = f" (v {m.version[:7]})" if m.version else ""
    return f"complaints {m.complaints}, win_rate {m.win_rate:.2f} over {m.uses} session(s){version}"


def decide(ws: Workspace, ev: Evidence, history: Sequence[Event], *, new_sessions: Sequence[SessionSummary],
           since: datetime | None = None) -> Decision:
    """The one action; `new_sessions` and `since` (the last cycle event's time) say what evidence is new."""
    from skillgit.policy.rules import BOOTSTRAP, NO_THRASHING
    from skillgit.policy.rules.history import ordinal

    cfg = ws.config.cycle
    pol = ws.config.policy
    oldest_first = tuple(reversed(history))
    notes: list[str] = []
    active = sorted(n for n, e in ev.catalog.entries.items() if e.location == "active")

    def allowed(kind: str) -> bool:
        return not BOOTSTRAP.enabled(ws.config) or BOOTSTRAP.allows(kind, oldest_first, ws.config)

    def deferred(kind: str) -> str:
        return (f"SG010 bootstrap allows {kind} from the agent's {ordinal(BOOTSTRAP.first(kind, ws.config))} real event "
                f"(this would be #{BOOTSTRAP.position(kind, oldest_first, ws.config)})")

    # 1. retire
    for name in sorted(active, key=lambda n: (ev.metrics[n].score, n)):
        m = ev.metrics[name]
        if m.status == "unmeasured" or eligibility(name, ev.catalog.skills.get(name), ws.config) is not None:
            continue
        if m.score < cfg.retire_max_score and m.unused_sessions >= cfg.retire_unused_sessions:
            if len(active) - 1 < cfg.min_active:
                notes.append(f"retire {name} skipped: only {len(active)} active (cycle.min_active {cfg.min_active})")
                break
            trigger = f"{name}: score {m.score:.2f} < {cfg.retire_max_score:g}, unused for {m.unused_sessions} session(s)"
            if not allowed("retire"):
                notes.append(f"retire {name} deferred: {deferred('retire')}")
                break
            return Decision("retire", name, trigger, notes=tuple(notes))

    # 2. refine
    blocked: list[tuple[str, Metrics, str, str]] = []
    thrash = thrashing(ws, oldest_first)
    fresh = _fresh(ev, new_sessions, since)
    for name, m, signal in _refine_candidates(ws, ev, active):
        if name not in fresh:
            notes.append(f"{name} below threshold but no new evidence since the last cycle")
            continue
        barred = eligibility(name, ev.catalog.skills.get(name), ws.config)
        if barred is not None:
            blocked.append((name, m, barred[0], barred[1]))
            continue
        if name in thrash:
            notes.append(f"refine {name} skipped: changed within the last {pol.thrash_cycles} cycle events "
                         f"({NO_THRASHING.id})")
            continue
        return Decision("refine", name, f"{name}: {describe(m)}", signal=signal, notes=tuple(notes))

    # 3. create
    for key, count in _uncovered_patterns(ev, cfg.create_min_sessions):
        name = slugify(key)
        if not name or name in ev.catalog.entries:
            continue
        trigger = f"pattern_key {key} in {count} session(s), covered by no skill"
        if not allowed("create"):
            notes.append(f"create {name} deferred: {deferred('create')}")
            break
        return Decision("create", name, trigger, pattern=key, notes=tuple(notes))

    # an ineligible skill needs work: say so instead of a silent no-op
    if blocked:
        name, m, rule, why = blocked[0]
        trigger = f"{name}: {describe(m)}"
        if rule == "SG003" and allowed("meta-suggestion"):
            return Decision("meta-suggestion", name, trigger, reason=f"{why}; the agent suggests, a maintainer edits",
                            notes=tuple(notes))
        return Decision("refused", name, trigger, reason=f"{rule}: {why}; a refine would need a maintainer's manual edit",
                        notes=tuple(notes))

    best = ""
    measured = [n for n in active if ev.current[n].uses]
    if measured:
        worst = min(measured, key=lambda n: (ev.current[n].win_rate, -ev.current[n].complaints, n))
        best = f"; lowest: {worst} {describe(ev.current[worst])}"
    trigger = f"{len(new_sessions)} new session(s), {len(active)} active skill(s): none met a threshold{best}"
    if notes:
        trigger += "; " + "; ".join(notes)
    return Decision("no-op", None, trigger, notes=tuple(notes))


def _fresh(ev: Evidence, new_sessions: Sequence[SessionSummary], since: datetime | None) -> set[str]:
    """Skills with new evidence: a new session attributed to them, or a complaint after `since`."""
    from skillgit.cycle.gates import as_utc
    from skillgit.evidence.metrics import is_complaint

    out = ev.used_after(since)
    for x in ev.learnings:
        when = as_utc(x.ts)
        if since is None or (when is not None and when > since):
            out.update(name for name in ev.catalog.entries if is_complaint(x, name))
    return out


def _refine_candidates(ws: Workspace, ev: Evidence, active: list[str]) -> list[tuple[str, Metrics, str]]:
    """Active skills over a refine threshold, worst first: (name, current-version metrics, signal)."""
    cfg = ws.config.cycle
    out: list[tuple[int, float, str, Metrics, str]] = []
    for name in active:
        m = ev.current[name]
        complaints = ev.complaints(name)
        if len(complaints) >= cfg.refine_min_complaints:
            keys = [x.pattern_key for x in complaints if x.pattern_key]
            top = max(set(keys), key=lambda k: (keys.count(k), k)) if keys else None
            signal = f"pattern:{top}" if top and keys.count(top) >= cfg.refine_min_complaints else "complaints"
            out.append((-len(complaints), m.win_rate, name, m, signal))
        elif m.uses >= cfg.refine_min_uses and m.win_rate < cfg.refine_max_win_rate:
            out.append((0, m.win_rate, name, m, "win_rate"))
    out.sort(key=lambda t: (t[0], t[1], t[2]))
    return [(name, m, signal) for _, _, name, m, signal in out]


def _uncovered_patterns(ev: Evidence, min_sessions: int) -> list[tuple[str, int]]:
    """pattern_keys seen in ≥ min_sessions distinct sessions (by day, else date, else source) that no skill covers."""
    seen: dict[str, set[str]] = {}
    for x in ev.learnings:
        if not x.pattern_key or x.skill or x.skills:
            continue
        mark = f"day {x.day}" if x.day is not None else (x.ts.date().isoformat() if x.ts else x.origin)
        seen.setdefault(x.pattern_key, set()).add(mark)
    out = []
    for key, marks in sorted(seen.items()):
        if len(marks) >= min_sessions and not _covered(ev, key):
            out.append((key, len(marks)))
    out.sort(key=lambda t: (-t[1], t[0]))
    return out


def _covered(ev: Evidence, key: str) -> bool:
    head = re.split(r"[.:/]", key, maxsplit=1)[0]
    for name, skill in ev.catalog.skills.items():
        if name in (head, slugify(key)) or slugify(head) == name:
            return True
        if skill is not None and any(k.lower() in (key.lower(), head.lower()) for k in skill.keywords):
            return True
    return False

