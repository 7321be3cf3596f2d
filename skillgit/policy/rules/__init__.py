"""The rule registry: id → rule object. Adding a rule is one module and one line here."""

from __future__ import annotations

from skillgit.policy.model import Rule
from skillgit.policy.rules.trailers import EventTrailers, ExpectedPrediction

RULES: dict[str, Rule] = {
    "SG001": EventTrailers(),
    "SG005": ExpectedPrediction(),
}
