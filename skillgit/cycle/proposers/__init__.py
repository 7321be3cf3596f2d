"""Proposers turn a decision and its evidence into a candidate SKILL.md.

A proposer is anything with `name` and `propose(request) -> Proposal`. The registry maps a name to
a factory; `cycle.proposer` / `--proposer` is `builtin`, `command:<CMD>`, or any other string,
which is taken as the command of an external proposer (an LLM CLI such as `claude -p`).

The request (`ProposalRequest.to_json`, what a command proposer reads on stdin) holds the skill
text, the diagnosis findings, the complaints, the metrics and the train cases — never anything
from the holdout (it is built from `skillgit.evals.gate.proposer_view`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from skillgit.cycle.proposers.protocol import (
    FROZEN_FIELDS,
    INSTRUCTIONS,
    PROTOCOL,
    ExternalProposer,
    Proposal,
    ProposalRequest,
    Proposer,
    ProposerFailed,
)

if TYPE_CHECKING:
    from skillgit.config import Config

def _builtin(spec: str, config: Config) -> Proposer:
    from skillgit.cycle.proposers.builtin import BuiltinProposer

    return BuiltinProposer()


def _command(spec: str, config: Config) -> Proposer:
    from skillgit.cycle.proposers.llm_cli import CommandProposer

    return CommandProposer(spec, float(config.cycle.proposer_timeout_seconds))


def _agent(spec: str, config: Config) -> Proposer:
    from skillgit.agents import agent_proposer

    return agent_proposer(spec, config)


PROPOSERS: dict[str, Callable[[str, Config], Proposer]] = {
    "builtin": _builtin,
    "command": _command,
    "claude-code": _agent,
    "codex": _agent,
}


def resolve_proposer(spec: str, config: Config) -> Proposer:
    """`builtin`, `command:<CMD>`, `<registered name>:<arg>`, or a bare command line."""
    from skillgit.errors import UsageError

    text = spec.strip()
    if not text:
        raise UsageError("the proposer is empty; use `builtin` or the command of an LLM CLI, e.g. `claude -p`.")
    if text in PROPOSERS and text != "command":
        return PROPOSERS[text](text, config)
    head, sep, rest = text.partition(":")
    if sep and head in PROPOSERS and rest.strip():
        return PROPOSERS[head](rest.strip(), config)
    return PROPOSERS["command"](text, config)


__all__ = [
    "FROZEN_FIELDS", "INSTRUCTIONS", "PROPOSERS", "PROTOCOL", "ExternalProposer", "Proposal", "ProposalRequest", "Proposer",
    "ProposerFailed", "resolve_proposer",
]
