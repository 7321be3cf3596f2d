"""Proposers turn a decision and its evidence into a candidate SKILL.md.

A proposer is anything with `name` and `propose(request) -> Proposal`. The registry maps a name to
a factory; `cycle.proposer` / `--proposer` is `builtin`, `command:<CMD>`, or any other string,
which is taken as the command of an external proposer (an LLM CLI such as `claude -p`).

The request (`ProposalRequest.to_json`, what a command proposer reads on stdin) holds the skill
text, the diagnosis findings, the complaints, the metrics and the train cases — never anything
from the holdout (it is built from `skillgit.evals.gate.proposer_view`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from skillgit.errors import CheckFailed

if TYPE_CHECKING:
    from pathlib import Path

    from skillgit.config import Config
    from skillgit.sandbox import Sandbox

PROTOCOL = "skillgit-proposal/1"
INSTRUCTIONS = (
    "You improve one agent skill. Read `skill_text` (the current SKILL.md), `findings` (problems seen in "
    "execution traces, with the failing and the working command) and `complaints`. Write the complete new "
    "SKILL.md to stdout and nothing else: no preamble, no code fence. Keep the frontmatter fields listed in "
    "`limits.frozen_fields` exactly as they are; add at most `limits.max_added` lines and remove at most "
    "`limits.max_removed`. Prefer a `## Pitfalls` entry quoting the failing and the working command, a "
    "verification step, or a missing procedure step. Do not write any file."
)
FROZEN_FIELDS = ("name", "description", "origin", "core")


class ProposerFailed(CheckFailed):
    """The proposer produced no usable candidate (timeout, crash, garbage, writes outside its skill). Exit 1."""


@dataclass(frozen=True)
class ProposalRequest:
    kind: str
    """`refine` or `create`."""
    skill: str
    path: str
    version: str | None
    skill_text: str
    trigger: str
    findings: tuple[Mapping[str, Any], ...] = ()
    complaints: tuple[Mapping[str, Any], ...] = ()
    metrics: Mapping[str, Any] = field(default_factory=dict)
    train_cases: tuple[Mapping[str, Any], ...] = ()
    files: tuple[str, ...] = ()
    max_added: int = 30
    max_removed: int = 15

    def to_json(self) -> dict[str, Any]:
        return {
            "protocol": PROTOCOL,
            "kind": self.kind,
            "skill": self.skill,
            "path": self.path,
            "version": self.version,
            "skill_text": self.skill_text,
            "trigger": self.trigger,
            "findings": [dict(f) for f in self.findings],
            "complaints": [dict(c) for c in self.complaints],
            "metrics": dict(self.metrics),
            "train_cases": [dict(c) for c in self.train_cases],
            "files": list(self.files),
            "limits": {"max_added": self.max_added, "max_removed": self.max_removed,
                       "frozen_fields": list(FROZEN_FIELDS)},
            "instructions": INSTRUCTIONS,
        }


@dataclass(frozen=True)
class Proposal:
    """A candidate SKILL.md (None: the proposer has nothing to change) and a one-line summary."""

    candidate: bytes | None
    summary: str


class Proposer(Protocol):
    name: str

    def propose(self, request: ProposalRequest) -> Proposal: ...


@runtime_checkable
class ExternalProposer(Protocol):
    """A proposer that starts an outside program (an LLM CLI). Before `propose`, the cycle sets
    `sandbox` (where the program must run: `run_command(..., sandbox=...)`) and `skill_dir` (the
    skill checked out from the commit, to copy as its working directory; None for a create)."""

    name: str
    sandbox: Sandbox | None
    skill_dir: Path | None

    def propose(self, request: ProposalRequest) -> Proposal: ...


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
