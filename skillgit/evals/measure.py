"""`skillgit eval run`: run a skill's eval cases against one version (or a candidate file) with the runner.

The train cases are the work tree's `evals.yaml` (so cases can be tried before they are
committed; the report says when they differ from HEAD's), the holdout is HEAD's sealed one; the
gate reads committed cases only. Each case runs `--trials` times (default `eval.trials`): a train
case is reported with its pass rate and a 95% Wilson interval; the sealed holdout (if any) is run too but
reported only as aggregate numbers (runs passed, score with a 95% interval, min_pass), so its
content never lands in logs a proposer might read. The runs go into the run cache (they are a fair
sample of the version: nothing stopped them early), where the gate finds them when that version is
the champion.

Exit 0 when every train run passes and the holdout score reaches min_pass; 1 otherwise; 2 without
evals or runner; 3 on a seal mismatch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from skillgit.errors import EXIT_CHECK_FAILED, EXIT_OK, UsageError
from skillgit.evals.gate import DIGITS, JUDGE_SCALE, SuiteRunner, decision_setup, resolve_runner, runner_key
from skillgit.evals.material import SkillMaterial
from skillgit.evals.model import CaseResult, EvalCase
from skillgit.evals.stats import Tally, case_variance, wilson, z_upper
from skillgit.jsontypes import JSONObject

if TYPE_CHECKING:
    from pathlib import Path

    from skillgit.evals.cache import RunCache
    from skillgit.evals.trials import Setup
    from skillgit.workspace import Workspace

LEVEL = 0.95
RunProgress = Callable[[str, int, int], None]
"""Called as each batch finishes with (part, runs done, runs in all)."""


@dataclass(frozen=True)
class CaseRate:
    """One train case over its runs: passes, errors, the 95% Wilson interval, the first failure."""

    case_id: str
    passed: int
    runs: int
    errors: int
    detail: str

    @property
    def status(self) -> str:
        if self.errors == self.runs:
            return "error"
        return "pass" if self.passed == self.runs else "fail"

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.passed, self.runs, LEVEL)

    def line(self) -> str:
        lo, hi = self.interval
        text = f"{self.case_id}: {self.passed}/{self.runs} passed, rate {self.passed / self.runs:.2f} [{lo:.2f},{hi:.2f}]"
        return text + (f" ({self.detail})" if self.status != "pass" and self.detail else "")

    def to_json(self) -> JSONObject:
        lo, hi = self.interval
        return {"case": self.case_id, "status": self.status, "passed": self.passed, "runs": self.runs,
                "runner_errors": self.errors, "rate": round(self.passed / self.runs, DIGITS),
                "interval": [round(lo, DIGITS), round(hi, DIGITS)], "summary": self.detail}


@dataclass(frozen=True)
class HoldoutScore:
    n: int
    trials: int
    passed: int
    errors: int
    score: float
    low: float
    high: float
    min_pass: float
    judged: bool

    @property
    def ok(self) -> bool:
        return self.score >= self.min_pass - 1e-9

    def to_json(self) -> JSONObject:
        return {"n": self.n, "trials": self.trials, "passed": self.passed, "runs": self.n * self.trials,
                "runner_errors": self.errors, "score": self.score, "interval": [self.low, self.high],
                "min_pass": self.min_pass, "scale": "judge 0-10" if self.judged else "pass share 0-1", "ok": self.ok}


@dataclass(frozen=True)
class RunReport:
    skill: str
    target: str
    version: str
    trials: int
    train: tuple[CaseRate, ...]
    holdout: HoldoutScore | None
    evals_differ: bool = False
    """The train cases came from a work tree evals.yaml that differs from HEAD's."""

    @property
    def exit_code(self) -> int:
        ok = all(r.status == "pass" for r in self.train) and (self.holdout is None or self.holdout.ok)
        return EXIT_OK if ok else EXIT_CHECK_FAILED

    def to_json(self) -> JSONObject:
        return {"skill": self.skill, "target": self.target, "version": self.version, "trials": self.trials,
                "evals_differ_from_head": self.evals_differ, "train": [r.to_json() for r in self.train],
                "holdout": self.holdout.to_json() if self.holdout else None, "exit": self.exit_code}

    def lines(self) -> list[str]:
        out = [f"{self.skill} @ {self.target} (SKILL.md {self.version[:12]}), {self.trials} run(s) per case"]
        out += [f"  {r.status:<5} {r.line()}" for r in self.train]
        if self.train:
            runs = sum(r.runs for r in self.train)
            out.append(f"train: {sum(r.status == 'pass' for r in self.train)}/{len(self.train)} cases passed every run, "
                       f"{sum(r.passed for r in self.train)}/{runs} runs passed")
        if self.holdout is not None:
            h = self.holdout
            out.append(f"holdout: {h.passed}/{h.n * h.trials} runs passed, score {h.score:g} [{h.low:.2f},{h.high:.2f}] "
                       f"({'judge 0-10' if h.judged else 'pass share'}, {h.n} cases × {h.trials}), min_pass {h.min_pass:g}"
                       + ("" if h.ok else " — below min_pass") + (f", {h.errors} runner error(s)" if h.errors else ""))
        return out


def run_evals(
    ws: Workspace,
    name: str,
    *,
    version: str | None = None,
    candidate: bytes | None = None,
    candidate_name: str | None = None,
    runner: str | SuiteRunner | None = None,
    trials: int | None = None,
    progress: RunProgress | None = None,
) -> RunReport:
    """Run the work tree's eval cases (and HEAD's sealed holdout) of skill `name` `trials` times each against `version` (vN or a revision;
    default HEAD) or a candidate SKILL.md. Raises NoEvals/NoRunner (exit 2) and SealMismatch (exit 3)."""
    from skillgit.evals.cache import RunCache

    if version is not None and candidate is not None:
        raise UsageError("pass either --version or --candidate, not both.")
    count = int(trials if trials is not None else ws.config.eval.trials)
    if count < 1:
        raise UsageError(f"--trials {count}: run each case at least once.")
    ws.require(name)
    with SkillMaterial(ws, name, work_tree_evals=True) as material:
        material.require_evals()
        run = resolve_runner(ws, ws.config, runner)
        other, skill_dir, blob, target = _measured(ws, name, material, version, candidate, candidate_name)
        try:
            setup, design = decision_setup(ws, material, ws.config, runner_key(ws, run), skill_dir)
            cache = RunCache.open(ws.repo) if setup.digests else None
            try:
                def batch(part: str, cases: Sequence[EvalCase]) -> list[CaseResult]:
                    todo = [c for c in cases for _ in range(count)]
                    results = run(todo, skill=name, version=blob, skill_dir=skill_dir,
                                  judge=setup.judge("train" if part == "train" else "holdout"))
                    if progress is not None:
                        progress(part, len(results), len(todo))
                    _remember(cache, setup, part, blob, todo, results)
                    return results

                train = _rates(material.train, batch("train", material.train)) if material.train else ()
                holdout = None
                if setup.holdout:
                    results = batch("holdout", setup.holdout)
                    min_pass = design.min_pass * design.scale if design.min_pass is not None else 0.0
                    holdout = _holdout(setup, results, count, min_pass)
            finally:
                if cache is not None:
                    cache.close()
        finally:
            if other is not None:
                other.cleanup()
    return RunReport(name, target, blob, count, tuple(train), holdout, material.evals_differ)


def _measured(ws: Workspace, name: str, material: SkillMaterial, version: str | None, candidate: bytes | None,
              candidate_name: str | None) -> tuple[SkillMaterial | None, Path, str, str]:
    """What `run_evals` measures: (the other version's material to clean up, its runner directory, its blob
    id, how the report names it) for a candidate, a version, or HEAD."""
    from skillgit.git import blob_id
    from skillgit.history import resolve_version

    if candidate is not None:
        return None, material.runner_dir(candidate), blob_id(candidate), candidate_name or "candidate"
    if version is not None:
        rev = resolve_version(ws, name, version)[0]
        other = SkillMaterial(ws, name, rev, evals=False)
        return other, other.runner_dir(), other.version, f"{version} ({rev[:12]})"
    return None, material.runner_dir(), material.version, "HEAD"


def _remember(cache: RunCache | None, setup: Setup, part: str, version: str, cases: Sequence[EvalCase],
              results: Sequence[CaseResult]) -> None:
    from skillgit.evals.cache import CachedRun
    from skillgit.evals.trials import run_dimensions

    if cache is None:
        return
    scored = setup.scored and part == "holdout"
    judge = setup.judge("holdout" if part == "holdout" else "train")
    keep: dict[str, list[CachedRun]] = {}
    for case, result in zip(cases, results):
        if not result.error:
            dims = run_dimensions(case, result, judge, {}) if scored else None
            keep.setdefault(case.id, []).append(CachedRun(result.passed, result.score, dims))
    for case_id, items in keep.items():
        cache.add(version, case_id, setup.digests[(part, case_id)], items, "eval-run")


def _rates(cases: Sequence[EvalCase], results: Sequence[CaseResult]) -> tuple[CaseRate, ...]:
    per_case = len(results) // len(cases)
    out = []
    for i, case in enumerate(cases):
        mine = results[i * per_case:(i + 1) * per_case]
        failing = next((r for r in mine if not r.passed), None)
        detail = ""
        if failing is not None:
            detail = failing.error or "; ".join(f"{g.grader}: {g.error or g.detail}" for g in failing.failures)
        out.append(CaseRate(case.id, sum(r.passed for r in mine), len(mine), sum(1 for r in mine if r.error), detail))
    return tuple(out)


def _holdout(setup: Setup, results: Sequence[CaseResult], trials: int, min_pass: float) -> HoldoutScore:
    scale = JUDGE_SCALE if setup.scored else None
    tallies = []
    for i in range(len(setup.holdout)):
        tally = Tally()
        for r in results[i * trials:(i + 1) * trials]:
            tally = tally.add(round(r.score or 0.0, DIGITS) if scale else float(r.passed))
        tallies.append(tally)
    n = len(tallies)
    s = scale or 1.0
    mean = sum(t.mean for t in tallies) / (n * s)
    se = math.sqrt(sum(case_variance(t, scale) for t in tallies)) / n
    z = z_upper((1 - LEVEL) / 2)
    low, high = max(0.0, mean - z * se), min(1.0, mean + z * se)
    return HoldoutScore(n, trials, sum(1 for r in results if r.passed), sum(1 for r in results if r.error),
                        round(mean * s, DIGITS), round(low * s, DIGITS), round(high * s, DIGITS), min_pass, setup.scored)
