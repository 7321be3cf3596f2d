"""The per-case counts a gate decision rests on, as a block of the event's commit body.

    Eval counts per case, champion -> candidate (passes/runs; judge scores: sum/runs/sum of squares):
      train "basics" "easy": 7/8 -> 8/8
      train "basics" "medium": 2/8 -> 6/8
      holdout: 3/12 -> 9/12
      holdout: 28/4/196 -> 32.8/4/269.44
      dimension "security" min_blocker 4: 10 -> 3.2

Train cases are named (suite, then case id, as JSON strings): a proposer may see them anyway.
Holdout lines carry no id and are sorted, so nothing ties a count to a holdout case. A judged
holdout records each case's score sum, runs and sum of squared scores (0–10); the rubric
dimensions with a `min_blocker` record their mean scores. Numbers are written so that reading them
back gives exactly the numbers the gate decided on (`verify` recomputes the decision from them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from skillgit.errors import UsageError
from skillgit.evals.decision import CaseCounts, Dimension
from skillgit.evals.stats import Tally

HEADER = "Eval counts per case, champion -> candidate (passes/runs; judge scores: sum/runs/sum of squares):"
_STRING = r'"(?:[^"\\]|\\.)*"'
_NUMBER = r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?"
_TALLY = rf"{_NUMBER}/\d+(?:/{_NUMBER})?"
_TRAIN = re.compile(rf"train ({_STRING}) ({_STRING}): ({_TALLY}) -> ({_TALLY})")
_HOLDOUT = re.compile(rf"holdout: ({_TALLY}) -> ({_TALLY})")
_DIMENSION = re.compile(rf"dimension ({_STRING}) min_blocker ({_NUMBER}): ({_NUMBER}) -> ({_NUMBER})")


class CountsError(UsageError):
    """A counts block that cannot be read."""


@dataclass(frozen=True)
class Counts:
    cases: tuple[CaseCounts, ...]
    scored_holdout: bool
    dimensions: tuple[Dimension, ...] = ()


def plain(value: float) -> str:
    """A float written so that `float(text) == value` exactly (28.0 → 28, 0.1 → 0.1)."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _tally(tally: Tally, scored: bool) -> str:
    if scored:
        return f"{plain(tally.total)}/{tally.runs}/{plain(tally.squares)}"
    return f"{plain(tally.total)}/{tally.runs}"


def format_counts(counts: Counts) -> str:
    """The block (no trailing newline)."""
    lines = [HEADER]
    for c in counts.cases:
        if c.part == "train":
            lines.append(f"  train {json.dumps(c.group)} {json.dumps(c.case)}: "
                         f"{_tally(c.champion, False)} -> {_tally(c.candidate, False)}")
    holdout = sorted(f"  holdout: {_tally(c.champion, counts.scored_holdout)} -> {_tally(c.candidate, counts.scored_holdout)}"
                     for c in counts.cases if c.part == "holdout")
    lines += holdout
    lines += [f"  dimension {json.dumps(d.name)} min_blocker {plain(d.floor)}: {plain(d.champion)} -> {plain(d.candidate)}"
              for d in counts.dimensions]
    return "\n".join(lines)


def _read_tally(text: str, where: str) -> tuple[Tally, bool]:
    parts = text.split("/")
    total, runs = float(parts[0]), int(parts[1])
    if runs < 1 or total < 0:
        raise CountsError(f"{where}: `{text}` needs at least one run and a total ≥ 0.")
    if len(parts) == 3:
        return Tally(runs, total, float(parts[2])), True
    if total != int(total) or total > runs:
        raise CountsError(f"{where}: `{text}` is not passes/runs (whole passes, at most the runs).")
    return Tally(runs, total, total), False


def parse_counts(body: str, where: str = "the commit body") -> Counts | None:
    """The counts block of a commit body; None when there is none. CountsError for a block that
    cannot be read (the message names the line)."""
    lines = body.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == HEADER)
    except StopIteration:
        return None
    cases: list[CaseCounts] = []
    dimensions: list[Dimension] = []
    kinds: set[bool] = set()
    for number, raw in enumerate(lines[start + 1:], start + 2):
        line = raw.strip()
        if not line:
            break
        at = f"{where}, line {number}"
        if m := _TRAIN.fullmatch(line):
            (a, scored_a), (b, scored_b) = _read_tally(m.group(3), at), _read_tally(m.group(4), at)
            if scored_a or scored_b:
                raise CountsError(f"{at}: train counts are passes/runs, not scores.")
            cases.append(CaseCounts("train", json.loads(m.group(1)), json.loads(m.group(2)), a, b))
        elif m := _HOLDOUT.fullmatch(line):
            (a, scored_a), (b, scored_b) = _read_tally(m.group(1), at), _read_tally(m.group(2), at)
            kinds.update((scored_a, scored_b))
            cases.append(CaseCounts("holdout", "", "", a, b))
        elif m := _DIMENSION.fullmatch(line):
            dimensions.append(Dimension(json.loads(m.group(1)), float(m.group(2)), float(m.group(3)), float(m.group(4))))
        else:
            raise CountsError(f"{at}: `{line[:80]}` is not a count line (see docs/evals.md, the counts block).")
    if len(kinds) > 1:
        raise CountsError(f"{where}: the holdout mixes pass/fail counts and judge scores.")
    if not cases:
        raise CountsError(f"{where}: the counts block lists no case.")
    return Counts(tuple(cases), kinds == {True}, tuple(dimensions))


def counted(cases: Sequence[CaseCounts], scored_holdout: bool, dimensions: Sequence[Dimension] = ()) -> Counts:
    """The counts as the body will hold them, read back: exactly what `verify` will recompute from."""
    block = format_counts(Counts(tuple(cases), scored_holdout, tuple(dimensions)))
    parsed = parse_counts(block)
    assert parsed is not None
    return parsed
