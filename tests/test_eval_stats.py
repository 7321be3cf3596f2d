"""The gate's statistics against published values, and the decision rules on hand-made counts."""

from __future__ import annotations

import math

import pytest

from skillgit.config import Config
from skillgit.evals.decision import CaseCounts, Design, assess, design_from_config, schedule
from skillgit.evals.stats import (
    Tally,
    case_variance,
    paired_difference,
    required_se,
    upper_tail,
    wilson,
    z_upper,
)


@pytest.mark.parametrize(("p", "z"), [
    (0.025, 1.959963984540054),   # the 97.5% quantile of every statistics table
    (0.05, 1.6448536269514722),
    (0.005, 2.5758293035489004),
    (0.001, 3.090232306167813),
])
def test_normal_quantiles_match_the_tables(p: float, z: float) -> None:
    assert z_upper(p) == pytest.approx(z, abs=1e-12)
    assert upper_tail(z) == pytest.approx(p, rel=1e-9)


@pytest.mark.parametrize(("x", "n", "low", "high"), [
    (8, 10, 0.4902, 0.9433),
    (0, 10, 0.0, 0.2775),
    (10, 10, 0.7225, 1.0),
    (81, 263, 0.2553, 0.3662),   # Newcombe (1998), Statistics in Medicine 17:857, table II
    (15, 148, 0.0624, 0.1605),   # ibid.
])
def test_the_wilson_interval_matches_published_values(x: int, n: int, low: float, high: float) -> None:
    lo, hi = wilson(x, n)
    assert (round(lo, 4), round(hi, 4)) == (low, high)


def test_a_tally_adds_values_and_squares() -> None:
    t = Tally().add(1.0).add(0.0).add(1.0)
    assert (t.runs, t.total, t.squares, t.mean) == (3, 2.0, 2.0, pytest.approx(2 / 3))
    assert t + Tally(1, 7.5, 56.25) == Tally(4, 9.5, 58.25)


def test_pass_fail_variance_adds_half_a_pass_and_half_a_fail() -> None:
    assert case_variance(Tally(4, 3, 3)) == pytest.approx(0.7 * 0.3 / 4)
    assert case_variance(Tally(4, 4, 4)) == pytest.approx(0.9 * 0.1 / 4)  # 4/4 is not certainty
    assert case_variance(Tally()) == 0.25


def test_judge_score_variance_is_the_sample_variance_with_one_pseudo_run_and_the_pass_fail_bound() -> None:
    steady = Tally(4, 28.0, 196.0)           # 7, 7, 7, 7 out of 10
    assert case_variance(steady, 10.0) == pytest.approx((0 + 0.01) / 4 / 4)
    spread = Tally(2, 10.0, 100.0)           # 0 and 10: as far apart as scores go
    p = (1.0 + 0.5) / 3
    assert case_variance(spread, 10.0) == pytest.approx(min((0.5 + 0.01) / 2, p * (1 - p)) / 2)


def test_the_paired_difference_compares_each_case_with_itself() -> None:
    pairs = [(Tally(4, 0, 0), Tally(4, 4, 4)), (Tally(4, 4, 4), Tally(4, 4, 4))]
    d = paired_difference(pairs)
    assert (d.before, d.after, d.delta, d.n) == (0.5, 1.0, 0.5, 2)
    assert d.se == pytest.approx(math.sqrt(4 * 0.09 / 4) / 2)
    judged = paired_difference([(Tally(2, 14.0, 98.0), Tally(2, 16.0, 128.0))], 10.0)
    assert (judged.before, judged.after) == (pytest.approx(0.7), pytest.approx(0.8))


def test_required_se_is_the_effect_over_the_two_quantiles() -> None:
    assert required_se(0.25, 1.959964, 0.8) == pytest.approx(0.25 / (1.959964 + 0.841621), rel=1e-6)
    assert required_se(-0.1, 2.0, 0.8) == 0.0


@pytest.mark.parametrize(("trials", "max_runs", "cases", "confirming", "expected"), [
    (4, 400, 16, 10, (4, 8)),     # 6 train + 10 holdout: 64 + 20 runs, then 40 a round
    (4, 400, 50, 30, (2, 5)),     # 20 + 30: trials shrink so that 4 rounds of every case fit
    (4, 400, 8, 5, (4, 18)),
    (4, 400, 3, 3, (4, 20)),      # never more than 20 looks
    (4, 40, 200, 100, (1, 1)),    # never fewer than 1 run a round and 1 look
])
def test_the_schedule_fits_the_rounds_in_the_budget(trials: int, max_runs: int, cases: int, confirming: int,
                                                   expected: tuple[int, int]) -> None:
    assert schedule(trials, max_runs, cases, confirming) == expected


def test_the_default_design_splits_alpha_over_the_looks() -> None:
    d = design_from_config(Config.defaults(), cases=16, confirming=10, margin=0.05, min_pass=0.6)
    assert (d.trials, d.fresh, d.looks, d.alpha, d.min_effect, d.max_regression) == (4, 2, 8, 0.05, 0.12, 0.1)
    assert d.z == pytest.approx(z_upper(0.05 / 8)) and round(d.z, 3) == 2.498
    judged = design_from_config(Config.defaults(), cases=3, confirming=3, margin=0.5, min_pass=7.0, scale=10.0)
    assert (judged.margin, judged.min_pass) == (0.05, 0.7)


DESIGN = Design(alpha=0.05, min_effect=0.15, max_regression=0.1, trials=4, looks=6, max_runs=400, margin=0.05,
                min_pass=0.6)
"""A design written out (min_effect 0.15 here, not the default), so the cases below do not move with the defaults."""


def _counts(part: str, rows: list[tuple[int, int, int, int]], group: str = "g") -> list[CaseCounts]:
    return [CaseCounts(part, group if part == "train" else "", f"c{i}" if part == "train" else "",  # type: ignore[arg-type]
                       Tally(k0, x0, x0), Tally(k1, x1, x1)) for i, (x0, k0, x1, k1) in enumerate(rows)]


def test_a_holdout_whose_lower_end_clears_the_margin_is_accepted() -> None:
    cases = _counts("holdout", [(2, 8, 7, 8)] * 5 + [(5, 8, 8, 8)] * 5)
    a = assess(DESIGN, cases)
    assert a.outcome == "accepted" and a.holdout is not None and a.holdout.low > 0.05


def test_a_holdout_whose_upper_end_is_below_min_effect_is_rejected() -> None:
    a = assess(DESIGN, _counts("holdout", [(12, 24, 12, 24)] * 10))
    assert a.outcome == "rejected" and a.holdout is not None and a.holdout.high < 0.15
    assert a.reasons[0].endswith("the interval is below min_effect 0.15")


def test_an_interval_between_the_margin_and_min_effect_is_not_settled() -> None:
    a = assess(DESIGN, _counts("holdout", [(2, 4, 3, 4)] * 10))
    assert a.outcome == "inconclusive"
    assert a.reasons[0].endswith("the lower end must pass the margin 0.05, or the upper end fall below min_effect 0.15")


def test_one_suite_much_worse_fails_the_train_guard_even_when_the_whole_train_set_is_not() -> None:
    train = _counts("train", [(8, 8, 0, 8)] * 3, "deploy") + _counts("train", [(0, 8, 8, 8)] * 3, "review")
    a = assess(DESIGN, train + _counts("holdout", [(2, 8, 8, 8)] * 10))
    assert a.train is not None and a.train.verdict == "fail" and a.outcome == "rejected"
    assert a.reasons[0].startswith("train suite deploy 1.00->0.00 -1.00 [")


def test_a_significant_gain_under_min_pass_fails_the_holdout() -> None:
    a = assess(DESIGN, _counts("holdout", [(0, 8, 4, 8)] * 10))
    assert a.outcome == "rejected" and a.reasons[0].endswith("challenger 0.50 < min_pass 0.6")
