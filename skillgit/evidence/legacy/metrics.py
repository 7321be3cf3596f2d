"""Metrics per skill and per version, from attributed sessions and learnings (docs/metrics.md).

    score   = blend_weight * blended + prev_weight * prev                 (one step per window)
    blended = win_weight * win_rate + complaint_weight * (1 - complaints/uses) + mention_weight * mention_rate

With `uses == 0` the win and complaint terms are 0 (not 1, as yoyo had it), so an unused skill's
blended is 0 and its score decays by `prev_weight` per window: 0.5 → 0.35 → 0.245 … past any
retire threshold. The score is folded over consecutive windows of `metrics.window_sessions`
sessions, starting from the frontmatter `score` (when the file has one, from the commit that wrote
the current version) or `metrics.prior_score` (from the skill's first commit). A skill with no
evidence channel ("unmeasured") keeps its prior: absence of evidence is not evidence of disuse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from skillgit.evidence.adapters.lines import EPOCH
from skillgit.evidence.legacy.attribution import (
    Attribution,
    Catalog,
    attribute,
    aware,
    by_skill,
    channels,
    session_time,
)
from skillgit.evidence.session import Learning, Session

if TYPE_CHECKING:
    from skillgit.config import Config
    from skillgit.model.skill import Skill
    from skillgit.workspace import Workspace

Status = Literal["measured", "unused", "unmeasured"]


@dataclass(frozen=True)
class Weights:
    """The score constants, all from config `metrics.*`."""

    prior: float = 0.5
    blend: float = 0.3
    prev: float = 0.7
    win: float = 0.5
    complaint: float = 0.3
    mention: float = 0.2
    window: int = 5
    count_weak: bool = False

    @classmethod
    def from_config(cls, config: Any) -> Weights:
        m = config.metrics
        return cls(m.prior_score, m.blend_weight, m.prev_weight, m.win_weight, m.complaint_weight,
                   m.mention_weight, m.window_sessions, m.count_weak)


def blended(win_rate: float, complaints: int, uses: int, mention_rate: float, w: Weights) -> float:
    """The evidence of one window; 0 for an unused skill (win and complaint terms need uses)."""
    complaint_term = max(0.0, 1.0 - complaints / uses) if uses else 0.0
    return w.win * win_rate + w.complaint * complaint_term + w.mention * mention_rate


def ema(prev: float, value: float, w: Weights) -> float:
    """One score step: `blend_weight * blended + prev_weight * prev`."""
    return w.blend * value + w.prev * prev


def is_complaint(learning: Learning, skill: str) -> bool:
    """Tied to `skill` by its `pattern_key` (`skill` or `skill.*`) or its skill field(s) — never by prose."""
    key = learning.pattern_key
    if key and (key == skill or key.startswith(skill + ".")):
        return True
    return learning.skill == skill or skill in learning.skills


@dataclass(frozen=True)
class Metrics:
    skill: str
    version: str | None
    uses: int
    wins: int
    failures: int
    complaints: int
    win_rate: float
    failure_rate: float
    mention_rate: float
    score: float
    sessions_considered: int
    weak_uses: int
    status: Status
    prev: float = 0.0
    """The score the fold started from (frontmatter `score` or `metrics.prior_score`)."""
    windows: int = 0
    last_used: datetime | None = None
    unused_sessions: int = 0
    """Sessions (of those considered) since the last counted use; all of them when never used."""

    def to_json(self) -> dict[str, Any]:
        return {
            "skill": self.skill, "version": self.version, "status": self.status,
            "uses": self.uses, "wins": self.wins, "failures": self.failures, "complaints": self.complaints,
            "win_rate": round(self.win_rate, 4), "failure_rate": round(self.failure_rate, 4),
            "mention_rate": round(self.mention_rate, 4), "score": round(self.score, 4),
            "prev": round(self.prev, 4), "windows": self.windows, "sessions_considered": self.sessions_considered,
            "weak_uses": self.weak_uses, "last_used": self.last_used.isoformat() if self.last_used else None,
            "unused_sessions": self.unused_sessions,
        }

    def value(self, metric: str) -> float:
        """A `Skill-Expected` metric by name (`uses`, `wins`, `win_rate`, `failure_rate`, `complaints`, `score`)."""
        return float(getattr(self, metric))


def frontmatter_score(skill: Skill | None) -> float | None:
    """The frontmatter `score` (yoyo bookkeeping) when it is a number in [0, 1]."""
    value = skill.frontmatter.get("score") if skill is not None else None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1:
        return float(value)
    return None


def starting_score(skill: Skill | None, w: Weights) -> float:
    value = frontmatter_score(skill)
    return w.prior if value is None else value


def _order(sessions: Sequence[Session]) -> list[Session]:
    return sorted(sessions, key=lambda s: (session_time(s) or EPOCH, s.id))


def measure(
    skill: str,
    version: str | None,
    sessions: Sequence[Session],
    uses: dict[str, Attribution],
    learnings: Sequence[Learning],
    *,
    prev: float,
    w: Weights,
    measurable: bool,
    fold_from: datetime | None = None,
) -> Metrics:
    """Metrics of `skill` over `sessions` given its attributions (`uses`: session id → Attribution).

    The score folds one EMA step per window of `w.window` sessions, over the sessions at or after
    `fold_from` (all when None); complaints are matched to windows by learning time (untimed: last).
    """
    ordered = _order(sessions)
    counted = {sid for sid, a in uses.items() if a.counts(w.count_weak)}
    weak = sum(1 for sid, a in uses.items() if sid not in counted)
    used = [s for s in ordered if s.id in counted]
    wins = sum(1 for s in used if s.outcome == "success")
    failed_calls = [sum(1 for c in s.tool_calls if c.ok is False) for s in used]
    complaints = [x for x in learnings if is_complaint(x, skill)]
    n = len(used)
    last = max((i for i, s in enumerate(ordered) if s.id in counted), default=-1)
    score, windows = prev, 0
    if measurable:
        scored = [s for s in ordered if fold_from is None or (session_time(s) or fold_from) >= fold_from]
        chunks = [scored[i : i + w.window] for i in range(0, len(scored), w.window)]
        for i, chunk in enumerate(chunks):
            start = session_time(chunk[0]) if i else fold_from
            end = session_time(chunks[i + 1][0]) if i + 1 < len(chunks) else None
            k = sum(1 for s in chunk if s.id in counted)
            k_wins = sum(1 for s in chunk if s.id in counted and s.outcome == "success")
            k_complaints = sum(1 for x in complaints if _in_window(x.ts, start, end))
            value = blended(k_wins / k if k else 0.0, k_complaints, k, k / len(chunk), w)
            score = ema(score, value, w)
            windows += 1
    status: Status = "measured" if n else ("unused" if measurable else "unmeasured")
    return Metrics(
        skill=skill,
        version=version,
        uses=n,
        wins=wins,
        failures=sum(failed_calls),
        complaints=len(complaints),
        win_rate=wins / n if n else 0.0,
        failure_rate=sum(1 for f in failed_calls if f) / n if n else 0.0,
        mention_rate=n / len(ordered) if ordered else 0.0,
        score=score,
        sessions_considered=len(ordered),
        weak_uses=weak,
        status=status,
        prev=prev,
        windows=windows,
        last_used=session_time(ordered[last]) if last >= 0 else None,
        unused_sessions=len(ordered) - 1 - last,
    )


def _in_window(ts: datetime | None, start: datetime | None, end: datetime | None) -> bool:
    ts = aware(ts)
    if ts is None:
        return end is None
    return (start is None or ts >= start) and (end is None or ts < end)


def compute_metrics(
    ws: Workspace,
    sessions: Sequence[Session],
    learnings: Sequence[Learning] = (),
    config: Config | None = None,
    *,
    catalog: Catalog | None = None,
    attributions: Sequence[Attribution] | None = None,
) -> dict[str, Metrics]:
    """Metrics of every skill at HEAD (active and attic) over `sessions` (the window), by name."""
    w = Weights.from_config(config or ws.config)
    catalog = catalog or Catalog(ws)
    found = by_skill(attributions if attributions is not None else attribute(sessions, ws, catalog=catalog))
    chan = channels(sessions, catalog)
    out: dict[str, Metrics] = {}
    for name in catalog.names:
        skill = catalog.skills.get(name)
        prev = starting_score(skill, w)
        history = catalog.versions(name)
        fold_from = None
        if history:
            fold_from = history[-1].time if frontmatter_score(skill) is not None else history[0].time
        out[name] = measure(
            name, catalog.entries[name].blob, sessions, {a.session_id: a for a in found.get(name, [])}, learnings,
            prev=prev, w=w, measurable=chan.measurable(catalog.keywords.get(name, ())), fold_from=fold_from,
        )
    return out


def per_version(
    ws: Workspace,
    name: str,
    sessions: Sequence[Session],
    learnings: Sequence[Learning] = (),
    config: Config | None = None,
    *,
    catalog: Catalog | None = None,
    attributions: Sequence[Attribution] | None = None,
) -> dict[str, Metrics]:
    """Metrics of each version (SKILL.md blob id) of skill `name`, oldest version first.

    A version's sessions are those started while it was in effect on the branch, plus any stamped
    with it; its complaints are the skill's learnings timed inside those spans.
    """
    from skillgit.errors import SkillFileError
    from skillgit.model.skill import parse_skill

    w = Weights.from_config(config or ws.config)
    catalog = catalog or Catalog(ws)
    mine = [a for a in (attributions if attributions is not None else attribute(sessions, ws, catalog=catalog))
            if a.skill == name]
    measurable = channels(sessions, catalog).measurable(catalog.keywords.get(name, ()))
    spans: dict[str, list[tuple[datetime, datetime | None]]] = {}
    history = catalog.versions(name)
    for i, version in enumerate(history):
        if version.blob:
            end = history[i + 1].time if i + 1 < len(history) else None
            spans.setdefault(version.blob, []).append((version.time, end))
    out: dict[str, Metrics] = {}
    for blob, ranges in spans.items():
        uses = {a.session_id: a for a in mine if a.version == blob}
        window = [s for s in sessions if s.id in uses or _inside(session_time(s), ranges)]
        timed = [x for x in learnings if x.ts is not None and _inside(x.ts, ranges)]
        try:
            skill = parse_skill(ws.repo.blob(blob), f"{ws.skill_dir(name)}/SKILL.md")
        except SkillFileError:
            skill = None
        out[blob] = measure(name, blob, window, uses, timed, prev=starting_score(skill, w), w=w, measurable=measurable)
    return out


def _inside(when: datetime | None, ranges: list[tuple[datetime, datetime | None]]) -> bool:
    when = aware(when)
    return when is not None and any(start <= when and (end is None or when < end) for start, end in ranges)


def _stored(ws: Workspace) -> tuple[list[Session], list[Learning]]:
    from skillgit.evidence.legacy.store import load_learnings, load_sessions

    return load_sessions(ws.repo, ws.config), load_learnings(ws.repo, ws.config)


def status_metrics(ws: Workspace) -> dict[str, dict[str, Any]]:
    """`uses`, `win_rate`, `score` and `evidence` per skill for `skillgit status`; {} before any ingest."""
    sessions, learnings = _stored(ws)
    if not sessions:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for name, m in compute_metrics(ws, sessions, learnings).items():
        measured = m.status != "unmeasured"
        out[name] = {
            "uses": m.uses if measured else None,
            "win_rate": round(m.win_rate, 3) if measured else None,
            "score": round(m.score, 3),
            "evidence": m.status,
        }
    return out


def per_version_usage(ws: Workspace, name: str) -> dict[str, dict[str, Any]]:
    """Per-version `uses`, `win_rate` (and score, failures, complaints) for `skillgit versions`, by blob id."""
    sessions, learnings = _stored(ws)
    if not sessions:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for blob, m in per_version(ws, name, sessions, learnings).items():
        out[blob] = {
            "uses": m.uses, "win_rate": round(m.win_rate, 3), "failure_rate": round(m.failure_rate, 3),
            "complaints": m.complaints, "score": round(m.score, 3), "weak_uses": m.weak_uses, "evidence": m.status,
        }
    return out
