"""The eval gate (SPEC §7, docs/evals.md): may a candidate SKILL.md replace the current version (the champion)?

One function, `gate`, used by `promote`, `refine --gate` and the cycle:

1. **Seal.** A holdout must match its lock (else SealMismatch, exit 3, before anything runs).
2. **Rounds.** Every case runs `eval.trials` times per version per round; the champion's runs come
   from the run cache where they can (`skillgit.evals.trials`).
3. **The decision** after each round (`skillgit.evals.decision`): the holdout confirms (the lower
   end of the interval of candidate − champion above the lock's margin), the train cases guard (no
   worse than `eval.max_regression`); accepted, rejected, or inconclusive when `eval.max_runs` (or
   the budget given) or the last look comes first. Inconclusive is never accepted.

The result carries the `Skill-Eval-Summary` and the per-case counts the decision rests on, which
`promote` writes into the event so that `verify` can recompute it.

`proposer_view` is everything a proposer may read: the skill and its train cases, never the holdout.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from skillgit.errors import UsageError
from skillgit.evals.counts import Counts, format_counts
from skillgit.evals.decision import Assessment, Design, Outcome, design_from_config, summary_of
from skillgit.evals.material import NoRunner, SkillMaterial
from skillgit.evals.model import CaseResult, EvalCase
from skillgit.evals.summary import GateSummary
from skillgit.evals.trials import Progress, Setup, Side, SuiteRunner, run_decision
from skillgit.jsontypes import JSON, JSONObject

if TYPE_CHECKING:
    from skillgit.config import Config
    from skillgit.evals.judge import Judge
    from skillgit.sandbox import Sandbox
    from skillgit.workspace import Workspace

__all__ = ["CommandRunner", "GateResult", "SuiteRunner", "gate", "proposer_view", "resolve_runner"]

DIGITS = 4
JUDGE_SCALE = 10.0


@dataclass(frozen=True)
class CommandRunner:
    """The `eval.runner` protocol (docs/evals.md): one command run per case and run, in `cwd`."""

    command: str
    timeout: float
    cwd: Path | None = None
    jobs: int = 1
    sandbox: Sandbox | None = None

    def __call__(
        self, cases: Sequence[EvalCase], *, skill: str, version: str, skill_dir: Path, judge: Judge | None
    ) -> list[CaseResult]:
        from skillgit.evals.runner import run_suite

        return run_suite(self.command, cases, skill=skill, version=version, skill_dir=skill_dir,
                         timeout=self.timeout, judge=judge, cwd=self.cwd, jobs=self.jobs, sandbox=self.sandbox)


def resolve_runner(ws: Workspace, config: Config, runner: str | SuiteRunner | None) -> SuiteRunner:
    """`runner` as given, else `eval.runner` from the config; NoRunner (exit 2) when there is none."""
    if runner is None:
        runner = config.eval.runner
    if runner is None or (isinstance(runner, str) and not runner.strip()):
        raise NoRunner(
            "no eval runner: set `eval.runner` in skillgit.yaml to a command that runs one case and prints "
            "its trace (docs/evals.md, the runner protocol), or pass --runner CMD."
        )
    if isinstance(runner, str):
        from skillgit.agents import runner_command, sandbox_binds
        from skillgit.sandbox import for_workspace

        sandbox = for_workspace(ws).with_binds(sandbox_binds(runner))
        sandbox.require(f"the eval runner `{runner}`")
        return CommandRunner(runner_command(runner, config), float(config.eval.timeout_seconds), ws.repo.root,
                             int(config.eval.jobs), sandbox=sandbox)
    return runner


def runner_key(ws: Workspace, run: SuiteRunner) -> str | None:
    """What identifies the runner in the run cache; None: its runs are not cached (a Python callable
    without a `cache_identity` string)."""
    from skillgit.evals.cache import runner_identity

    if isinstance(run, CommandRunner):
        return runner_identity(ws.repo, run.command)
    identity = getattr(run, "cache_identity", None)
    return identity if isinstance(identity, str) else None


@dataclass(frozen=True)
class GateResult:
    """A decision: the outcome, its summary and reason, the counts it rests on and what it cost."""

    outcome: Outcome
    summary: GateSummary
    reason: str | None
    assessment: Assessment
    counts: Counts
    runs: int
    cached: int
    budget: int
    looks: int
    skill: str = ""
    champion: str = ""
    challenger: str = ""
    errors: int = 0

    @property
    def accepted(self) -> bool:
        return self.outcome == "accepted"

    @property
    def design(self) -> Design:
        return self.assessment.design

    def counts_block(self) -> str:
        """The body block `verify` recomputes the decision from (no holdout case id in it)."""
        return format_counts(self.counts)

    def to_json(self) -> JSONObject:
        a = self.assessment
        train: list[JSON] = [{"case": c.case, "suite": c.group, "champion": [c.champion.total, c.champion.runs],
                  "candidate": [c.candidate.total, c.candidate.runs]} for c in self.counts.cases if c.part == "train"]
        return {
            "skill": self.skill, "accepted": self.accepted, "outcome": self.outcome, "summary": self.summary.format(),
            "reason": self.reason, "champion": self.champion, "challenger": self.challenger,
            "train": {**a.train.to_json(), "cases": train} if a.train else None,
            "holdout": a.holdout.to_json() if a.holdout else None,
            "runs": self.runs, "cached_champion_runs": self.cached, "runner_errors": self.errors,
            "budget": self.budget, "looks": self.looks, "design": self.design.to_json(),
        }

    def proposer_feedback(self) -> JSONObject:
        """What a proposer may learn from a gate run: train detail, and only the holdout's verdict."""
        out = self.to_json()
        if self.assessment.holdout is not None:
            out["holdout"] = {"n": self.assessment.holdout.estimate.n, "passed": self.accepted}
            out["summary"] = "; ".join(p for p in self.summary.format().split("; ") if not p.startswith("holdout"))
            out["reason"] = None if self.accepted else "not accepted by the sealed holdout or the train guard"
        return out

    def lines(self) -> list[str]:
        """A human report: train cases one per line, each part's figures, the cost, the decision."""
        a, d = self.assessment, self.design
        out = [f"train {c.group + '/' if c.group else ''}{c.case}: {_rate(c.champion.total, c.champion.runs)} -> "
               f"{_rate(c.candidate.total, c.candidate.runs)}" for c in self.counts.cases if c.part == "train"]
        if a.train is not None:
            role = ("confirms: lower end above the margin" if a.train.confirms
                    else f"guard: no worse than -{d.max_regression:g}")
            out.append(f"train {a.train.figures()} ({role}): {a.train.verdict}")
        if a.holdout is not None:
            h = a.holdout
            floor = "" if d.min_pass is None else f", min_pass {d.min_pass * h.scale:g}"
            out.append(f"holdout {h.figures()} (margin {d.margin * h.scale:g}{floor}, min_effect "
                       f"{d.min_effect * h.scale:g}{', judge 0-10' if h.scale != 1 else ''}): {h.verdict}")
        out.append(f"runs {self.runs} (+{self.cached} champion runs from the cache), {self.looks} of at most "
                   f"{d.looks} looks, interval z {d.z:.2f} (alpha {d.alpha:g} / {d.looks})"
                   + (f", {self.errors} runner error(s)" if self.errors else ""))
        out.append(f"{self.outcome}: " + (self.reason or self.summary.format()))
        return out


def _rate(total: float, runs: int) -> str:
    return f"{total:g}/{runs}"


def gate(
    ws: Workspace,
    name: str,
    candidate: bytes,
    *,
    runner: str | SuiteRunner | None = None,
    config: Config | None = None,
    budget: int | None = None,
    progress: Progress | None = None,
) -> GateResult:
    """Run the gate for `candidate` (SKILL.md bytes) against skill `name` at HEAD.

    `budget` caps the agent runs below `eval.max_runs` (the cycle passes `eval.cycle_budget`).
    Raises NoEvals (exit 2) without evals.yaml and holdout, NoRunner (exit 2) without a runner,
    SealMismatch (exit 3) when the holdout does not match its lock. Nothing is committed here.
    """
    from skillgit.evals.cache import RunCache
    from skillgit.git import blob_id

    config = config or ws.config
    ws.require(name)
    with SkillMaterial(ws, name) as material:
        material.require_evals()
        run = resolve_runner(ws, config, runner)
        if candidate == material.checkout.path.joinpath("SKILL.md").read_bytes():
            raise UsageError(f"the candidate is identical to {ws.skill_dir(name)}/SKILL.md at HEAD; nothing to gate.")
        champion = Side(material.version, material.runner_dir())
        challenger = Side(blob_id(candidate), material.runner_dir(candidate))
        setup, design = decision_setup(ws, material, config, runner_key(ws, run), champion.skill_dir)
        limit = min(design.max_runs, budget) if budget is not None else design.max_runs
        cache = RunCache.open(ws.repo) if setup.digests else None
        try:
            decision = run_decision(design, setup, run, champion, challenger, budget=limit, cache=cache,
                                    progress=progress)
            if cache is not None and decision.assessment.outcome == "accepted":
                # The accepted candidate is the next champion: its runs are its first record.
                for (part, case_id), items in decision.candidate_runs.items():
                    cache.add(challenger.version, case_id, setup.digests[(part, case_id)], items, "accepted")
        finally:
            if cache is not None:
                cache.close()
    a = decision.assessment
    reason = None
    if a.outcome == "rejected":
        reason = "; ".join(a.reasons)
    elif a.outcome == "inconclusive":
        why = (f"the budget of {limit} agent runs" + (" (eval.max_runs)" if limit == design.max_runs else "")
               if decision.stop == "budget" else f"all {design.looks} looks")
        reason = f"inconclusive after {decision.runs} runs ({why}): {'; '.join(a.reasons)}; not accepted"
    return GateResult(a.outcome, summary_of(a, decision.runs), reason, a, decision.counts, decision.runs,
                      decision.cached, limit, decision.looks, name, champion.version, challenger.version,
                      decision.errors)


def decision_setup(ws: Workspace, material: SkillMaterial, config: Config, runner: str | None,
                   skill_dir: Path) -> tuple[Setup, Design]:
    """The cases, judges, cache keys and design of a decision about `material`'s skill."""
    from skillgit.evals.cache import case_digest, tree_digest
    from skillgit.evals.graders import is_judged

    train = tuple(material.train)
    holdout = tuple(material.holdout or ()) if material.sealed is not None else ()
    train_judge = material.judge(config)
    holdout_judge = material.judge(config, holdout=True) if holdout else None
    scored = bool(holdout) and all(is_judged(c, holdout_judge) for c in holdout)
    if holdout and material.sealed is not None:
        lock = material.sealed.lock
        margin = lock.margin if lock.margin is not None else float(config.holdout.margin)
        min_pass: float | None = lock.min_pass if lock.min_pass is not None else float(config.holdout.min_pass)
    else:
        margin, min_pass = float(config.holdout.margin), None
    design = design_from_config(config, cases=len(train) + len(holdout), confirming=len(holdout) or len(train),
                                margin=margin, min_pass=min_pass,
                                scale=JUDGE_SCALE if scored else 1.0)
    digests: dict[tuple[str, str], str] = {}
    if runner is not None:
        files = tree_digest(skill_dir)
        for part, cases, judge in (("train", train, train_judge), ("holdout", holdout, holdout_judge)):
            digests.update({(part, c.id): case_digest(c, runner=runner, judge=judge, skill_files=files) for c in cases})
    setup = Setup(material.name, train, holdout, train_judge, holdout_judge, scored, digests)
    return setup, design


class ProposerView(TypedDict):
    """`proposer_view`: the skill's SKILL.md, its files and its train cases (each with its suite)."""

    skill: str
    version: str
    path: str
    skill_md: str
    files: list[str]
    eval_file: str | None
    train_cases: list[JSONObject]


def proposer_view(ws: Workspace, name: str, rev: str = "HEAD") -> ProposerView:
    """What a proposer may see of skill `name`: its SKILL.md, its file list and its train cases.

    Never anything from the holdout: not its cases, not its lock, not a per-case holdout result.
    """
    from skillgit.yamlio import load_yaml

    ws.require(name)
    with SkillMaterial(ws, name, rev, holdout=False) as material:
        root = material.checkout.path
        files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and not _hidden(p, root))
        cases: list[JSONObject] = []
        evals_file = None
        if material.evals is not None:
            evals_file = f"{ws.skill_dir(name)}/evals/evals.yaml"
            raw = load_yaml(material.evals.path.read_text(encoding="utf-8-sig"), evals_file)
            for suite in raw.get("suites") or ():
                for case in suite.get("cases") or ():
                    cases.append({"suite": suite.get("name"), **case})
        view = {
            "skill": name, "version": material.version, "path": f"{ws.skill_dir(name)}/SKILL.md",
            "skill_md": (root / "SKILL.md").read_bytes().decode("utf-8", "replace"),
            "files": files, "eval_file": evals_file, "train_cases": cases,
        }
    plain: ProposerView = json.loads(json.dumps(view, default=str))
    return plain


def _hidden(path: Path, root: Path) -> bool:
    """Holdout files (and anything named holdout* under evals/) never reach a proposer."""
    parts = path.relative_to(root).parts
    return len(parts) >= 2 and parts[0] == "evals" and parts[-1].lower().startswith("holdout")
