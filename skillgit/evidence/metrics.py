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

from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import compress
from typing import TYPE_CHECKING, Literal

from skillgit.evidence.adapters.lines import EPOCH
from skillgit.evidence.attribution import (
    Attribution,
    Catalog,
    Channels,
    attribute,
    aware,
    by_skill,
    channels,
)
from skillgit.evidence.session import Learning, Session, SessionSummary
from skillgit.evidence.timeline import Timeline, key
from skillgit.jsontypes import JSON, JSONObject

if TYPE_CHECKING:
    from skillgit.config import Config
    from skillgit.evidence.ingested import Ingested
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
    def from_config(cls, config: Config) -> Weights:
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

    def to_json(self) -> JSONObject:
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


def complaints_by_skill(learnings: Iterable[Learning]) -> dict[str, list[Learning]]:
    """Every learning under each skill it is a complaint about (`is_complaint`), in the given order."""
    out: dict[str, list[Learning]] = {}
    for x in learnings:
        names: list[str] = []
        key = x.pattern_key
        if key:
            names.append(key)
            names.extend(key[:i] for i, c in enumerate(key) if c == ".")
        if x.skill is not None:
            names.append(x.skill)
        names.extend(x.skills)
        for name in dict.fromkeys(names):
            if is_complaint(x, name):
                out.setdefault(name, []).append(x)
    return out


def fold(timeline: Timeline, used: Sequence[int], complaints: Sequence[Learning], score: float, w: Weights,
         fold_from: datetime | None) -> tuple[float, int]:
    """The score folded one step per window of `w.window` sessions (those at or after `fold_from`, and
    the untimed ones), from `score`; `used`: the positions of the counted uses. (score, windows)."""
    n = len(timeline.keys)
    if fold_from is None:
        untimed: list[int] = []
        cut = 0
    else:
        cut = bisect_left(timeline.keys, key(fold_from))
        untimed = timeline.untimed if fold_from > EPOCH else []
    size = len(untimed) + n - cut
    where = {p: i for i, p in enumerate(untimed)}

    def at(j: int) -> int:
        return untimed[j] if j < len(untimed) else cut + j - len(untimed)

    step = w.window
    windows = -(-size // step)
    uses, wins = array("l", [0]) * windows, array("l", [0]) * windows  # per window: its uses, its wins
    for p in used:
        j = where[p] if p in where else (len(untimed) + p - cut if p >= cut else -1)
        if j < 0:
            continue
        uses[j // step] += 1
        wins[j // step] += timeline.success[p]
    zero = w.blend * 0.0
    for j in range(windows):
        k = uses[j]
        if not k:
            score = zero + w.prev * score  # ema(score, blended(0, …, uses=0, 0)): no use, only decay
            continue
        k_wins = wins[j]
        start = timeline.time(at(j * step)) if j else fold_from
        end = timeline.time(at((j + 1) * step)) if j + 1 < windows else None
        k_complaints = sum(1 for x in complaints if _in_window(x.ts, start, end))
        value = blended(k_wins / k, k_complaints, k, k / min(step, size - j * step), w)
        score = ema(score, value, w)
    return score, windows


def measure(
    skill: str,
    version: str | None,
    sessions: Timeline | Sequence[Session | SessionSummary],
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
    timeline = sessions if isinstance(sessions, Timeline) else Timeline(sessions)
    counted = {sid for sid, a in uses.items() if a.counts(w.count_weak)}
    weak = sum(1 for sid in uses if sid not in counted)
    return measure_at(skill, version, timeline, timeline.positions(counted), weak, learnings, prev=prev, w=w,
                      measurable=measurable, fold_from=fold_from)


def measure_at(
    skill: str,
    version: str | None,
    timeline: Timeline,
    positions: Sequence[int],
    weak: int,
    learnings: Sequence[Learning],
    *,
    prev: float,
    w: Weights,
    measurable: bool,
    fold_from: datetime | None = None,
) -> Metrics:
    """`measure` given the positions in `timeline` of the counted uses (ascending) and how many uses were
    weak and not counted."""
    wins = sum(timeline.success[p] for p in positions)
    failed = [timeline.failed[p] for p in positions]
    complaints = [x for x in learnings if is_complaint(x, skill)]
    n = len(positions)
    total = len(timeline)
    last = positions[-1] if positions else -1
    score, windows = prev, 0
    if measurable:
        score, windows = fold(timeline, positions, complaints, prev, w, fold_from)
    status: Status = "measured" if n else ("unused" if measurable else "unmeasured")
    return Metrics(
        skill=skill,
        version=version,
        uses=n,
        wins=wins,
        failures=sum(failed),
        complaints=len(complaints),
        win_rate=wins / n if n else 0.0,
        failure_rate=sum(1 for f in failed if f) / n if n else 0.0,
        mention_rate=n / total if total else 0.0,
        score=score,
        sessions_considered=total,
        weak_uses=weak,
        status=status,
        prev=prev,
        windows=windows,
        last_used=timeline.time(last) if last >= 0 else None,
        unused_sessions=total - 1 - last,
    )


def _in_window(ts: datetime | None, start: datetime | None, end: datetime | None) -> bool:
    ts = aware(ts)
    if ts is None:
        return end is None
    return (start is None or ts >= start) and (end is None or ts < end)


def _evidence(
    ws: Workspace, sessions: Sequence[Session | SessionSummary], catalog: Catalog,
    attributions: Sequence[Attribution] | None, chan: Channels | None,
) -> tuple[Sequence[Attribution], Channels]:
    """The attributions and channels given, else found in `sessions` (which must then be whole sessions)."""
    if attributions is None or chan is None:
        whole = [s for s in sessions if isinstance(s, Session)]
        if len(whole) != len(sessions):
            raise TypeError("session summaries need their attributions and channels (see skillgit.evidence.ingested)")
        if attributions is None:
            attributions = attribute(whole, ws, catalog=catalog)
        if chan is None:
            chan = channels(whole, catalog)
    return attributions, chan


Uses = Callable[[str | None], tuple[Sequence[int], Sequence[int], int]]
"""A skill's uses in a timeline (of one version, or all when None): the positions of all of them, of the
counted ones (both ascending), and how many were weak and not counted."""


def _uses_in_memory(timeline: Timeline, found: Iterable[Attribution], w: Weights) -> Uses:
    mine = list(found)

    def uses(version: str | None) -> tuple[Sequence[int], Sequence[int], int]:
        chosen = {a.session_id: a for a in mine if version is None or a.version == version}
        counted = {sid for sid, a in chosen.items() if a.counts(w.count_weak)}
        return timeline.positions(chosen), timeline.positions(counted), sum(1 for sid in chosen if sid not in counted)

    return uses


def stored_uses(ev: Ingested, skill: str, w: Weights) -> Uses:
    """`Uses` of `skill` read from the store (its rows only), placed in `ev.timeline`."""
    mine = ev.uses_at(skill)

    def uses(version: str | None) -> tuple[Sequence[int], Sequence[int], int]:
        every, counted = mine.positions(version), mine.positions(version, weak=w.count_weak)
        return every, counted, len(every) - len(counted)

    return uses


def compute_metrics(
    ws: Workspace,
    sessions: Sequence[Session | SessionSummary],
    learnings: Sequence[Learning] = (),
    config: Config | None = None,
    *,
    catalog: Catalog | None = None,
    attributions: Sequence[Attribution] | None = None,
    channels: Channels | None = None,
) -> dict[str, Metrics]:
    """Metrics of every skill at HEAD (active and attic) over `sessions` (the window), by name."""
    w = Weights.from_config(config or ws.config)
    catalog = catalog or Catalog(ws)
    found, chan = _evidence(ws, sessions, catalog, attributions, channels)
    uses = by_skill(found)
    timeline = Timeline(sessions)
    return _metrics(catalog, timeline, lambda name: _uses_in_memory(timeline, uses.get(name, []), w),
                    complaints_by_skill(learnings), chan, w)


def stored_metrics(ws: Workspace, ev: Ingested, config: Config | None = None, *,
                   each: Callable[[str, Uses], object] | None = None) -> dict[str, Metrics]:
    """`compute_metrics` over everything ingested: the sessions as a timeline of a few bytes each, each
    skill's uses read from the store a skill at a time (`each`, when given, is called with every skill's name
    and its `Uses` once its figures are made: what else needs them reads them while they are at hand)."""
    w = Weights.from_config(config or ws.config)
    return _metrics(ev.catalog, ev.timeline, lambda name: stored_uses(ev, name, w),
                    complaints_by_skill(map(_bare, ev.naming_learnings(texts=False))), ev.channels, w, each)


def _bare(x: Learning) -> Learning:
    """What the figures read of a complaint (what ties it to a skill, and its time), its texts let go."""
    return Learning("", x.ts, pattern_key=x.pattern_key, skill=x.skill, skills=x.skills)


def _metrics(catalog: Catalog, timeline: Timeline, uses_of: Callable[[str], Uses],
             complaints: dict[str, list[Learning]], chan: Channels, w: Weights,
             each: Callable[[str, Uses], object] | None = None) -> dict[str, Metrics]:
    out: dict[str, Metrics] = {}
    for name in catalog.names:
        skill = catalog.skills.get(name)
        measurable = chan.measurable(catalog.keywords.get(name, ()))
        fold_from = None
        if measurable:
            history = catalog.versions(name)
            if history:
                fold_from = history[-1].time if frontmatter_score(skill) is not None else history[0].time
        uses = uses_of(name)
        _, counted, weak = uses(None)
        out[name] = measure_at(name, catalog.entries[name].blob, timeline, counted, weak, complaints.get(name, []),
                               prev=starting_score(skill, w), w=w, measurable=measurable, fold_from=fold_from)
        if each is not None:
            each(name, uses)
    return out


def per_version(
    ws: Workspace,
    name: str,
    sessions: Timeline | Sequence[Session | SessionSummary],
    learnings: Sequence[Learning] = (),
    config: Config | None = None,
    *,
    catalog: Catalog | None = None,
    attributions: Sequence[Attribution] | None = None,
    channels: Channels | None = None,
    only: str | None = None,
    uses: Uses | None = None,
) -> dict[str, Metrics]:
    """Metrics of each version (SKILL.md blob id) of skill `name`, oldest version first (of version `only`).

    A version's sessions are those started while it was in effect on the branch, plus any stamped
    with it; its complaints are the skill's learnings timed inside those spans. `uses`: the skill's uses
    in `sessions` (a `Timeline`) when they are not found in `attributions`.
    """
    from skillgit.errors import SkillFileError
    from skillgit.model.skill import parse_skill

    w = Weights.from_config(config or ws.config)
    catalog = catalog or Catalog(ws)
    timeline = sessions if isinstance(sessions, Timeline) else Timeline(sessions)
    if uses is None or channels is None:
        found, channels = _evidence(ws, [] if isinstance(sessions, Timeline) else sessions, catalog, attributions, channels)
        uses = _uses_in_memory(timeline, (a for a in found if a.skill == name), w)
    measurable = channels.measurable(catalog.keywords.get(name, ()))
    spans: dict[str, list[tuple[datetime, datetime | None]]] = {}
    history = catalog.versions(name)
    for i, version in enumerate(history):
        if version.blob and (only is None or version.blob == only):
            end = history[i + 1].time if i + 1 < len(history) else None
            spans.setdefault(version.blob, []).append((version.time, end))
    complaints = complaints_by_skill(learnings).get(name, [])
    out: dict[str, Metrics] = {}
    for blob, ranges in spans.items():
        every, counted, weak = uses(blob)
        order = _span_positions(timeline, every, ranges)
        window = timeline.subset(order)
        timed = [x for x in complaints if x.ts is not None and _inside(x.ts, ranges)]
        try:
            skill = parse_skill(ws.repo.blob(blob), f"{ws.skill_dir(name)}/SKILL.md")
        except SkillFileError:
            skill = None
        out[blob] = measure_at(name, blob, window, array("q", (bisect_left(order, p) for p in counted)), weak, timed,
                               prev=starting_score(skill, w), w=w, measurable=measurable)
    return out


def _span_positions(timeline: Timeline, uses: Sequence[int], ranges: list[tuple[datetime, datetime | None]]) -> array[int]:
    """The positions, ascending, of the sessions in `uses` and of the timed ones that ran inside `ranges`: a
    byte a session to mark them, four for each one marked."""
    marked = bytearray(len(timeline))
    for p in uses:
        marked[p] = 1
    for start, end in ranges:
        first, last = timeline.span(start, end)
        if first < last:  # a bytewise or of the marks and the timed flags (each 0 or 1), at C speed
            both = int.from_bytes(marked[first:last], "big") | int.from_bytes(timeline.timed[first:last], "big")
            marked[first:last] = both.to_bytes(last - first, "big")
    return array("i", compress(range(len(marked)), marked))


def version_rows(ws: Workspace, ev: Ingested, names: Iterable[str]) -> list[JSONObject]:
    """`metrics --by-version`: one JSON row per version (SKILL.md blob) of each skill in `names`, oldest
    first, with the labels (v1…vN) that version had (a rollback makes a blob come back)."""
    catalog = ev.catalog
    w = Weights.from_config(ws.config)
    rows: list[JSONObject] = []
    for skill in names:
        labels: dict[str, list[JSON]] = {}
        for v in catalog.versions(skill):
            if v.blob:
                labels.setdefault(v.blob, []).append(v.label)
        for blob, m in per_version(ws, skill, ev.timeline, ev.learnings, catalog=catalog, channels=ev.channels,
                                   uses=stored_uses(ev, skill, w)).items():
            rows.append({**m.to_json(), "versions": list(labels.get(blob, []))})
    return rows


def _inside(when: datetime | None, ranges: list[tuple[datetime, datetime | None]]) -> bool:
    when = aware(when)
    return when is not None and any(start <= when and (end is None or when < end) for start, end in ranges)


def status_metrics(ws: Workspace) -> dict[str, JSONObject]:
    """`uses`, `win_rate`, `score` and `evidence` per skill for `skillgit status`; {} before any ingest."""
    from skillgit.evidence.ingested import Ingested

    if _nothing_ingested(ws):
        return {}  # without reading every skill for the catalog
    with Ingested.open(ws) as ev:
        if not ev.count:
            return {}
        every = stored_metrics(ws, ev)
    out: dict[str, JSONObject] = {}
    for name, m in every.items():
        measured = m.status != "unmeasured"
        out[name] = {
            "uses": m.uses if measured else None,
            "win_rate": round(m.win_rate, 3) if measured else None,
            "score": round(m.score, 3),
            "evidence": m.status,
        }
    return out


def _nothing_ingested(ws: Workspace) -> bool:
    from skillgit.evidence.store import Store

    with Store.open(ws.repo) as store:
        return store.empty


def per_version_usage(ws: Workspace, name: str) -> dict[str, JSONObject]:
    """Per-version `uses`, `win_rate` (and score, failures, complaints) for `skillgit versions`, by blob id."""
    from skillgit.evidence.ingested import Ingested

    if _nothing_ingested(ws):
        return {}
    with Ingested.open(ws) as ev:
        if not ev.count:
            return {}
        found = per_version(ws, name, ev.timeline, ev.learnings, catalog=ev.catalog, channels=ev.channels,
                            uses=stored_uses(ev, name, Weights.from_config(ws.config)))
    out: dict[str, JSONObject] = {}
    for blob, m in found.items():
        out[blob] = {
            "uses": m.uses, "win_rate": round(m.win_rate, 3), "failure_rate": round(m.failure_rate, 3),
            "complaints": m.complaints, "score": round(m.score, 3), "weak_uses": m.weak_uses, "evidence": m.status,
        }
    return out
