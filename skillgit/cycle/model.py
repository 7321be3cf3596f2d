"""What a cycle is asked (`CycleOptions`) and what it did (`CycleResult`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from skillgit.jsontypes import JSONObject

if TYPE_CHECKING:
    from skillgit.cycle.decide import Decision
    from skillgit.cycle.gates import GateReport
    from skillgit.cycle.plan import Plan
    from skillgit.evals.gate import SuiteRunner
    from skillgit.evals.trials import Progress as GateProgress

Echo = Callable[[str], None]
MODES = ("ask", "auto", "disabled")


@dataclass(frozen=True)
class CycleOptions:
    dry_run: bool = False
    on_propose: str | None = None
    """ask | auto | disabled (default: `cycle.on_propose`)."""
    branch: str | None = None
    proposer: str | None = None
    """builtin | a command (default: `cycle.proposer`)."""
    runner: str | SuiteRunner | None = None
    """The eval runner for the gate (default: `eval.runner`)."""
    now: datetime | None = None
    confirm: Callable[[str], bool] | None = None
    """Asks Apply/Discard with the given report; None: no TTY (ask leaves a proposal branch)."""
    gate_progress: GateProgress | None = None
    """Called after each look of the eval gate (`skillgit.progress.gate_looks`); None: silent."""


@dataclass(frozen=True)
class CycleResult:
    status: str
    """skipped | committed | proposal-branch | patch | discarded | dry-run."""
    plan: Plan | None = None
    commit: str | None = None
    ref: str | None = None
    gates: GateReport | None = None
    decision: Decision | None = None
    lines: tuple[str, ...] = ()
    patch: str | None = None
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> JSONObject:
        return {
            "status": self.status, "commit": self.commit, "ref": self.ref, "patch": self.patch,
            "event": self.plan.kind if self.plan else None, "skill": self.plan.skill if self.plan else None,
            "decision": self.decision.action if self.decision else None,
            "trailers": dict(self.plan.all_trailers()) if self.plan else {},
            "gates": self.gates.to_json() if self.gates else None,
            "gate": self.plan.gate.to_json() if self.plan and self.plan.gate else None,
            "lines": list(self.lines),
        }
