"""The Skill-Eval-Summary value: parse, format, round trip, and clear errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skillgit.errors import TrailerError
from skillgit.evals.summary import EXAMPLE, EvalSummary


def test_the_spec_example_parses_into_its_numbers() -> None:
    s = EvalSummary.parse(EXAMPLE)
    assert (s.better, s.worse, s.tie, s.holdout_before, s.holdout_after, s.holdout_n, s.margin) == (2, 0, 1, 0.72, 0.81, 20, 0.05)
    assert s.format() == EXAMPLE
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
    assert EXAMPLE in str(info.value) and str(info.value).startswith("Skill-Eval-Summary")


def test_a_partial_holdout_result_is_refused_on_construction() -> None:
    with pytest.raises(TrailerError, match="needs all of"):
        EvalSummary(1, 0, 0, holdout_before=0.5)


numbers = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6), st.none() | st.tuples(numbers, numbers, st.integers(0, 10**6), numbers))
def test_format_then_parse_gives_the_same_summary(better: int, worse: int, tie: int, holdout) -> None:  # type: ignore[no-untyped-def]
    s = EvalSummary(better, worse, tie, *(holdout or (None, None, None, None)))
    assert EvalSummary.parse(s.format()) == s
