"""Runs the rule set over a Change. The same entry point serves commands, hooks and `verify`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from skillgit.policy.model import Change, Rule, Violation
from skillgit.policy.rules import RULES

if TYPE_CHECKING:
    from skillgit.config import Config


def check(change: Change, config: Config) -> list[Violation]:
    """Every violation of every enabled rule; agent-only rules run only on agent changes."""
    violations: list[Violation] = []
    for rule in _enabled(config, change.agent):
        found = rule.check(change, config)
        if found:
            violations.extend(v for v in found if v.check is None or rule.enabled(config, v.check))
    return violations


_ENABLED: dict[tuple[int, bool], tuple[Config, tuple[Rule, ...]]] = {}


def _enabled(config: Config, agent: bool) -> tuple[Rule, ...]:
    """The rules `config` leaves on for an agent's change or another's, in order (worked out once per config)."""
    found = _ENABLED.get((id(config), agent))
    if found is None or found[0] is not config:
        if len(_ENABLED) >= 16:
            _ENABLED.clear()
        rules = tuple(r for r in RULES.values() if r.enabled(config) and (agent or not r.agent_only))
        found = _ENABLED[(id(config), agent)] = (config, rules)
    return found[1]
