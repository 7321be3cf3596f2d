"""Running a gate decision in rounds: repeated runs of each case on both versions, the champion's
from the run cache where it can, until the decision is clear, the looks run out or the budget does.

Each round, every case of a part that is still open runs `design.trials` more times on the
candidate. The champion is topped up to at least as many runs per case as the candidate (its
cached runs count), and in the first round the cases of the confirming part (the holdout, else the
train cases) also get `design.fresh` (half a round) fresh champion runs: a champion measured once
and reused for every candidate would carry that one sample's luck into every decision, so each
decision adds to it, and only its latest runs are served (`CACHE_DEPTH`), so old ones age out. A
round that does not fit in what is left of the budget drops those fresh runs, then shrinks to as
many runs per case as fit (a last round), and when not even one fits stops the decision
(inconclusive). Runs the runner failed on count as fails (score 0) and are not cached.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from skillgit.errors import UsageError
from skillgit.evals.cache import CachedRun, RunCache
from skillgit.evals.counts import Counts, counted
from skillgit.evals.decision import Assessment, CaseCounts, Design, assess, dimensions_from
from skillgit.evals.stats import Tally

if TYPE_CHECKING:
    from skillgit.evals.judge import Judge
    from skillgit.evals.model import CaseResult, EvalCase

Part = Literal["train", "holdout"]
CACHE_DEPTH = 10
"""A decision serves the champion at most this many times the most runs per case a candidate can
get (its latest runs): enough that its share of the uncertainty is small, few enough that old runs
age out as fresh ones come in (an agent's behaviour drifts with its model)."""
Progress = Callable[[int, int, int, Assessment], None]
"""Called after each round with (look, looks, runs so far, assessment)."""


class BudgetTooSmall(UsageError):
    """Not even one round of a decision fits in the budget (exit 2)."""


class SuiteRunner(Protocol):
    """Runs cases against one version of a skill and grades them (results in case order).

    A case may appear several times in `cases`: each occurrence is one run."""

    def __call__(
        self, cases: Sequence[EvalCase], *, skill: str, version: str, skill_dir: Path, judge: Judge | None
    ) -> list[CaseResult]: ...


@dataclass(frozen=True)
class Side:
    """One version in a decision: its SKILL.md blob id and a runner copy of its directory."""

    version: str
    skill_dir: Path


@dataclass(frozen=True)
class Setup:
    """What a decision runs: the cases of each part, their judges and cache keys."""

    skill: str
    train: tuple[EvalCase, ...]
    holdout: tuple[EvalCase, ...]
    train_judge: Judge | None
    holdout_judge: Judge | None
    scored: bool
    """The holdout is judged (0–10 scores) rather than pass/fail."""
    digests: dict[tuple[str, str], str] = field(default_factory=dict)
    """(part, case id) → cache digest; empty: the runner's runs are not cached (a Python callable)."""

    def cases(self, part: Part) -> tuple[EvalCase, ...]:
        return self.train if part == "train" else self.holdout

    def judge(self, part: Part) -> Judge | None:
        return self.train_judge if part == "train" else self.holdout_judge

    @property
    def confirming(self) -> Part:
        return "holdout" if self.holdout else "train"


@dataclass
class Decision:
    """The outcome of the rounds: the last assessment, the counts it rests on, what it cost."""

    assessment: Assessment
    counts: Counts
    runs: int
    cached: int
    looks: int
    stop: str | None
    """Why an inconclusive decision stopped (`budget`, `looks`); None when it was decided."""
    errors: int = 0
    candidate_runs: dict[tuple[Part, str], list[CachedRun]] = field(default_factory=dict)
    """The candidate's finished runs, per (part, case id): the gate caches them when it accepts."""


class _Book:
    """The tallies of both versions, and the judge's per-dimension sums for a judged holdout."""

    def __init__(self) -> None:
        self.champion: dict[tuple[Part, str], Tally] = {}
        self.candidate: dict[tuple[Part, str], Tally] = {}
        self.dims: dict[str, dict[str, list[float]]] = {"champion": {}, "candidate": {}}
        self.floors: dict[str, float] = {}

    def add(self, side: str, part: Part, case_id: str, value: float, dims: dict[str, float] | None) -> None:
        self.merge(side, part, case_id, Tally(1, value, value * value), [dims] if dims is not None else [])

    def merge(self, side: str, part: Part, case_id: str, tally: Tally, dims: list[dict[str, float]]) -> None:
        book = self.champion if side == "champion" else self.candidate
        book[(part, case_id)] = book.get((part, case_id), Tally()) + tally
        if part == "holdout":
            for run in dims:
                for name, score in run.items():
                    self.dims[side].setdefault(name, []).append(score)


def _value(result: CaseResult, scored: bool) -> float:
    if scored:
        return round(result.score or 0.0, 4)
    return 1.0 if result.passed else 0.0


def run_dimensions(case: EvalCase, result: CaseResult, judge: Judge | None, floors: dict[str, float]) -> dict[str, float]:
    """One run's score per rubric dimension (a failed judge counts 0; several judges of the case are
    averaged); fills `floors` with each dimension's strictest `min_blocker`."""
    from skillgit.evals.graders import case_graders
    from skillgit.evals.judge import JudgeGrader

    seen: dict[str, list[float]] = {}
    graders = [g for g in case_graders(case, judge) if isinstance(g, JudgeGrader)]
    grades = [r for r in result.results if r.kind == "judge"]
    for i, grader in enumerate(graders):
        grade = grades[i] if i < len(grades) else None
        for dim in grader.rubric.dimensions:
            value = grade.scores.get(dim.name, 0.0) if grade and grade.scores else 0.0
            seen.setdefault(dim.name, []).append(value)
            if dim.min_blocker is not None:
                floors[dim.name] = max(floors.get(dim.name, dim.min_blocker), dim.min_blocker)
    return {name: sum(values) / len(values) for name, values in seen.items()}


def run_decision(
    design: Design, setup: Setup, run: SuiteRunner, champion: Side, candidate: Side, *,
    budget: int, cache: RunCache | None = None, progress: Progress | None = None,
) -> Decision:
    """Run rounds until the decision is clear (see the module doc)."""
    book = _Book()
    parts: list[Part] = [p for p in ("train", "holdout") if setup.cases(p)]
    cached = _load_cache(book, setup, champion, cache, parts, CACHE_DEPTH * design.trials * design.looks)
    runs = errors = 0
    kept: dict[tuple[Part, str], list[CachedRun]] = {}
    open_parts = list(parts)
    stop: str | None = None
    assessment: Assessment | None = None
    counts: Counts | None = None
    looks = 0
    done = 0  # runs per case the candidate has had so far
    for look in range(1, design.looks + 1):
        step = design.trials
        open_cases = sum(len(setup.cases(p)) for p in open_parts)
        needs = _champion_needs(book, setup, open_parts, done + step, fresh=look == 1, fresh_runs=design.fresh)
        if runs + open_cases * step + sum(needs.values()) > budget:
            needs = _champion_needs(book, setup, open_parts, done + step, fresh=False, fresh_runs=0)
            if runs + open_cases * step + sum(needs.values()) > budget:
                if look == 1:
                    raise BudgetTooSmall(
                        f"a budget of {budget} agent runs does not fit the first round ({open_cases * step} candidate "
                        f"and {sum(needs.values())} champion runs); raise eval.max_runs (or eval.cycle_budget), "
                        "or lower eval.trials.")
                step, needs = _last_round(book, setup, open_parts, done, step, budget - runs)
                if step == 0:
                    stop = "budget"
                    break
        looks = look
        done += step
        for part in open_parts:
            made, failed = _run_side(run, setup, part, champion, book, "champion", needs, cache)
            runs, errors = runs + made, errors + failed
            wanted = {(part, c.id): step for c in setup.cases(part)}
            made, failed = _run_side(run, setup, part, candidate, book, "candidate", wanted, None, kept)
            runs, errors = runs + made, errors + failed
        counts = _counts(book, setup, parts)
        assessment = assess(design, counts.cases, scored_holdout=counts.scored_holdout, dimensions=counts.dimensions)
        if progress is not None:
            progress(look, design.looks, runs, assessment)
        if assessment.outcome != "inconclusive":
            break
        open_parts = [p.part for p in assessment.parts if p.verdict == "open"]
        if step < design.trials:
            stop = "budget"
            break
    else:
        stop = "looks"
    if assessment is None or counts is None:
        raise BudgetTooSmall(f"the design allows no round (eval.max_runs {design.max_runs}); raise eval.max_runs.")
    if assessment.outcome != "inconclusive":
        stop = None
    return Decision(assessment, counts, runs, cached, looks, stop, errors, kept)


def _last_round(book: _Book, setup: Setup, parts: list[Part], done: int, trials: int,
                left: int) -> tuple[int, dict[tuple[Part, str], int]]:
    """The most runs per case (fewer than `trials`) a last, smaller round can give the open cases within
    `left` runs, and the champion's needs for it; (0, {}) when not even one run per case fits. A
    smaller last round spends what a full one would leave unspent: its look is one of the design's."""
    cases = sum(len(setup.cases(p)) for p in parts)
    for step in range(trials - 1, 0, -1):
        needs = _champion_needs(book, setup, parts, done + step, fresh=False, fresh_runs=0)
        if cases * step + sum(needs.values()) <= left:
            return step, needs
    return 0, {}


def _load_cache(book: _Book, setup: Setup, champion: Side, cache: RunCache | None, parts: list[Part],
                latest: int) -> int:
    """Serve the champion's `latest` cached runs of every case; how many were served."""
    if cache is None or not setup.digests:
        return 0
    found = 0
    for part in parts:
        for case in setup.cases(part):
            key = (champion.version, case.id, setup.digests[(part, case.id)])
            scored = setup.scored and part == "holdout"
            runs, total, squares = cache.tally(*key, scored, latest)
            if runs:
                book.merge("champion", part, case.id, Tally(runs, total, squares),
                           cache.dimensions(*key, latest) if scored else [])
                found += runs
    return found


def _champion_needs(book: _Book, setup: Setup, parts: list[Part], trials: int, *, fresh: bool,
                    fresh_runs: int) -> dict[tuple[Part, str], int]:
    """Champion runs each case needs this round: up to the candidate's `trials`, plus fresh ones."""
    needs: dict[tuple[Part, str], int] = {}
    for part in parts:
        for case in setup.cases(part):
            have = book.champion.get((part, case.id), Tally()).runs
            target = max(trials, have + fresh_runs) if fresh and part == setup.confirming else trials
            needs[(part, case.id)] = max(0, target - have)
    return needs


def _run_side(run: SuiteRunner, setup: Setup, part: Part, side: Side, book: _Book, role: str,
              wanted: dict[tuple[Part, str], int], cache: RunCache | None,
              kept: dict[tuple[Part, str], list[CachedRun]] | None = None) -> tuple[int, int]:
    """Run a batch for one side (`wanted` runs per (part, case id)); champion runs go to `cache`,
    candidate runs to `kept`."""
    batch = [case for case in setup.cases(part) for _ in range(wanted.get((part, case.id), 0))]
    if not batch:
        return 0, 0
    judge = setup.judge(part)
    results = run(batch, skill=setup.skill, version=side.version, skill_dir=side.skill_dir, judge=judge)
    scored = setup.scored and part == "holdout"
    keep: dict[str, list[CachedRun]] = {}
    failed = 0
    for case, result in zip(batch, results):
        dims = run_dimensions(case, result, judge, book.floors) if scored else None
        book.add(role, part, case.id, _value(result, scored), dims)
        if result.error:
            failed += 1
        elif setup.digests and (cache is not None or kept is not None):
            keep.setdefault(case.id, []).append(CachedRun(result.passed, result.score, dims))
    if kept is not None:
        for case_id, items in keep.items():
            kept.setdefault((part, case_id), []).extend(items)
    if cache is not None:
        for case_id, items in keep.items():
            cache.add(side.version, case_id, setup.digests[(part, case_id)], items, "gate")
    return len(batch), failed


def _counts(book: _Book, setup: Setup, parts: list[Part]) -> Counts:
    cases = []
    for part in parts:
        for case in setup.cases(part):
            a = book.champion.get((part, case.id), Tally())
            b = book.candidate.get((part, case.id), Tally())
            if part == "train":
                cases.append(CaseCounts(part, case.suite or "", case.id, a, b))
            else:
                cases.append(CaseCounts(part, "", "", a, b))
    dims = []
    if setup.scored:
        means = {}
        for name in book.floors:
            old, new = book.dims["champion"].get(name, []), book.dims["candidate"].get(name, [])
            if new:
                means[name] = (round(sum(old) / len(old), 4) if old else 0.0, round(sum(new) / len(new), 4))
        dims = dimensions_from(means, book.floors)
    return counted(cases, setup.scored, dims)
