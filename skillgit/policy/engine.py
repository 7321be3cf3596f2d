"""Runs the rule set over a Change. The same entry point serves commands, hooks and `verify`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from skillgit.config import Config, Section
from skillgit.policy.model import Change, Violation
from skillgit.policy.rules import RULES


def check(change: Change, config: Config) -> list[Violation]:
    """Every violation of every enabled rule; agent-only rules run only on agent changes."""
    disabled = set(config.policy.disabled)
    violations: list[Violation] = []
    for rule in RULES.values():
        if rule.id in disabled or (rule.agent_only and not change.agent):
            continue
        for violation in rule.check(change, config):
            if violation.check is None or f"{rule.id}/{violation.check}" not in disabled:
                violations.append(violation)
    return violations


class _Memo(Section):
    """A config section whose attribute reads are remembered (each `config.policy` is otherwise a
    new view over a copied mapping; the rules read thousands of keys in a `verify` run)."""

    def __getattr__(self, key: str) -> Any:
        value = super().__getattr__(key)
        if isinstance(value, Section):
            value = _Memo(value, f"{self._path}{key}.")
        self.__dict__[key] = value
        return value


class MemoConfig(Config, _Memo):
    """The same configuration, with `_Memo`'s remembered attribute reads."""


def memo_config(config: Config) -> Config:
    """`config` as a `MemoConfig` (same keys, values and source) for checking many changes."""
    if isinstance(config, MemoConfig):
        return config
    data: Mapping[str, Any] = config
    return MemoConfig(data, config.source)
