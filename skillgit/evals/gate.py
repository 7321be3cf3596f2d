"""The eval gate (SPEC §7): may a candidate SKILL.md replace the current version (the champion)?

One function, `gate`, used by `promote`, `refine --gate` and the cycle:

1. **Seal.** A holdout must match its lock (else SealMismatch, exit 3, before anything runs).
2. **Train A/B.** Every `evals.yaml` case runs on the champion (HEAD) and on the challenger (the
   champion's directory with SKILL.md replaced). Per case: `better`, `tie` or `worse` — a case
   that passes beats one that fails; when both pass or both fail, a judge score (0–10) decides.
   Accept only with 0 worse and ≥ 1 better. A train rejection skips the holdout.
3. **Holdout bake-off** (when the skill has a holdout): score = share of passing cases (0–1), or
   the mean judge score (0–10) when every holdout case is judged. Accept only if challenger −
   champion ≥ margin and > 0 (the champion keeps ties), challenger ≥ min_pass, and no rubric
   dimension's mean challenger score is under its `min_blocker`. margin/min_pass come from the
   lock, else from `holdout.*` in skillgit.yaml. Scores are rounded to 4 decimals before the
   decision, so the numbers in `Skill-Eval-Summary` reproduce it exactly.

`proposer_view` is everything a proposer may read: the skill and its train cases, never the holdout.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from skillgit.errors import UsageError
from skillgit.evals.material import NoRunner, SkillMaterial
from skillgit.evals.model import CaseResult, EvalCase
from skillgit.evals.summary import EvalSummary

if TYPE_CHECKING:
    from skillgit.config import Config
    from skillgit.evals.judge import Judge
    from skillgit.sandbox import Sandbox
    from skillgit.workspace import Workspace

Verdict = Literal["better", "tie", "worse"]
EPSILON = 1e-9
DIGITS = 4


class SuiteRunner(Protocol):
    """Runs cases against one version of a skill and grades them (results in case order)."""

    def __call__(
        self, cases: Sequence[EvalCase], *, skill: str, version: str, skill_dir: Path, judge: Judge | None
    ) -> list[CaseResult]: ...


@dataclass(frozen=True)
class CommandRunner:
    """The `eval.runner` protocol (docs/evals.md): one command run per case, in `cwd`."""

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
                             sandbox=sandbox)
    return runner


@dataclass(frozen=True)
class CaseComparison:
    """One train case run on both versions."""

    case_id: str
    champion: CaseResult
    challenger: CaseResult
    verdict: Verdict

    def to_json(self) -> dict[str, Any]:
        return {"case": self.case_id, "verdict": self.verdict,
                "champion": _case_json(self.champion), "challenger": _case_json(self.challenger)}


def _case_json(result: CaseResult) -> dict[str, Any]:
    out: dict[str, Any] = {"passed": result.passed, "summary": result.summary()}
    if result.score is not None:
        out["score"] = round(result.score, DIGITS)
    return out


def compare(champion: CaseResult, challenger: CaseResult) -> Verdict:
    """better/tie/worse for the challenger: pass beats fail; between equals, the judge score decides."""
    if champion.passed != challenger.passed:
        return "better" if challenger.passed else "worse"
    if champion.score is not None and challenger.score is not None:
        delta = challenger.score - champion.score
        if delta > EPSILON:
            return "better"
        if delta < -EPSILON:
            return "worse"
    return "tie"


@dataclass(frozen=True)
class HoldoutResult:
    """The bake-off. Only aggregate numbers: per-case holdout detail is kept out of reports and commits."""

    n: int
    champion_score: float
    challenger_score: float
    margin: float
    min_pass: float
    judged: bool
    hash: str
    champion_passed: int
    challenger_passed: int
    errors: int
    blockers: tuple[str, ...] = ()
    per_dimension: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def delta(self) -> float:
        return round(self.challenger_score - self.champion_score, DIGITS)

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n, "champion": self.champion_score, "challenger": self.challenger_score, "delta": self.delta,
            "margin": self.margin, "min_pass": self.min_pass, "scale": "judge 0-10" if self.judged else "pass share 0-1",
            "hash": self.hash, "champion_passed": self.champion_passed, "challenger_passed": self.challenger_passed,
            "runner_errors": self.errors, "blockers": list(self.blockers),
            "per_dimension": {k: {"champion": a, "challenger": b} for k, (a, b) in self.per_dimension.items()},
        }


@dataclass(frozen=True)
class GateResult:
    accepted: bool
    summary: EvalSummary
    reason: str | None
    train: list[CaseComparison]
    holdout: HoldoutResult | None
    skill: str = ""
    champion: str = ""
    challenger: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "skill": self.skill, "accepted": self.accepted, "summary": self.summary.format(), "reason": self.reason,
            "champion": self.champion, "challenger": self.challenger,
            "train": [c.to_json() for c in self.train],
            "holdout": self.holdout.to_json() if self.holdout else None,
        }

    def proposer_feedback(self) -> dict[str, Any]:
        """What a proposer may learn from a gate run: train detail, and only the holdout's verdict."""
        out = self.to_json()
        if self.holdout is not None:
            out["holdout"] = {"n": self.holdout.n, "passed": self.accepted}
            out["summary"] = self.summary.format().split(";")[0]
            out["reason"] = None if self.accepted else "rejected by the sealed holdout"
        return out

    def lines(self) -> list[str]:
        """A human report: one line per train case, then the holdout and the decision."""
        out = [f"train {c.case_id}: {c.verdict} ({_word(c.champion)} -> {_word(c.challenger)})" for c in self.train]
        if self.holdout is not None:
            h = self.holdout
            out.append(f"holdout n={h.n}: {h.champion_score:g} -> {h.challenger_score:g} (delta {h.delta:+g}, "
                       f"margin {h.margin:g}, min_pass {h.min_pass:g}, {'judge 0-10' if h.judged else 'pass share'})")
        out.append(("accepted: " if self.accepted else "rejected: ") + (self.reason or self.summary.format()))
        return out


def _word(result: CaseResult) -> str:
    word = "error" if result.error else "pass" if result.passed else "fail"
    return f"{word} {result.score:.2f}" if result.score is not None else word


def gate(
    ws: Workspace,
    name: str,
    candidate: bytes,
    *,
    runner: str | SuiteRunner | None = None,
    config: Config | None = None,
) -> GateResult:
    """Run the gate for `candidate` (SKILL.md bytes) against skill `name` at HEAD.

    Raises NoEvals (exit 2) without evals.yaml and holdout, NoRunner (exit 2) without a runner,
    SealMismatch (exit 3) when the holdout does not match its lock. Nothing is committed here.
    """
    from skillgit.git import blob_id

    config = config or ws.config
    ws.require(name)
    with SkillMaterial(ws, name) as material:
        material.require_evals()
        run = resolve_runner(ws, config, runner)
        if candidate == material.checkout.path.joinpath("SKILL.md").read_bytes():
            raise UsageError(f"the candidate is identical to {ws.skill_dir(name)}/SKILL.md at HEAD; nothing to gate.")
        versions = (material.version, blob_id(candidate))
        dirs = (material.runner_dir(), material.runner_dir(candidate))

        def both(cases: list[EvalCase], judge: Judge) -> tuple[list[CaseResult], list[CaseResult]]:
            champion, challenger = (run(cases, skill=name, version=v, skill_dir=d, judge=judge)
                                    for v, d in zip(versions, dirs))
            return champion, challenger

        train: list[CaseComparison] = []
        if material.train:
            champ, chall = both(material.train, material.judge(config))
            train = [CaseComparison(c.id, a, b, compare(a, b)) for c, a, b in zip(material.train, champ, chall)]
        counts = {v: sum(1 for c in train if c.verdict == v) for v in ("better", "worse", "tie")}
        summary = EvalSummary(counts["better"], counts["worse"], counts["tie"])
        common = {"skill": name, "champion": versions[0], "challenger": versions[1]}
        if train and (counts["worse"] or not counts["better"]):
            worse = [c.case_id for c in train if c.verdict == "worse"]
            why = f"{counts['worse']} worse ({', '.join(worse[:5])})" if worse else "no case improved"
            reason = f"train {summary.format()[6:]}: {why}; the gate needs 0 worse and at least 1 better"
            return GateResult(False, summary, reason, train, None, **common)
        if material.holdout is None or material.sealed is None:
            return GateResult(True, summary, None, train, None, **common)
        lock = material.sealed.lock
        judge = material.judge(config, holdout=True)
        champ, chall = both(material.holdout, judge)
        margin = lock.margin if lock.margin is not None else float(config.holdout.margin)
        min_pass = lock.min_pass if lock.min_pass is not None else float(config.holdout.min_pass)
        result = bake_off(material.holdout, champ, chall, judge, margin=margin, min_pass=min_pass, hash=lock.hash)
        summary = EvalSummary(summary.better, summary.worse, summary.tie, result.champion_score,
                              result.challenger_score, result.n, margin)
        faults = holdout_faults(result)
        return GateResult(not faults, summary, "; ".join(faults) or None, train, result, **common)


def bake_off(
    cases: Sequence[EvalCase], champion: Sequence[CaseResult], challenger: Sequence[CaseResult], judge: Judge | None,
    *, margin: float, min_pass: float, hash: str,
) -> HoldoutResult:
    """Score both sides of a holdout run (see the module doc for the rules)."""
    from skillgit.evals.graders import is_judged

    judged = bool(cases) and all(is_judged(c, judge) for c in cases)
    dims_a, floors = dimension_means(cases, champion, judge)
    dims_b, _ = dimension_means(cases, challenger, judge)
    blockers = tuple(f"{d} {dims_b[d]:g} < min_blocker {f:g}" for d, f in sorted(floors.items())
                     if d in dims_b and dims_b[d] < f - EPSILON)
    return HoldoutResult(
        n=len(cases), champion_score=score(champion, judged), challenger_score=score(challenger, judged),
        margin=margin, min_pass=min_pass, judged=judged, hash=hash,
        champion_passed=sum(r.passed for r in champion), challenger_passed=sum(r.passed for r in challenger),
        errors=sum(1 for r in (*champion, *challenger) if r.error), blockers=blockers,
        per_dimension={d: (dims_a.get(d, 0.0), dims_b[d]) for d in sorted(dims_b)},
    )


def score(results: Sequence[CaseResult], judged: bool) -> float:
    """A version's score on a set of cases: mean judge score (0–10) when judged, else the pass share."""
    if not results:
        return 0.0
    if judged:
        return round(sum(r.score or 0.0 for r in results) / len(results), DIGITS)
    return round(sum(1 for r in results if r.passed) / len(results), DIGITS)


def dimension_means(
    cases: Sequence[EvalCase], results: Sequence[CaseResult], judge: Judge | None
) -> tuple[dict[str, float], dict[str, float]]:
    """Mean score per rubric dimension over the judged cases (a failed judge counts 0), and each
    dimension's `min_blocker` (the strictest one given by any rubric in play)."""
    from skillgit.evals.graders import case_graders
    from skillgit.evals.judge import JudgeGrader

    totals: dict[str, list[float]] = {}
    floors: dict[str, float] = {}
    for case, result in zip(cases, results):
        graders = [g for g in case_graders(case, judge) if isinstance(g, JudgeGrader)]
        grades = [r for r in result.results if r.kind == "judge"]
        for i, grader in enumerate(graders):
            grade = grades[i] if i < len(grades) else None
            for dim in grader.rubric.dimensions:
                value = grade.scores.get(dim.name, 0.0) if grade and grade.scores else 0.0
                totals.setdefault(dim.name, []).append(value)
                if dim.min_blocker is not None:
                    floors[dim.name] = max(floors.get(dim.name, dim.min_blocker), dim.min_blocker)
    return {d: round(sum(v) / len(v), DIGITS) for d, v in totals.items()}, floors


def holdout_faults(result: HoldoutResult) -> list[str]:
    """Why the bake-off rejects the challenger (empty: it wins)."""
    h = result
    figures = f"holdout {h.champion_score:g}->{h.challenger_score:g} n={h.n}"
    faults = []
    if abs(h.delta) <= EPSILON:
        faults.append(f"{figures}: a tie (delta 0); the champion keeps ties")
    elif h.delta < h.margin - EPSILON:
        faults.append(f"{figures}: delta {h.delta:+g} < margin {h.margin:g}")
    if h.challenger_score < h.min_pass - EPSILON:
        faults.append(f"challenger {h.challenger_score:g} < min_pass {h.min_pass:g}")
    if h.blockers:
        faults.append("under min_blocker: " + ", ".join(h.blockers))
    if faults and h.errors:
        faults.append(f"{h.errors} holdout run(s) failed in the runner")
    return faults


def proposer_view(ws: Workspace, name: str, rev: str = "HEAD") -> dict[str, Any]:
    """What a proposer may see of skill `name`: its SKILL.md, its file list and its train cases.

    Never anything from the holdout: not its cases, not its lock, not a per-case holdout result.
    """
    from skillgit.yamlio import load_yaml

    ws.require(name)
    with SkillMaterial(ws, name, rev, holdout=False) as material:
        root = material.checkout.path
        files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and not _hidden(p, root))
        cases: list[dict[str, Any]] = []
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
    plain: dict[str, Any] = json.loads(json.dumps(view, default=str))
    return plain


def _hidden(path: Path, root: Path) -> bool:
    """Holdout files (and anything named holdout* under evals/) never reach a proposer."""
    parts = path.relative_to(root).parts
    return len(parts) >= 2 and parts[0] == "evals" and parts[-1].lower().startswith("holdout")
