"""What a proposer is: the request it reads, the proposal it returns, and how it fails."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from skillgit.errors import CheckFailed
from skillgit.jsontypes import JSON, JSONObject

if TYPE_CHECKING:
    from pathlib import Path

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
    findings: tuple[Mapping[str, JSON], ...] = ()
    complaints: tuple[Mapping[str, JSON], ...] = ()
    metrics: Mapping[str, JSON] = field(default_factory=dict)
    train_cases: tuple[Mapping[str, JSON], ...] = ()
    files: tuple[str, ...] = ()
    max_added: int = 30
    max_removed: int = 15

    def to_json(self) -> JSONObject:
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
