"""The gate's decision from per-case counts: a pure function the gate, `verify` and `eval power` share.

A decision runs in rounds (looks). In each round every case of an unresolved part runs `trials`
more times on the candidate; the champion's runs come from the run cache and are topped up so it
has at least as many runs per case as the candidate. After each round every part is judged from
its counts alone (docs/evals.md, "How the gate decides"):

- the **confirmation** part (the sealed holdout; the train cases when there is none) passes when
  the lower end of the interval of (candidate − champion) is above the margin, and fails when its
  upper end is below `eval.min_effect` (the candidate cannot be the improvement worth having);
- the **train guard** (train cases when a holdout confirms) passes when the lower end is above
  −`eval.max_regression` (non-inferior), and fails when the upper end of the whole train set, or of
  any suite (case group), is below −`eval.max_regression`;
- on a pass, the holdout must also reach `min_pass` and no rubric dimension may be under its
  `min_blocker` (point estimates), else it fails.

Accepted when every part passes; rejected as soon as one fails; inconclusive when the budget or
the last look comes first. Every look uses the same interval: z at α / looks (a Bonferroni split of
`eval.alpha` over the most looks a decision can take), so a neutral candidate is accepted with
probability at most α whatever look it stops at, and `verify` recomputes a decision from the final
counts without knowing the looks before it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from skillgit.errors import UsageError
from skillgit.evals.stats import Difference, Tally, paired_difference, z_upper
from skillgit.evals.summary import TRAIN_STATES, Figures, GateSummary, fixed, signed
from skillgit.jsontypes import JSONObject

if TYPE_CHECKING:
    from skillgit.config import Config

Verdict = Literal["pass", "fail", "open"]
Outcome = Literal["accepted", "rejected", "inconclusive"]

MIN_LOOKS = 4
"""Trials per round shrink (down to 1) until the budget allows this many rounds."""
MAX_LOOKS = 20
"""No decision takes more rounds than this, whatever the budget."""
EPSILON = 1e-9


@dataclass(frozen=True)
class Design:
    """The numbers one decision runs with, from the config, the lock and the number of cases.

    `margin` and `min_pass` are on the 0–1 scale (a judged holdout's 0–10 numbers divided by
    `scale`); `looks` is the most rounds the decision may take, `trials` the runs per case and
    version in each round.
    """

    alpha: float
    min_effect: float
    max_regression: float
    trials: int
    looks: int
    max_runs: int
    margin: float
    min_pass: float | None
    scale: float = 1.0

    @property
    def fresh(self) -> int:
        """Fresh champion runs per confirming case in a decision's first round (see trials.py)."""
        return fresh_runs(self.trials)

    @property
    def level(self) -> float:
        """The one-sided error level of each look."""
        return self.alpha / self.looks

    @property
    def z(self) -> float:
        return z_upper(self.level)

    def to_json(self) -> JSONObject:
        return {"alpha": self.alpha, "min_effect": self.min_effect, "max_regression": self.max_regression,
                "trials": self.trials, "looks": self.looks, "max_runs": self.max_runs, "z": round(self.z, 4),
                "margin": self.margin * self.scale,
                "min_pass": None if self.min_pass is None else self.min_pass * self.scale, "scale": self.scale}


def fresh_runs(trials: int) -> int:
    """Half a round's runs, rounded up."""
    return (trials + 1) // 2


def schedule(trials: int, max_runs: int, cases: int, confirming: int) -> tuple[int, int]:
    """(trials per round, most rounds) for `cases` cases of which `confirming` confirm.

    Trials shrink (never below 1) until `MIN_LOOKS` rounds of every case fit in `max_runs`. The
    rounds are those a budget of `max_runs` pays for when the first round runs every case on the
    candidate plus the confirming cases' fresh champion runs, and each later round the confirming
    cases only (the train guard is usually settled by then): at most `MAX_LOOKS`."""
    cases = max(1, cases)
    confirming = max(1, min(confirming, cases))
    per_round = max(1, min(trials, max_runs // (MIN_LOOKS * cases)))
    later = (max_runs - per_round * cases - fresh_runs(per_round) * confirming) // (per_round * confirming)
    return per_round, max(1, min(MAX_LOOKS, 1 + later))


def design_from_config(config: Config, *, cases: int, confirming: int, margin: float, min_pass: float | None,
                       scale: float = 1.0) -> Design:
    """The design for a decision over `cases` cases (train + holdout) of which `confirming` confirm
    (the holdout's, else the train cases). `margin`/`min_pass` are on the score's own scale (0–10 for
    a judged holdout, `scale` 10), as the lock writes them."""
    e = config.eval
    trials, looks = schedule(int(e.trials), int(e.max_runs), cases, confirming)
    return Design(float(e.alpha), float(e.min_effect), float(e.max_regression), trials, looks, int(e.max_runs),
                  margin / scale, None if min_pass is None else min_pass / scale, scale)


@dataclass(frozen=True)
class CaseCounts:
    """One case's runs on both versions. `group` is the train suite; holdout cases have no id here."""

    part: Literal["train", "holdout"]
    group: str
    case: str
    champion: Tally
    candidate: Tally


@dataclass(frozen=True)
class Dimension:
    """A rubric dimension of a judged holdout: mean scores (0–10) and the strictest `min_blocker`."""

    name: str
    floor: float
    champion: float
    candidate: float


@dataclass(frozen=True)
class PartResult:
    """A part (train or holdout) judged from its counts."""

    part: Literal["train", "holdout"]
    confirms: bool
    verdict: Verdict
    estimate: Difference
    low: float
    high: float
    trials: int
    scale: float
    reason: str | None = None
    groups: tuple[tuple[str, Difference], ...] = ()

    def numbers(self) -> Figures:
        """The figures on the part's own scale (0–10 for a judged holdout)."""
        s, e = self.scale, self.estimate
        return Figures(e.before * s, e.after * s, e.delta * s, self.low * s, self.high * s, e.n, self.trials)

    def figures(self) -> str:
        """`0.58->0.81 +0.23 [+0.09,+0.37] n=10×4`."""
        return self.numbers().format()

    def to_json(self) -> JSONObject:
        s = self.scale
        e = self.estimate
        return {"verdict": self.verdict, "confirms": self.confirms, "champion": round(e.before * s, 4),
                "candidate": round(e.after * s, 4), "delta": round(e.delta * s, 4),
                "interval": [round(self.low * s, 4), round(self.high * s, 4)], "n": e.n, "trials": self.trials,
                "reason": self.reason}


@dataclass(frozen=True)
class Assessment:
    outcome: Outcome
    train: PartResult | None
    holdout: PartResult | None
    design: Design
    reasons: tuple[str, ...] = field(default=())

    @property
    def parts(self) -> list[PartResult]:
        return [p for p in (self.train, self.holdout) if p is not None]


def _trials(cases: Sequence[CaseCounts]) -> int:
    return min((c.candidate.runs for c in cases), default=0)


def judge_part(design: Design, part: Literal["train", "holdout"], cases: Sequence[CaseCounts], *, confirms: bool,
               scored: bool = False) -> PartResult:
    """Judge one part from its counts (the rules in the module doc; min_pass and blockers aside).
    `scored`: the values are judge scores on the design's scale (0–10), not pass/fail."""
    z = design.z
    scale = design.scale if part == "holdout" else 1.0
    estimate = paired_difference([(c.champion, c.candidate) for c in cases], design.scale if scored else None)
    low, high = estimate.interval(z)
    low, high = max(-1.0, low), min(1.0, high)  # a difference of two rates lies in [-1, 1]
    trials = _trials(cases)
    label = f"{part} {PartResult(part, confirms, 'open', estimate, low, high, trials, scale).figures()}"
    groups: list[tuple[str, Difference]] = []
    if part == "train":
        names = sorted({c.group for c in cases})
        if len(names) > 1:
            groups = [(g, paired_difference([(c.champion, c.candidate) for c in cases if c.group == g])) for g in names]
    verdict: Verdict = "open"
    reason = None
    tolerated = -design.max_regression
    worse = [(g, d) for g, d in groups if d.interval(z)[1] < tolerated - EPSILON]
    if confirms:
        if high < design.min_effect - EPSILON:
            verdict, reason = "fail", f"{label}: the interval is below min_effect {num_short(design.min_effect * scale)}"
        elif worse:
            verdict, reason = "fail", _worse(worse, z, tolerated)
        elif low > design.margin + EPSILON:
            verdict = "pass"
    else:
        if high < tolerated - EPSILON:
            verdict, reason = "fail", f"{label}: worse than the tolerated regression {num_short(tolerated)}"
        elif worse:
            verdict, reason = "fail", _worse(worse, z, tolerated)
        elif low > tolerated + EPSILON:
            verdict = "pass"
    return PartResult(part, confirms, verdict, estimate, low, high, trials, scale, reason, tuple(groups))


def _worse(worse: Sequence[tuple[str, Difference]], z: float, tolerated: float) -> str:
    shown = []
    for group, d in worse[:3]:
        low, high = d.interval(z)
        shown.append(f"suite {group} {fixed(d.before)}->{fixed(d.after)} {signed(d.delta)} [{signed(low)},{signed(high)}]")
    return f"train {'; '.join(shown)}: worse than the tolerated regression {num_short(tolerated)}"


def num_short(value: float) -> str:
    """0.15, 1.5, -0.1: a config number as written."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def assess(design: Design, cases: Sequence[CaseCounts], *, scored_holdout: bool = False,
           dimensions: Sequence[Dimension] = ()) -> Assessment:
    """The decision (and each part's verdict) from the counts as they stand."""
    train = [c for c in cases if c.part == "train"]
    holdout = [c for c in cases if c.part == "holdout"]
    if not train and not holdout:
        raise UsageError("a gate decision needs at least one eval case; write evals (docs/evals.md) first.")
    t = judge_part(design, "train", train, confirms=not holdout) if train else None
    h = judge_part(design, "holdout", holdout, confirms=True, scored=scored_holdout) if holdout else None
    if h is not None and h.verdict == "pass":
        faults = []
        if design.min_pass is not None and h.estimate.after < design.min_pass - EPSILON:
            faults.append(f"challenger {fixed(h.estimate.after * h.scale)} < min_pass {num_short(design.min_pass * h.scale)}")
        blocked = [f"{d.name} {num_short(d.candidate)} < min_blocker {num_short(d.floor)}" for d in dimensions
                   if d.candidate < d.floor - EPSILON]
        if blocked:
            faults.append("under min_blocker: " + ", ".join(blocked))
        if faults:
            h = PartResult(h.part, h.confirms, "fail", h.estimate, h.low, h.high, h.trials, h.scale,
                           f"holdout {h.figures()}: " + "; ".join(faults), h.groups)
    parts = [p for p in (t, h) if p is not None]
    failed = [p.reason or f"{p.part} failed" for p in parts if p.verdict == "fail"]
    if failed:
        return Assessment("rejected", t, h, design, tuple(failed))
    if all(p.verdict == "pass" for p in parts):
        return Assessment("accepted", t, h, design)
    return Assessment("inconclusive", t, h, design, tuple(_open_reason(design, p) for p in parts if p.verdict == "open"))


def _open_reason(design: Design, p: PartResult) -> str:
    if p.confirms:
        return (f"{p.part} {p.figures()}: the lower end must pass the margin "
                f"{num_short(design.margin * p.scale)}, or the upper end fall below min_effect "
                f"{num_short(design.min_effect * p.scale)}")
    return (f"{p.part} {p.figures()}: the lower end must pass the tolerated regression "
            f"{num_short(-design.max_regression)}")


def dimensions_from(means: Mapping[str, tuple[float, float]], floors: Mapping[str, float]) -> list[Dimension]:
    """Dimensions with a `min_blocker`, from champion/candidate means and the floors."""
    return [Dimension(name, floors[name], a, b) for name, (a, b) in sorted(means.items()) if name in floors]


def summary_of(assessment: Assessment, runs: int) -> GateSummary:
    """The `Skill-Eval-Summary` of an assessment that cost `runs` agent runs."""
    t, h = assessment.train, assessment.holdout
    return GateSummary(
        TRAIN_STATES[t.verdict] if t else None, t.estimate.n if t else None, t.trials if t else None,
        t.numbers() if t and t.confirms else None, h.numbers() if h else None, runs,
    )
