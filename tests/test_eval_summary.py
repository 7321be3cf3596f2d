"""The Skill-Eval-Summary value: parse, format, round trip, and clear errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skillgit.errors import TrailerError
from skillgit.evals.summary import EXAMPLE, LEGACY_EXAMPLE, EvalSummary, Figures, GateSummary, parse_summary


def test_the_spec_example_parses_into_its_numbers() -> None:
    s = EvalSummary.parse(LEGACY_EXAMPLE)
    assert (s.better, s.worse, s.tie, s.holdout_before, s.holdout_after, s.holdout_n, s.margin) == (2, 0, 1, 0.72, 0.81, 20, 0.05)
    assert s.format() == LEGACY_EXAMPLE
    assert s.holdout_delta == pytest.approx(0.09)


def test_a_train_only_summary_has_no_holdout() -> None:
    s = EvalSummary.parse("train 1 better 0 worse 0 tie")
    assert not s.has_holdout and s.holdout_delta is None and s.format() == "train 1 better 0 worse 0 tie"


def test_parsing_is_case_and_blank_tolerant_and_format_is_canonical() -> None:
    s = EvalSummary.parse("  Train 3 Better 0 worse 2 ties ;holdout 7->7.5  n = 7 margin 0.5 ")
    assert s.format() == "train 3 better 0 worse 2 tie; holdout 7->7.5 n=7 margin 0.5"


@pytest.mark.parametrize("text", [
    "",
    "better",
    "train 1 better 0 worse",
    "train -1 better 0 worse 0 tie",
    "train 1 better 0 worse 0 tie; holdout 0.7->0.8",
    "train 1 better 0 worse 0 tie; holdout 0.7->0.8 n=20 margin 0.05; extra",
    "train 1 better 0 worse 0 tie; holdout 1e3->2 n=1 margin 0",
])
def test_a_malformed_summary_is_a_trailer_error_with_the_format(text: str) -> None:
    with pytest.raises(TrailerError) as info:
        EvalSummary.parse(text)
    assert LEGACY_EXAMPLE in str(info.value) and str(info.value).startswith("Skill-Eval-Summary")


def test_a_partial_holdout_result_is_refused_on_construction() -> None:
    with pytest.raises(TrailerError, match="needs all of"):
        EvalSummary(1, 0, 0, holdout_before=0.5)


numbers = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6), st.none() | st.tuples(numbers, numbers, st.integers(0, 10**6), numbers))
def test_format_then_parse_gives_the_same_summary(better: int, worse: int, tie: int, holdout) -> None:  # type: ignore[no-untyped-def]
    s = EvalSummary(better, worse, tie, *(holdout or (None, None, None, None)))
    assert EvalSummary.parse(s.format()) == s


# -- the gate's format ----------------------------------------------------------------------------


def test_the_gate_example_parses_into_its_parts() -> None:
    s = GateSummary.parse(EXAMPLE)
    assert (s.train, s.train_n, s.train_trials, s.train_figures, s.runs) == ("ok", 6, 8, None, 176)
    assert s.holdout == Figures(0.58, 0.81, 0.23, 0.09, 0.37, 10, 12)
    assert s.format() == EXAMPLE
    assert parse_summary(EXAMPLE) == s and parse_summary(LEGACY_EXAMPLE) == EvalSummary.parse(LEGACY_EXAMPLE)


@pytest.mark.parametrize(("text", "canonical"), [
    ("train ok 0.50->0.70 +0.20 [+0.05,+0.35] n=6×8; runs 96", None),
    ("holdout 7.00->8.20 +1.20 [+0.63,+1.77] n=3×4; runs 24", None),
    ("train worse n=6x8; holdout 0.6->0.2 -0.4 [-0.65,-0.15] n = 5 x 4 ;RUNS 52",
     "train worse n=6×8; holdout 0.60->0.20 -0.40 [-0.65,-0.15] n=5×4; runs 52"),
])
def test_gate_summaries_read_blank_and_case_tolerant_and_write_the_canonical_form(text: str, canonical: str | None) -> None:
    assert GateSummary.parse(text).format() == (canonical or text)


@pytest.mark.parametrize(("text", "message"), [
    ("train ok n=6×8; runs 96", "without a holdout the train part carries the figures"),
    ("holdout 0.5->0.7 +0.2 [+0.1,+0.3] n=4×4; runs", "is not a part of the gate's summary"),
    ("runs 4", "needs a train or holdout part"),
    ("train maybe n=6×8; runs 4", "`train maybe n=6×8` is not a part"),
    ("holdout 0.5->0.7 +0.2 [+0.1,+0.3] n=4×4; train ok n=2×4; runs 4", "`train ok n=2×4` is not a part"),
])
def test_a_malformed_gate_summary_says_which_part_is_wrong(text: str, message: str) -> None:
    with pytest.raises(TrailerError, match=message):
        GateSummary.parse(text)


rates = st.floats(min_value=0, max_value=10, allow_nan=False).map(lambda x: round(x, 2))
deltas = st.floats(min_value=-10, max_value=10, allow_nan=False).map(lambda x: round(x, 2))


@given(st.sampled_from(["ok", "worse", "open", None]), st.tuples(rates, rates, deltas, deltas, deltas),
       st.integers(1, 500), st.integers(1, 100), st.integers(0, 10**5))
def test_gate_summaries_round_trip(train, numbers, n: int, trials: int, runs: int) -> None:  # type: ignore[no-untyped-def]
    figures = Figures(*numbers, n, trials)
    s = GateSummary(train, n if train else None, trials if train else None, None, figures, runs)
    assert GateSummary.parse(s.format()).format() == s.format()
