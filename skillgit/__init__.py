"""skillgit: governed self-improvement of agent skills, with git history as the journal.

The library behind the `skillgit` command. Every name below is imported on first use, so
`import skillgit` stays cheap. Operations take a `Workspace` (a repository and its
`skillgit.yaml`), return typed results and raise `SkillgitError` subclasses whose message names the
place and the fix; nothing prints. docs/api.md is the reference.

    from pathlib import Path

    import skillgit

    ws = skillgit.Workspace.open("path/to/skills-repo")
    skillgit.init(ws)                                          # the `init` event
    done = skillgit.refine(ws, "release", expected="failure_rate <= 0.2 within 5 sessions; else split it")
    for event in skillgit.journal(ws, skill="release", limit=5):
        print(event.commit[:7], event.kind, event.skill)
    report = skillgit.verify(ws, "origin/main..HEAD")           # report.violations: tuple[Violation, ...]
    skillgit.ingest_paths(ws.repo, ws.config, [Path("traces/")])
    with skillgit.Ingested.open(ws) as ev:
        by_skill = skillgit.compute_metrics(ws, ev.summaries, ev.learnings)

Groups: the workspace and errors; the event operations (init, create, refine, retire, revive,
record, rollback, seal); the journal and versions; verify; ingest and metrics; the eval gate; the
cycle and watch.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

# name -> the module that defines it (imported on first use).
_EXPORTS: dict[str, str] = {
    # the workspace and errors
    "Workspace": "skillgit.workspace",
    "SkillgitError": "skillgit.errors",
    "UsageError": "skillgit.errors",
    "ConfigError": "skillgit.errors",
    "CheckFailed": "skillgit.errors",
    "SealMismatch": "skillgit.errors",
    "RepoStateError": "skillgit.errors",
    "GitError": "skillgit.errors",
    # the event operations: one commit each
    "Result": "skillgit.operations",
    "init": "skillgit.operations",
    "create": "skillgit.operations",
    "refine": "skillgit.operations",
    "retire": "skillgit.operations",
    "revive": "skillgit.operations",
    "record": "skillgit.operations",
    "rollback": "skillgit.operations",
    "seal": "skillgit.evals.holdout",
    # the journal and versions
    "Event": "skillgit.events",
    "journal": "skillgit.history",
    "Version": "skillgit.history",
    "versions": "skillgit.history",
    "all_versions": "skillgit.history",
    "resolve_version": "skillgit.history",
    # verify
    "verify": "skillgit.policy.verify",
    "Report": "skillgit.policy.verify",
    "Violation": "skillgit.policy.model",
    # ingest and metrics
    "ingest_paths": "skillgit.evidence.ingest",
    "IngestResult": "skillgit.evidence.ingest",
    "Ingested": "skillgit.evidence.ingested",
    "compute_metrics": "skillgit.evidence.metrics",
    "per_version": "skillgit.evidence.metrics",
    "Metrics": "skillgit.evidence.metrics",
    # the eval gate
    "run_evals": "skillgit.evals.measure",
    "RunReport": "skillgit.evals.measure",
    "gate": "skillgit.evals.gate",
    "GateResult": "skillgit.evals.gate",
    "gated_refine": "skillgit.evals.promote",
    "PromoteOutcome": "skillgit.evals.promote",
    # the cycle and watch
    "run_cycle": "skillgit.cycle.run",
    "CycleOptions": "skillgit.cycle.model",
    "CycleResult": "skillgit.cycle.model",
    "watch": "skillgit.cycle.watch",
    "roll_back": "skillgit.cycle.watch",
    "Comparison": "skillgit.cycle.watch",
}

__all__ = [
    "__version__",
    "Workspace",
    "SkillgitError",
    "UsageError",
    "ConfigError",
    "CheckFailed",
    "SealMismatch",
    "RepoStateError",
    "GitError",
    "Result",
    "init",
    "create",
    "refine",
    "retire",
    "revive",
    "record",
    "rollback",
    "seal",
    "Event",
    "journal",
    "Version",
    "versions",
    "all_versions",
    "resolve_version",
    "verify",
    "Report",
    "Violation",
    "ingest_paths",
    "IngestResult",
    "Ingested",
    "compute_metrics",
    "per_version",
    "Metrics",
    "run_evals",
    "RunReport",
    "gate",
    "GateResult",
    "gated_refine",
    "PromoteOutcome",
    "run_cycle",
    "CycleOptions",
    "CycleResult",
    "watch",
    "roll_back",
    "Comparison",
]

if TYPE_CHECKING:
    from skillgit.cycle.model import CycleOptions, CycleResult
    from skillgit.cycle.run import run_cycle
    from skillgit.cycle.watch import Comparison, roll_back, watch
    from skillgit.errors import CheckFailed, ConfigError, GitError, RepoStateError, SealMismatch, SkillgitError, UsageError
    from skillgit.evals.gate import GateResult, gate
    from skillgit.evals.holdout import seal
    from skillgit.evals.measure import RunReport, run_evals
    from skillgit.evals.promote import PromoteOutcome, gated_refine
    from skillgit.events import Event
    from skillgit.evidence.ingest import IngestResult, ingest_paths
    from skillgit.evidence.ingested import Ingested
    from skillgit.evidence.metrics import Metrics, compute_metrics, per_version
    from skillgit.history import Version, all_versions, journal, resolve_version, versions
    from skillgit.operations import Result, create, init, record, refine, retire, revive, rollback
    from skillgit.policy.model import Violation
    from skillgit.policy.verify import Report, verify
    from skillgit.version import __version__
    from skillgit.workspace import Workspace
else:

    def __getattr__(name: str) -> object:
        module = "skillgit.version" if name == "__version__" else _EXPORTS.get(name)
        if module is None:
            raise AttributeError(f"module 'skillgit' has no attribute {name!r}")
        value = getattr(import_module(module), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(globals()) | set(__all__))
