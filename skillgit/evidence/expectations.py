"""Grading every past `Skill-Expected` prediction: hit | miss | pending | unmeasured.

For an event (a commit with `Skill-Expected`) the horizon is counted in all the sessions that started
after the event's commit time, whether they used the skill or not; the metric is computed over those
sessions, its uses being the counted attributions among them (not weak, unless `metrics.count_weak`).
A horizon is never judged early:

    within N sessions  pending until N sessions after the event exist; then the metric over exactly
                       those N sessions (`uses >= 1 within 10 sessions` misses when ten sessions pass
                       without a use)
    within N days      pending until the ingested traces reach past event time + N days (the latest
                       session's time, or `now` when given); then the metric over that span

`unmeasured`: the skill has no evidence channel in the ingested sessions (docs/metrics.md), the
skill is gone from the repository, the prediction cannot be parsed, or the metric cannot be
computed (`pattern:<key>` with no learnings ingested). Sessions without a time cannot be placed
after an event and are not counted.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from skillgit import trailers as T
from skillgit.errors import SkillFileError, TrailerError
from skillgit.evidence.attribution import (
    Attribution,
    Catalog,
    Channels,
    aware,
)
from skillgit.evidence.metrics import Weights, measure_at, starting_score
from skillgit.evidence.rows import micros
from skillgit.evidence.session import Learning, Session, SessionSummary
from skillgit.evidence.timeline import Timeline
from skillgit.jsontypes import JSONObject
from skillgit.model.expected import Expectation, parse_expected

if TYPE_CHECKING:
    from skillgit.config import Config
    from skillgit.events import Event
    from skillgit.evidence.ingested import Ingested
    from skillgit.workspace import Workspace

GradeStatus = Literal["hit", "miss", "pending", "unmeasured"]


@dataclass(frozen=True)
class Grade:
    commit: str
    time: datetime
    event: str
    skill: str | None
    prediction: str
    status: GradeStatus
    value: float | None
    sessions: int
    """Sessions of the horizon that used the skill (counted uses; for a pending horizon: so far)."""
    until: datetime | None
    """Where the horizon ends: the N-th session's time, or event time + N days."""
    reason: str = ""

    def to_json(self) -> JSONObject:
        return {
            "commit": self.commit, "time": self.time.isoformat(), "event": self.event, "skill": self.skill,
            "prediction": self.prediction, "status": self.status,
            "value": None if self.value is None else round(self.value, 4), "sessions": self.sessions,
            "until": self.until.isoformat() if self.until else None, "reason": self.reason,
        }


def grade_expectations(
    ws: Workspace,
    sessions: Sequence[Session | SessionSummary],
    learnings: Sequence[Learning] = (),
    config: Config | None = None,
    *,
    skill: str | None = None,
    now: datetime | None = None,
    catalog: Catalog | None = None,
    attributions: Sequence[Attribution] | None = None,
    channels: Channels | None = None,
) -> list[Grade]:
    """A Grade for every event carrying `Skill-Expected` (newest first), optionally for one skill."""
    from skillgit.evidence.metrics import _evidence

    cfg = config or ws.config
    w = Weights.from_config(cfg)
    catalog = catalog or Catalog(ws)
    found, chan = _evidence(ws, sessions, catalog, attributions, channels)
    timeline = Timeline(sessions)
    counted: dict[str, set[str]] = {}
    for a in found:
        if a.counts(w.count_weak):
            counted.setdefault(a.skill, set()).add(a.session_id)
    grader = _Grader(ws, catalog, timeline, lambda name: timeline.positions(counted.get(name, ())), learnings, chan, w, now)
    return grader.every(skill)


def stored_grades(ws: Workspace, ev: Ingested, config: Config | None = None, *, skill: str | None = None,
                  now: datetime | None = None) -> list[Grade]:
    """`grade_expectations` over everything ingested: the sessions as the store's timeline, each skill's
    uses read for that skill alone."""
    w = Weights.from_config(config or ws.config)

    def used(name: str) -> list[int]:
        return [p for p, strength, _ in ev.uses_at(name) if w.count_weak or strength != "weak"]

    return _Grader(ws, ev.catalog, ev.timeline, used, ev.learnings, ev.channels, w, now).every(skill)


class _Grader:
    def __init__(self, ws: Workspace, catalog: Catalog, timeline: Timeline, counted: Callable[[str], list[int]],
                 learnings: Sequence[Learning], chan: Channels, w: Weights, now: datetime | None) -> None:
        self.ws, self.catalog, self.learnings, self.w = ws, catalog, learnings, w
        self.timeline = timeline
        self.timed = array("q", (p for p in range(len(timeline)) if timeline.timed[p]))
        """The positions in `timeline` of the timed sessions (the untimed cannot be placed after an event)."""
        self.times = array("q", (timeline.keys[p] for p in self.timed))
        self.channels = chan
        self.counted = counted
        self.used: dict[str, list[int]] = {}
        self.reference = now or (timeline.time(self.timed[-1]) if self.timed else None)
        stamped = sorted(((ts, x) for x in learnings if (ts := aware(x.ts)) is not None), key=lambda p: p[0])
        self.stamped = [x for _, x in stamped]
        self.stamps = [ts for ts, _ in stamped]

    def every(self, skill: str | None) -> list[Grade]:
        """A Grade for every event carrying `Skill-Expected` (newest first), of `skill` when given."""
        out = []
        for event in self.ws.events():
            text = event.trailers.get(T.EXPECTED)
            if text is None or (skill is not None and event.skill != skill):
                continue
            out.append(self.grade(event, text))
        return out

    def _used(self, name: str) -> list[int]:
        """The positions in `timed` of the sessions that used `name` (counted uses)."""
        if name not in self.used:
            timed = self.timed
            found = []
            for p in self.counted(name):
                i = bisect_left(timed, p)
                if i < len(timed) and timed[i] == p:
                    found.append(i)
            self.used[name] = found
        return self.used[name]

    def _at(self, when: datetime) -> int:
        """How many timed sessions ran at or before `when`."""
        key = micros(when)
        assert key is not None
        return bisect_right(self.times, key)

    def grade(self, event: Event, text: str) -> Grade:
        name = event.skill

        def result(status: GradeStatus, reason: str, value: float | None = None, n: int = 0,
                   until: datetime | None = None) -> Grade:
            return Grade(event.commit, event.time, event.kind or "", name, text, status, value, n, until, reason)

        try:
            expectation = parse_expected(text)
        except TrailerError as exc:
            return result("unmeasured", str(exc))
        if name is None or name not in self.catalog.entries:
            return result("unmeasured", f"skill `{name}` is not in the repository at HEAD")
        if not self.channels.measurable(self.catalog.keywords.get(name, ())):
            return result("unmeasured", _no_channel(self.channels.sessions))
        if expectation.metric.startswith("pattern:") and not self.learnings:
            return result("unmeasured", f"{expectation.metric} counts learnings and none were ingested")
        first = self._at(event.time)  # the sessions after the event start here
        used = self._used(name)
        exercised = len(used) - bisect_left(used, first)
        if expectation.unit == "sessions":
            if len(self.timed) - first < expectation.horizon:
                return result("pending", f"{len(self.timed) - first} of {expectation.horizon} sessions so far", n=exercised)
            until = self.timeline.time(self.timed[first + expectation.horizon - 1])
            assert until is not None
            last = first + expectation.horizon
        else:
            until = event.time + timedelta(days=expectation.horizon)
            if self.reference is None or self.reference < until:
                seen = self.reference.isoformat() if self.reference else "none"
                return result("pending", f"horizon ends {until.isoformat()}; traces reach {seen}",
                              n=exercised, until=until)
            last = self._at(until)
        # the window: the timed sessions first … last-1; the uses inside it, as positions in it
        inside = [i - first for i in used[bisect_left(used, first) : bisect_left(used, last)]]
        window = self.timeline.subset(list(self.timed[first:last]))
        value = self._value(expectation, name, event, window, inside, until)
        n = len(inside)
        status: GradeStatus = "hit" if expectation.holds(value) else "miss"
        return result(status, f"{expectation.metric} = {value:g} over {len(window)} session(s), {n} using the skill",
                      value, n, until)

    def _value(self, expectation: Expectation, name: str, event: Event, window: Timeline, uses: list[int],
               until: datetime) -> float:
        inside = self.stamped[bisect_right(self.stamps, event.time) : bisect_right(self.stamps, until)]
        if expectation.metric.startswith("pattern:"):
            key = expectation.metric.split(":", 1)[1]
            return float(sum(1 for x in inside if x.pattern_key == key))
        m = measure_at(name, None, window, uses, 0, inside, prev=self._prev(name, event), w=self.w, measurable=True)
        return m.value(expectation.metric)

    def _prev(self, name: str, event: Event) -> float:
        from skillgit.model.skill import parse_skill

        path = f"{self.ws.skill_dir(name)}/SKILL.md"
        raw = self.ws.repo.read_file(event.commit, path)
        try:
            skill = parse_skill(raw, path) if raw is not None else None
        except SkillFileError:
            skill = None
        return starting_score(skill, self.w)


def _no_channel(sessions: int) -> str:
    if sessions == 0:
        return "no sessions ingested; run `skillgit ingest PATH…`"
    return "no evidence channel: no session shows any skill use and the skill has no keywords"
