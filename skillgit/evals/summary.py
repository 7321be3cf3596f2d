"""The `Skill-Eval-Summary` trailer value: train A/B counts and, where a holdout exists, its bake-off.

Format (one line; the holdout part is present only when the skill has a holdout):

    train 2 better 0 worse 1 tie; holdout 0.72->0.81 n=20 margin 0.05

`train B better W worse T tie` counts train cases by A/B outcome (candidate vs champion);
`holdout C->D n=N margin M` is the champion's and the candidate's holdout score (0–1 share of
passing cases, or 0–10 judge score), the number of holdout cases and the margin the gate used.
Parsing is case-insensitive and tolerant of extra blanks; `format()` writes the canonical form.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal

from skillgit.errors import TrailerError

KEY = "Skill-Eval-Summary"
EXAMPLE = "train 2 better 0 worse 1 tie; holdout 0.72->0.81 n=20 margin 0.05"
_NUM = r"\d+(?:\.\d+)?"
_TRAIN = re.compile(r"train\s+(\d+)\s+better\s+(\d+)\s+worse\s+(\d+)\s+ties?", re.IGNORECASE)
_HOLDOUT = re.compile(
    rf"holdout\s+({_NUM})\s*->\s*({_NUM})\s+n\s*=\s*(\d+)\s+margin\s+({_NUM})", re.IGNORECASE
)


@dataclass(frozen=True)
class EvalSummary:
    """Train A/B counts and an optional holdout result (all four holdout fields or none)."""

    better: int
    worse: int
    tie: int
    holdout_before: float | None = None
    holdout_after: float | None = None
    holdout_n: int | None = None
    margin: float | None = None

    def __post_init__(self) -> None:
        for name in ("better", "worse", "tie"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise TrailerError(f"{KEY}: train `{name}` must be a whole number ≥ 0, not {value!r}; e.g. `{EXAMPLE}`.")
        holdout = (self.holdout_before, self.holdout_after, self.holdout_n, self.margin)
        if any(v is not None for v in holdout) and any(v is None for v in holdout):
            raise TrailerError(f"{KEY}: a holdout result needs all of before->after, n and margin; e.g. `{EXAMPLE}`.")
        for value in (self.holdout_before, self.holdout_after, self.margin):
            if value is not None and (not math.isfinite(value) or value < 0):
                raise TrailerError(f"{KEY}: holdout numbers must be finite and ≥ 0, not {value!r}; e.g. `{EXAMPLE}`.")

    @property
    def has_holdout(self) -> bool:
        return self.holdout_before is not None

    @property
    def holdout_delta(self) -> float | None:
        if self.holdout_before is None or self.holdout_after is None:
            return None
        return self.holdout_after - self.holdout_before

    def format(self) -> str:
        text = f"train {self.better} better {self.worse} worse {self.tie} tie"
        if self.has_holdout:
            text += (
                f"; holdout {_num(self.holdout_before)}->{_num(self.holdout_after)}"
                f" n={self.holdout_n} margin {_num(self.margin)}"
            )
        return text

    @classmethod
    def parse(cls, text: str) -> EvalSummary:
        """Read a trailer value; TrailerError (exit 2) saying which part is wrong, with the format."""
        parts = [p.strip() for p in text.strip().split(";")]
        if not parts or not parts[0]:
            raise TrailerError(f"{KEY} is empty; write it as `{EXAMPLE}`.")
        train = _TRAIN.fullmatch(parts[0])
        if train is None:
            raise TrailerError(f"{KEY}: `{parts[0]}` is not `train B better W worse T tie`; write it as `{EXAMPLE}`.")
        better, worse, tie = (int(g) for g in train.groups())
        if len(parts) == 1:
            return cls(better, worse, tie)
        if len(parts) > 2:
            raise TrailerError(f"{KEY}: `{text.strip()}` has more than two `;`-separated parts; write it as `{EXAMPLE}`.")
        holdout = _HOLDOUT.fullmatch(parts[1])
        if holdout is None:
            raise TrailerError(
                f"{KEY}: `{parts[1]}` is not `holdout BEFORE->AFTER n=N margin M`; write it as `{EXAMPLE}`."
            )
        before, after, n, margin = holdout.groups()
        return cls(better, worse, tie, float(before), float(after), int(n), float(margin))


def _num(value: float | None) -> str:
    """A float written in plain decimal so that `float(text) == value` (0.72, 7.0 → 7, 1e-07 → 0.0000001)."""
    text = format(Decimal(repr(float(value or 0.0))), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text
