"""The few statistics the eval gate needs, on the standard library alone (`statistics.NormalDist`).

A run of a case gives a value: 1/0 for pass/fail, or the judge's score (0–10). A case run k times on
one version is summed up as a `Tally` (runs, Σy, Σy²). Judge scores are divided by their `scale` (10)
before any statistic, so every figure below is on a 0–1 scale. The gate compares two versions
case by case (each case against itself, so a case's own difficulty cancels out) and averages the
per-case differences; the variance of that average comes from the runs inside each case.

Variance of one case's mean on one version (`case_variance`):

- pass/fail runs: p̃(1 − p̃) / k with p̃ = (passes + ½) / (k + 1) — the Wald variance with half a
  pass and half a fail added (Agresti–Caffo style), so 4 passes in 4 runs do not claim zero
  variance;
- judge scores: the sample variance with one extra run of variance 0.01 (1 point on the 0–10 scale),
  never more than the pass/fail bound p̃(1 − p̃) that holds for any value in [0, 1], divided by k.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

NORMAL = NormalDist()
PSEUDO = 0.5
"""Pseudo-passes and pseudo-fails added to each case's tally before its variance is taken."""
SCORE_PRIOR = 0.01
"""The variance of the one pseudo-run added to judge scores (scale 0–1: one point on 0–10)."""


def z_upper(p: float) -> float:
    """The one-sided standard normal critical value: P(Z > z) = p (z_upper(0.025) = 1.959964)."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"a tail probability must lie strictly between 0 and 1, not {p!r}")
    return NORMAL.inv_cdf(1.0 - p)


def upper_tail(z: float) -> float:
    """P(Z > z) for a standard normal Z."""
    return 1.0 - NORMAL.cdf(z)


def wilson(successes: float, n: int, level: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval for a proportion (two-sided, `level` coverage); (0, 1) for n = 0."""
    if n <= 0:
        return 0.0, 1.0
    z = z_upper((1.0 - level) / 2.0)
    p = successes / n
    denominator = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1.0 - p) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if successes <= 0 else max(0.0, centre - half)
    high = 1.0 if successes >= n else min(1.0, centre + half)
    return low, high


@dataclass(frozen=True)
class Tally:
    """The runs of one case on one version: how many, the sum of their values and of their squares."""

    runs: int = 0
    total: float = 0.0
    squares: float = 0.0

    @property
    def mean(self) -> float:
        return self.total / self.runs if self.runs else 0.0

    def add(self, value: float) -> Tally:
        return Tally(self.runs + 1, self.total + value, self.squares + value * value)

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.runs + other.runs, self.total + other.total, self.squares + other.squares)


def case_variance(tally: Tally, scale: float | None = None) -> float:
    """The variance of the mean of `tally` on the 0–1 scale (see the module doc): pass/fail runs when
    `scale` is None, scores out of `scale` otherwise; 0.25 (the most there is) with no runs."""
    k = tally.runs
    if k <= 0:
        return 0.25
    s = 1.0 if scale is None else scale
    p = (tally.total / s + PSEUDO) / (k + 2 * PSEUDO)
    bound = p * (1.0 - p)
    if scale is None:
        return bound / k
    spread = max(0.0, (tally.squares - tally.total * tally.total / k) / (s * s))
    return min((spread + SCORE_PRIOR) / k, bound) / k


@dataclass(frozen=True)
class Difference:
    """The mean over n cases of (candidate − champion), with its standard error."""

    before: float
    after: float
    n: int
    se: float

    @property
    def delta(self) -> float:
        return self.after - self.before

    def interval(self, z: float) -> tuple[float, float]:
        return self.delta - z * self.se, self.delta + z * self.se


def paired_difference(pairs: Sequence[tuple[Tally, Tally]], scale: float | None = None) -> Difference:
    """Champion vs candidate over cases, each case compared with itself: pairs of (champion, candidate).
    On the 0–1 scale (scores divided by `scale`; None: pass/fail)."""
    n = len(pairs)
    if n == 0:
        return Difference(0.0, 0.0, 0, 0.0)
    s = 1.0 if scale is None else scale
    before = sum(a.mean for a, _ in pairs) / (n * s)
    after = sum(b.mean for _, b in pairs) / (n * s)
    variance = sum(case_variance(a, scale) + case_variance(b, scale) for a, b in pairs) / (n * n)
    return Difference(before, after, n, math.sqrt(variance))


def required_se(effect: float, z_alpha: float, power: float) -> float:
    """The standard error at which a true `effect` (over the null) crosses `z_alpha` with probability `power`."""
    if effect <= 0:
        return 0.0
    return effect / (z_alpha + z_upper(1.0 - power))
