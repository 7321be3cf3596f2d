"""`skillgit eval power`: what a gate decision on a skill needs to detect an effect, and what it costs.

From the champion's pass rates seen so far (its runs in the run cache; 0.5, the least favourable,
for a case without runs) and a candidate assumed better by `effect` on every case (capped at 1):

- the **analysis**: runs per case (and cases, at the most runs per case the budget allows) for the
  confirming part's interval to clear the margin with the wanted power at the last look, with the
  champion as cached now and with the champion known exactly;
- a **simulation** of the gate's own procedure (`run_decision`, the same code as a real decision,
  with a runner that draws pass/fail from those rates in-process): how often it accepts, rejects or
  stops inconclusive, and the runs it makes — for the effect, and for no change at all; for the
  next decision (the champion's cache as it is now) and for a champion in use (its cache kept
  between decisions, as each decision adds to it). A champion measured from few runs gives the
  next decision less power than one measured well: `skillgit eval run NAME --trials 16` measures it.
"""

from __future__ import annotations

import math
import random
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from skillgit.evals.cache import CachedRun, RunCache
from skillgit.evals.decision import Design
from skillgit.evals.model import CaseResult, EvalCase, GradeResult
from skillgit.evals.stats import required_se
from skillgit.evals.trials import Part, Setup, Side, run_decision
from skillgit.jsontypes import JSONObject

if TYPE_CHECKING:
    from skillgit.evals.judge import Judge
    from skillgit.workspace import Workspace

PRIOR = 0.5
PARTS: tuple[Part, ...] = ("train", "holdout")
CHAMPION = "champion"
CANDIDATE = "candidate"


class SimulatedRunner:
    """A runner in-process: each run of a case passes with the rate given for its version and case.

    `rates[version][(part, case id)]`; a judged holdout gets the score 10 for a pass, 0 for a fail."""

    def __init__(self, rates: Mapping[str, Mapping[tuple[str, str], float]], setup: Setup,
                 seed: int | str | None = None) -> None:
        self.rates = rates
        self.rng = random.Random(seed)
        self.parts = {id(c): "holdout" for c in setup.holdout} | {id(c): "train" for c in setup.train}
        self.scored = setup.scored

    def __call__(self, cases: Sequence[EvalCase], *, skill: str, version: str, skill_dir: Path,
                 judge: Judge | None) -> list[CaseResult]:
        table = self.rates[version]
        out = []
        for case in cases:
            part = self.parts.get(id(case), "train")
            passed = self.rng.random() < table[(part, case.id)]
            if self.scored and part == "holdout":
                grade = GradeResult("judge", passed, score=10.0 if passed else 0.0, kind="judge")
                out.append(CaseResult(case.id, passed, (grade,), judged=True))
            else:
                out.append(CaseResult(case.id, passed))
        return out


@dataclass(frozen=True)
class Simulation:
    effect: float
    decisions: int
    accepted: int
    rejected: int
    inconclusive: int
    mean_runs: float
    p95_runs: int
    max_runs: int
    kept: bool = False

    def to_json(self) -> JSONObject:
        return {"effect": self.effect, "cache": "kept" if self.kept else "as now",
                "decisions": self.decisions, "accepted": self.accepted / self.decisions,
                "rejected": self.rejected / self.decisions, "inconclusive": self.inconclusive / self.decisions,
                "mean_runs": round(self.mean_runs, 1), "p95_runs": self.p95_runs, "max_runs": self.max_runs}

    def line(self) -> str:
        d = self.decisions
        when = ("in a row, the champion's cache kept between them" if self.kept
                else "each the next decision, the champion's cache as now")
        return (f"{d} decisions {when}, {'+' if self.effect >= 0 else ''}{self.effect:.2f}: "
                f"accepted {100 * self.accepted / d:.1f}%, "
                f"rejected {100 * self.rejected / d:.1f}%, inconclusive {100 * self.inconclusive / d:.1f}%; "
                f"runs mean {self.mean_runs:.0f}, 95th percentile {self.p95_runs}, max {self.max_runs}")


@dataclass(frozen=True)
class Need:
    """What the confirming part needs for the wanted power: runs per case, and cases at the most
    runs per case the design allows (None: not reachable)."""

    trials: int | None
    cases: int | None

    def to_json(self, n: int) -> JSONObject:
        return {"runs_per_case": self.trials, "candidate_runs": None if self.trials is None else self.trials * n,
                "cases": self.cases}


@dataclass(frozen=True)
class PowerReport:
    skill: str
    part: str
    cases: int
    unseen: int
    cached_runs: int
    effect: float
    power: float
    design: Design
    now: Need
    """With the champion's runs as cached now."""
    known: Need
    """With the champion known exactly (its cache full)."""
    simulations: tuple[Simulation, ...]

    def to_json(self) -> JSONObject:
        return {"skill": self.skill, "confirming": self.part, "cases": self.cases, "cases_without_runs": self.unseen,
                "cached_champion_runs": self.cached_runs, "effect": self.effect, "power": self.power,
                "design": self.design.to_json(), "needed_now": self.now.to_json(self.cases),
                "needed_champion_known": self.known.to_json(self.cases),
                "simulations": [s.to_json() for s in self.simulations]}

    def lines(self) -> list[str]:
        d = self.design
        seen = (f"champion rates from {self.cached_runs} cached run(s)" if self.cached_runs else "no cached champion runs")
        out = [f"{self.skill}: confirming on the {self.part} ({self.cases} cases); {seen}"
               + (f"; {self.unseen} case(s) without runs taken at 0.5" if self.unseen else ""),
               f"design: {d.trials} run(s) per case per round, at most {d.looks} looks, z {d.z:.2f} "
               f"(alpha {d.alpha:g} / {d.looks}), margin {d.margin * d.scale:g}, min_effect {d.min_effect:g}, "
               f"max_runs {d.max_runs}"]
        most = d.trials * d.looks
        for label, need in (("with the champion as cached now", self.now), ("with the champion known", self.known)):
            if need.trials is None:
                out.append(f"{label}: an effect of {self.effect:+.2f} does not clear the margin "
                           f"{d.margin * d.scale:g}; no number of runs detects it")
                continue
            fits = "within" if need.trials <= most else "beyond"
            cases = f", or {need.cases} case(s) at {most} runs each" if need.cases is not None else ""
            out.append(f"{label}: {need.trials} run(s) per case ({need.trials * self.cases} candidate runs) to detect "
                       f"{self.effect:+.2f} with {self.power:.0%} power, {fits} the {most} per case the design "
                       f"allows{cases}")
        out += [f"simulated: {s.line()}" for s in self.simulations]
        return out


def champion_rates(setup: Setup, version: str, cache: RunCache | None) -> tuple[dict[tuple[str, str], float], int, int]:
    """Per-case champion rates from the cache (`PRIOR` for a case without runs), runs found, cases unseen."""
    rates: dict[tuple[str, str], float] = {}
    found = unseen = 0
    for part in PARTS:
        for case in setup.cases(part):
            runs = cache.runs(version, case.id, setup.digests[(part, case.id)]) if cache and setup.digests else []
            if not runs:
                rates[(part, case.id)] = PRIOR
                unseen += 1
                continue
            scored = setup.scored and part == "holdout"
            values = [(r.score or 0.0) / 10.0 if scored else float(r.passed) for r in runs]
            rates[(part, case.id)] = sum(values) / len(values)
            found += len(runs)
    return rates, found, unseen


def analyse(design: Design, rates: Sequence[float], effect: float, power: float,
            champion: Sequence[int] | None = None) -> tuple[int | None, int | None]:
    """(runs per case, cases at the most runs per case) for the confirming part to clear the margin
    with `power` at the last look; (None, None) when no number of runs does.

    `champion` gives the champion's runs per case (it is topped up to at least the candidate's);
    None: a champion known exactly (its share of the uncertainty left out)."""
    target = required_se(effect - design.margin, design.z, power)
    if target <= 0 or not rates:
        return None, None
    n = len(rates)
    v0 = [p * (1 - p) for p in rates]
    v1 = [min(1.0, p + effect) * (1 - min(1.0, p + effect)) for p in rates]

    def se(k: int, cases: int = n) -> float:
        total = sum(b / k for b in v1)
        if champion is not None:
            total += sum(a / max(k, c) for a, c in zip(v0, champion))
        return math.sqrt(total * (n / cases)) / cases

    trials = next((k for k in range(1, 100_001) if se(k) <= target), None)
    most = design.trials * design.looks
    cases = next((m for m in range(1, 100_001) if se(most, m) <= target), None)
    return trials, cases


def simulate(design: Design, setup: Setup, rates: Mapping[tuple[str, str], float], effect: float, *,
             decisions: int, cached: Mapping[tuple[str, str], int], kept: bool, seed: int = 0) -> Simulation:
    """Run the gate's procedure `decisions` times in-process (see the module doc), the champion's
    cache starting with `cached` runs per case: reset before every decision (the next decision), or
    `kept` between them (the champion in use, its cache growing as decisions add to it)."""
    table = {CHAMPION: dict(rates), CANDIDATE: {k: min(1.0, max(0.0, p + effect)) for k, p in rates.items()}}
    runner = SimulatedRunner(table, setup, seed)
    digests = {key: f"simulated-{key[0]}-{key[1]}" for key in rates}
    sim_setup = Setup(setup.skill, setup.train, setup.holdout, None, None, setup.scored, digests)
    outcomes: dict[str, int] = {"accepted": 0, "rejected": 0, "inconclusive": 0}
    costs = []
    cache: RunCache | None = None
    with tempfile.TemporaryDirectory(prefix="skillgit-power-") as tmp:
        where = Path(tmp)
        try:
            for _ in range(decisions):
                if cache is None or not kept:
                    if cache is not None:
                        cache.close()
                    cache = _seeded(runner, table, setup, digests, cached)
                result = run_decision(design, sim_setup, runner, Side(CHAMPION, where), Side(CANDIDATE, where),
                                      budget=design.max_runs, cache=cache)
                outcomes[result.assessment.outcome] += 1
                costs.append(result.runs)
        finally:
            if cache is not None:
                cache.close()
    costs.sort()
    return Simulation(effect, decisions, outcomes["accepted"], outcomes["rejected"], outcomes["inconclusive"],
                      sum(costs) / len(costs), costs[max(0, math.ceil(0.95 * len(costs)) - 1)], costs[-1], kept)


def _seeded(runner: SimulatedRunner, table: Mapping[str, Mapping[tuple[str, str], float]], setup: Setup,
            digests: Mapping[tuple[str, str], str], cached: Mapping[tuple[str, str], int]) -> RunCache:
    """An in-memory cache holding `cached` simulated champion runs per case."""
    cache = RunCache(Path(":memory:"))
    for (part, case_id), count in cached.items():
        p = table[CHAMPION][(part, case_id)]
        runs = [runner.rng.random() < p for _ in range(count)]
        scored = setup.scored and part == "holdout"
        cache.add(CHAMPION, case_id, digests[(part, case_id)],
                  [CachedRun(r, 10.0 if r else 0.0) if scored else CachedRun(r) for r in runs], "simulated")
    return cache


def power_report(ws: Workspace, name: str, *, effect: float | None = None, power: float = 0.8,
                 runner: str | None = None, decisions: int = 300, seed: int = 0) -> PowerReport:
    """The analysis and the simulations for skill `name` at HEAD (see the module doc)."""
    from skillgit.errors import UsageError
    from skillgit.evals.gate import decision_setup
    from skillgit.evals.material import SkillMaterial

    if not 0.0 < power < 1.0:
        raise UsageError(f"--power {power:g}: give a probability between 0 and 1, e.g. 0.8.")
    if decisions < 1:
        raise UsageError(f"--decisions {decisions}: simulate at least one decision.")
    config = ws.config
    effect = float(config.eval.min_effect) if effect is None else effect
    command = runner if runner is not None else config.eval.runner
    key = None
    if isinstance(command, str) and command.strip():
        from skillgit.evals.cache import runner_identity

        key = runner_identity(ws.repo, command)
    ws.require(name)
    with SkillMaterial(ws, name) as material:
        material.require_evals()
        setup, design = decision_setup(ws, material, config, key, material.runner_dir())
        cache = RunCache.open(ws.repo) if setup.digests else None
        try:
            rates, found, unseen = champion_rates(setup, material.version, cache)
            cached: dict[tuple[str, str], int] = {}
            if cache is not None:
                for part in PARTS:
                    for case in setup.cases(part):
                        cached[(part, case.id)] = len(cache.runs(material.version, case.id, setup.digests[(part, case.id)]))
        finally:
            if cache is not None:
                cache.close()
    part = setup.confirming
    keys = [key for key in rates if key[0] == part]
    confirming = [rates[key] for key in keys]
    now = Need(*analyse(design, confirming, effect, power, [cached.get(key, 0) for key in keys]))
    known = Need(*analyse(design, confirming, effect, power))
    effects = sorted({effect, 0.0}, reverse=True)
    sims = tuple(simulate(design, setup, rates, e, decisions=decisions, cached=cached, kept=kept, seed=seed + 2 * i + kept)
                 for kept in (False, True) for i, e in enumerate(effects))
    return PowerReport(name, part, len(confirming), unseen, found, effect, power, design, now, known, sims)
