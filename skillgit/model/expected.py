"""`Skill-Expected`: a checkable prediction `<metric> <op> <number> within <N> <sessions|days>; else <fallback>`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from skillgit.errors import TrailerError

METRICS = ("uses", "wins", "win_rate", "failure_rate", "complaints", "score")
_GRAMMAR = re.compile(
    r"^\s*(?P<metric>[a-z_]+|pattern:[A-Za-z0-9_.:/-]+)\s*(?P<op>>=|<=|==|!=|>|<)\s*"
    r"(?P<number>-?\d+(?:\.\d+)?)\s+within\s+(?P<n>\d+)\s+(?P<unit>sessions?|days?)\s*;\s*else\s+(?P<fallback>\S.*)$",
    re.IGNORECASE,
)
EXAMPLE = "win_rate >= 0.6 within 5 sessions; else split the procedure into a helper script"


@dataclass(frozen=True)
class Expectation:
    metric: str
    op: str
    number: float
    horizon: int
    unit: str  # "sessions" | "days"
    fallback: str

    def holds(self, value: float) -> bool:
        return {
            ">=": value >= self.number,
            "<=": value <= self.number,
            "==": value == self.number,
            "!=": value != self.number,
            ">": value > self.number,
            "<": value < self.number,
        }[self.op]

    def __str__(self) -> str:
        number = f"{self.number:g}"
        return f"{self.metric} {self.op} {number} within {self.horizon} {self.unit}; else {self.fallback}"


def parse_expected(text: str) -> Expectation:
    """Parse a prediction or raise TrailerError saying what is missing, with an example."""
    match = _GRAMMAR.match(text)
    if not match:
        missing = []
        if not re.search(r"(>=|<=|==|!=|>|<)\s*-?\d", text):
            missing.append("a signal (`<metric> <op> <number>`)")
        if not re.search(r"\bwithin\s+\d+\s+(sessions?|days?)\b", text, re.IGNORECASE):
            missing.append("a horizon (`within <N> sessions|days`)")
        if not re.search(r";\s*else\s+\S", text, re.IGNORECASE):
            missing.append("a fallback (`; else <what to do>`)")
        what = ", ".join(missing) or "the form `<metric> <op> <number> within <N> <sessions|days>; else <fallback>`"
        raise TrailerError(f"Skill-Expected {text!r} is not a checkable prediction: it lacks {what}. Example: {EXAMPLE!r}.")
    metric = match.group("metric")
    if not metric.startswith("pattern:"):
        metric = metric.lower()
        if metric not in METRICS:
            raise TrailerError(
                f"Skill-Expected metric {metric!r} is unknown; use one of {', '.join(METRICS)} or pattern:<key>."
            )
    horizon = int(match.group("n"))
    if horizon < 1:
        raise TrailerError("Skill-Expected horizon must be at least 1 session or day.")
    unit = "sessions" if match.group("unit").lower().startswith("session") else "days"
    return Expectation(metric, match.group("op"), float(match.group("number")), horizon, unit, match.group("fallback").strip())
