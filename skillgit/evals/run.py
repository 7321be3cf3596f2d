"""`skillgit eval run`: run a skill's eval cases against one version (or a candidate file) with the runner.

The cases are HEAD's: train cases from `evals.yaml` are reported one by one; the sealed holdout (if
any) is run too but reported only as aggregate numbers (passed, score, min_pass), so its content
never lands in logs a proposer might read. Exit 0 when every train case passes and the holdout
score reaches min_pass; 1 otherwise; 2 without evals or runner; 3 on a seal mismatch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from skillgit.errors import EXIT_CHECK_FAILED, EXIT_OK, UsageError
from skillgit.evals.gate import DIGITS, SuiteRunner, resolve_runner, score
from skillgit.evals.material import SkillMaterial
from skillgit.evals.model import CaseResult

if TYPE_CHECKING:
    from skillgit.workspace import Workspace


@dataclass(frozen=True)
class HoldoutScore:
    n: int
    passed: int
    errors: int
    score: float
    min_pass: float
    judged: bool

    @property
    def ok(self) -> bool:
        return self.score >= self.min_pass - 1e-9

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, "passed": self.passed, "runner_errors": self.errors, "score": self.score,
                "min_pass": self.min_pass, "scale": "judge 0-10" if self.judged else "pass share 0-1", "ok": self.ok}


@dataclass(frozen=True)
class RunReport:
    skill: str
    target: str
    version: str
    train: tuple[CaseResult, ...]
    holdout: HoldoutScore | None

    @property
    def exit_code(self) -> int:
        ok = all(r.passed for r in self.train) and (self.holdout is None or self.holdout.ok)
        return EXIT_OK if ok else EXIT_CHECK_FAILED

    def to_json(self) -> dict[str, Any]:
        train = []
        for r in self.train:
            item: dict[str, Any] = {"case": r.case_id, "status": _status(r), "summary": r.summary()}
            if r.score is not None:
                item["score"] = round(r.score, DIGITS)
            train.append(item)
        return {"skill": self.skill, "target": self.target, "version": self.version, "train": train,
                "holdout": self.holdout.to_json() if self.holdout else None, "exit": self.exit_code}

    def lines(self) -> list[str]:
        out = [f"{self.skill} @ {self.target} (SKILL.md {self.version[:12]})"]
        out += [f"  {_status(r):<5} {r.summary()}" for r in self.train]
        passed = sum(r.passed for r in self.train)
        if self.train:
            out.append(f"train: {passed}/{len(self.train)} passed")
        if self.holdout is not None:
            h = self.holdout
            out.append(f"holdout: {h.passed}/{h.n} passed, score {h.score:g} "
                       f"({'judge 0-10' if h.judged else 'pass share'}), min_pass {h.min_pass:g}"
                       + ("" if h.ok else " — below min_pass") + (f", {h.errors} runner error(s)" if h.errors else ""))
        return out


def _status(result: CaseResult) -> str:
    return "error" if result.error else "pass" if result.passed else "fail"


def run_evals(
    ws: Workspace,
    name: str,
    *,
    version: str | None = None,
    candidate: bytes | None = None,
    candidate_name: str | None = None,
    runner: str | SuiteRunner | None = None,
) -> RunReport:
    """Run HEAD's eval cases of skill `name` against `version` (vN or a revision; default HEAD) or a
    candidate SKILL.md. Raises NoEvals/NoRunner (exit 2) and SealMismatch (exit 3)."""
    from skillgit.evals.graders import is_judged
    from skillgit.git import blob_id
    from skillgit.history import resolve_version

    if version is not None and candidate is not None:
        raise UsageError("pass either --version or --candidate, not both.")
    ws.require(name)
    with SkillMaterial(ws, name) as material:
        material.require_evals()
        run = resolve_runner(ws, ws.config, runner)
        if candidate is not None:
            skill_dir, blob, target = material.runner_dir(candidate), blob_id(candidate), candidate_name or "candidate"
            other = None
        elif version is not None:
            rev = resolve_version(ws, name, version)[0]
            other = SkillMaterial(ws, name, rev, evals=False)
            skill_dir, blob, target = other.runner_dir(), other.version, f"{version} ({rev[:12]})"
        else:
            skill_dir, blob, target, other = material.runner_dir(), material.version, "HEAD", None
        try:
            train = run(material.train, skill=name, version=blob, skill_dir=skill_dir, judge=material.judge(ws.config))
            holdout = None
            if material.holdout is not None and material.sealed is not None:
                judge = material.judge(ws.config, holdout=True)
                results = run(material.holdout, skill=name, version=blob, skill_dir=skill_dir, judge=judge)
                judged = bool(results) and all(is_judged(c, judge) for c in material.holdout)
                lock = material.sealed.lock
                min_pass = lock.min_pass if lock.min_pass is not None else float(ws.config.holdout.min_pass)
                holdout = HoldoutScore(len(results), sum(r.passed for r in results),
                                       sum(1 for r in results if r.error), score(results, judged), min_pass, judged)
        finally:
            if other is not None:
                other.cleanup()
    return RunReport(name, target, blob, tuple(train), holdout)
