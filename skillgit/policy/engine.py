"""Runs the rule set over a Change. The same entry point serves commands, hooks and `verify`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from skillgit.policy.model import Change, Violation
from skillgit.policy.rules import RULES

if TYPE_CHECKING:
    from skillgit.config import Config


def check(change: Change, config: Config) -> list[Violation]:
    """Every violation of every enabled rule; agent-only rules run only on agent changes."""
    violations: list[Violation] = []
    for rule in RULES.values():
        if not rule.enabled(config) or (rule.agent_only and not change.agent):
            continue
        violations.extend(v for v in rule.check(change, config) if v.check is None or rule.enabled(config, v.check))
    return violations
