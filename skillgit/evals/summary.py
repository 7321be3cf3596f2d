"""The `Skill-Eval-Summary` trailer value, in the gate's format and in the earlier single-run one.

The gate writes (`GateSummary`; the parts present are those the skill has):

    train ok n=6×8; holdout 0.58->0.81 +0.23 [+0.09,+0.37] n=10×12; runs 176

- `train ok|worse|open n=N×K`: the train guard's verdict (non-inferior / worse than tolerated /
  not settled) over N cases run K times each on the candidate. When the skill has no holdout the
  train cases confirm, and the part also carries figures: `train ok 0.50->0.70 +0.20 [...] n=6×8`.
- `holdout A->B +D [L,U] n=N×K`: champion and candidate score (0–1 pass share, or 0–10 judge
  score), their difference and the interval the decision used.
- `runs R`: the agent runs the decision made (champion runs served from the cache not counted).

The earlier format (`EvalSummary`, still read and accepted in history):

    train 2 better 0 worse 1 tie; holdout 0.72->0.81 n=20 margin 0.05

Parsing is case-insensitive and tolerant of extra blanks; `format()` writes the canonical form.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal

from skillgit.errors import TrailerError

KEY = "Skill-Eval-Summary"
EXAMPLE = "train ok n=6×8; holdout 0.58->0.81 +0.23 [+0.09,+0.37] n=10×12; runs 176"
LEGACY_EXAMPLE = "train 2 better 0 worse 1 tie; holdout 0.72->0.81 n=20 margin 0.05"
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
                raise TrailerError(f"{KEY}: train `{name}` must be a whole number ≥ 0, not {value!r}; e.g. `{LEGACY_EXAMPLE}`.")
        holdout = (self.holdout_before, self.holdout_after, self.holdout_n, self.margin)
        if any(v is not None for v in holdout) and any(v is None for v in holdout):
            raise TrailerError(f"{KEY}: a holdout result needs all of before->after, n and margin; e.g. `{LEGACY_EXAMPLE}`.")
        for value in (self.holdout_before, self.holdout_after, self.margin):
            if value is not None and (not math.isfinite(value) or value < 0):
                raise TrailerError(f"{KEY}: holdout numbers must be finite and ≥ 0, not {value!r}; e.g. `{LEGACY_EXAMPLE}`.")

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
            raise TrailerError(f"{KEY} is empty; write it as `{LEGACY_EXAMPLE}`.")
        train = _TRAIN.fullmatch(parts[0])
        if train is None:
            raise TrailerError(f"{KEY}: `{parts[0]}` is not `train B better W worse T tie`; write it as `{LEGACY_EXAMPLE}`.")
        better, worse, tie = (int(g) for g in train.groups())
        if len(parts) == 1:
            return cls(better, worse, tie)
        if len(parts) > 2:
            raise TrailerError(f"{KEY}: `{text.strip()}` has more than two `;`-separated parts; write it as `{LEGACY_EXAMPLE}`.")
        holdout = _HOLDOUT.fullmatch(parts[1])
        if holdout is None:
            raise TrailerError(
                f"{KEY}: `{parts[1]}` is not `holdout BEFORE->AFTER n=N margin M`; write it as `{LEGACY_EXAMPLE}`."
            )
        before, after, n, margin = holdout.groups()
        return cls(better, worse, tie, float(before), float(after), int(n), float(margin))


def _num(value: float | None) -> str:
    """A float written in plain decimal so that `float(text) == value` (0.72, 7.0 → 7, 1e-07 → 0.0000001)."""
    text = format(Decimal(repr(float(value or 0.0))), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


_SIGNED = r"[+-]\d+(?:\.\d+)?"
_SIZE = r"n\s*=\s*(\d+)\s*[×x]\s*(\d+)"
_FIGURES = rf"({_NUM})\s*->\s*({_NUM})\s+({_SIGNED})\s+\[\s*({_SIGNED})\s*,\s*({_SIGNED})\s*\]"
_GATE_TRAIN = re.compile(rf"train\s+(ok|worse|open)(?:\s+{_FIGURES})?\s+{_SIZE}", re.IGNORECASE)
_GATE_HOLDOUT = re.compile(rf"holdout\s+{_FIGURES}\s+{_SIZE}", re.IGNORECASE)
_GATE_RUNS = re.compile(r"runs\s+(\d+)", re.IGNORECASE)
TRAIN_STATES = {"pass": "ok", "fail": "worse", "open": "open"}


@dataclass(frozen=True)
class Figures:
    """Champion and candidate score, their difference and its interval, over n cases × trials."""

    before: float
    after: float
    delta: float
    low: float
    high: float
    n: int
    trials: int

    def format(self) -> str:
        return (f"{fixed(self.before)}->{fixed(self.after)} {signed(self.delta)} "
                f"[{signed(self.low)},{signed(self.high)}] n={self.n}×{self.trials}")


@dataclass(frozen=True)
class GateSummary:
    """The gate's summary: the train guard's state, figures for the part that confirms, the runs."""

    train: str | None
    """ok | worse | open, or None without train cases."""
    train_n: int | None
    train_trials: int | None
    train_figures: Figures | None
    """Only when the train cases confirm (no holdout)."""
    holdout: Figures | None
    runs: int

    def format(self) -> str:
        parts = []
        if self.train is not None:
            if self.train_figures is not None:
                parts.append(f"train {self.train} {self.train_figures.format()}")
            else:
                parts.append(f"train {self.train} n={self.train_n}×{self.train_trials}")
        if self.holdout is not None:
            parts.append(f"holdout {self.holdout.format()}")
        parts.append(f"runs {self.runs}")
        return "; ".join(parts)

    @property
    def confirming(self) -> Figures | None:
        return self.holdout or self.train_figures

    @classmethod
    def parse(cls, text: str) -> GateSummary:
        parts = [p.strip() for p in text.strip().split(";")]
        train = train_n = train_trials = None
        train_figures = holdout = None
        runs = None
        for part in parts:
            if (m := _GATE_TRAIN.fullmatch(part)) and train is None and holdout is None and runs is None:
                train = m.group(1).lower()
                train_figures = _figures(m.groups()[1:6], m.group(7), m.group(8)) if m.group(2) else None
                train_n, train_trials = int(m.group(7)), int(m.group(8))
            elif (m := _GATE_HOLDOUT.fullmatch(part)) and holdout is None and runs is None:
                holdout = _figures(m.groups()[:5], m.group(6), m.group(7))
            elif (m := _GATE_RUNS.fullmatch(part)) and runs is None:
                runs = int(m.group(1))
            else:
                raise TrailerError(f"{KEY}: `{part}` is not a part of the gate's summary; it reads `{EXAMPLE}`.")
        if runs is None or (train is None and holdout is None):
            raise TrailerError(f"{KEY}: `{text.strip()}` needs a train or holdout part and `runs R`; e.g. `{EXAMPLE}`.")
        if holdout is None and train_figures is None:
            raise TrailerError(f"{KEY}: without a holdout the train part carries the figures; e.g. "
                               "`train ok 0.50->0.70 +0.20 [+0.05,+0.35] n=6×8; runs 96`.")
        return cls(train, train_n, train_trials, train_figures, holdout, runs)


def _figures(values: tuple[str | None, ...], n: str, trials: str) -> Figures:
    before, after, delta, low, high = (float(v or 0) for v in values)
    return Figures(before, after, delta, low, high, int(n), int(trials))


def fixed(value: float) -> str:
    """A score as the summary writes it: two decimals."""
    return f"{value:.2f}"


def signed(value: float) -> str:
    """A difference as the summary writes it: sign and two decimals (never `-0.00`)."""
    text = f"{value:+.2f}"
    return "+0.00" if text == "-0.00" else text


def is_gate_summary(text: str) -> bool:
    """Whether `text` is in the gate's format (it ends with `runs R`), not the earlier one."""
    return bool(_GATE_RUNS.fullmatch(text.strip().split(";")[-1].strip()))


def parse_summary(text: str) -> EvalSummary | GateSummary:
    """Either format; TrailerError (exit 2) naming what is wrong."""
    return GateSummary.parse(text) if is_gate_summary(text) else EvalSummary.parse(text)
