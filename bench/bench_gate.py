"""Accept rates and runs per decision of the eval gate with a stochastic agent, default config.

    python bench/bench_gate.py [--decisions 200] [--sets 6+10,20+30] [--seed 7] [--agent-seed N] [--out FILE]
    python bench/bench_gate.py --processes [--decisions 20] [--jobs 2]   # end to end, a process per run

The agent. Every case has a fixed `offset` (per mille, spread evenly over ±300 in each part, in an
order drawn from `--seed`, so that small and large case sets mix easy and hard cases alike). A run
of a case passes with probability (quality + offset) / 1000, capped to [0, 1], where the quality is
read from the SKILL.md the agent is given (`<!-- quality: 600 -->`). Only the case set is seeded:
the agent draws from the operating system's random source (`--agent-seed N` makes a run
repeatable).

Default mode: the agent is an object in this process (`Agent`) handed to the gate's own decision
procedure (`skillgit.evals.trials.run_decision` with the design `skillgit.evals.decision`
builds from the default config, and the run cache, in memory, per case set and worker): every round,
look, champion cache hit and stop is the gate's; what is left out is what surrounds a decision in
`skillgit promote` — loading the cases, starting a runner process per run (in the sandbox),
writing the commit. Those cost about 0.1 s a run, which for the table (2,000 decisions, about
300,000 runs) is hours; in process it is seconds.

`--processes`: the same agent as `bench_agent.sh` (a /bin/sh runner honouring the runner protocol,
drawing from /dev/urandom), each decision a real `skillgit promote bench --candidate FILE --json`
in a generated repository (a real git repo, `skillgit init`, one skill with train cases in two
suites and a sealed holdout); after it the repository is reset to the champion, keeping the run
cache (`.git/skillgit/`), as after a rejected proposal. With `--jobs N` each of N workers has its
own copy of the repository (so its own champion cache) and runs every N-th decision. Use it with
few decisions to check that the figures agree with the default mode.

In both modes decisions of all rows are interleaved, every decision is against the same champion
(quality 0.60) with its run cache kept, and runs per decision are the agent runs the decision made
(champion runs served from the cache are not counted).

Targets (docs/evals.md): with 6 train + 10 holdout cases, +0.25 accepted ≥ 95%, +0.15 ≥ 80%,
±0 ≤ 5%, −0.15 ≤ 1%, −0.30 0%; mean runs ≤ 150 for +0.25 and −0.30; no decision over
eval.max_runs (400); the 20 + 30 set does not accept a real improvement less often.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from skillgit.evals.model import CaseResult, EvalCase

CHAMPION = 600
EFFECTS = (250, 150, 0, -150, -300)
SPREAD = 300
EXPECTED = "win_rate >= 0.6 within 5 sessions; else revert the change"
AGENT = r"""#!/bin/sh
# The bench's stochastic agent: a run of a case passes with probability (quality + offset) / 1000,
# quality from the SKILL.md it is given, offset from the case; the draw comes from /dev/urandom.
req=$(cat)
dir=${req#*\"skill_dir\": \"}
dir=${dir%%\"*}
off=${req#*\"offset\": }
off=${off%%[,\}]*}
q=0
while IFS= read -r line; do
  case $line in *"quality: "*) q=${line#*quality: }; q=${q%% *};; esac
done < "$dir/SKILL.md"
r=$(od -An -N4 -tu4 /dev/urandom)
if [ $((r % 1000)) -lt $((q + off)) ]; then o=success; else o=failure; fi
printf '{"id": "bench-run", "outcome": "%s", "final_message": "%s"}\n' "$o" "$o"
"""
SKILL = """---
name: bench
description: A skill whose quality the bench sets; the bench's agent reads it from the marker below.
---

# bench

Follow the procedure.

<!-- quality: {quality} -->
"""


@dataclass(frozen=True)
class CaseSet:
    train: int
    holdout: int

    @property
    def label(self) -> str:
        return f"{self.train}+{self.holdout}"

    @classmethod
    def parse(cls, text: str) -> CaseSet:
        a, b = text.split("+")
        return cls(int(a), int(b))


def offsets(case_set: CaseSet, seed: int) -> tuple[list[int], list[int]]:
    """Per-case offsets (per mille): evenly spread over ±SPREAD in each part, in a seeded order, so
    that case sets of different sizes have the same mix of easy and hard cases."""
    rng = random.Random(f"{seed}-{case_set.label}")

    def spread(n: int) -> list[int]:
        values = [round(-SPREAD + 2 * SPREAD * (i + 0.5) / n) for i in range(n)]
        rng.shuffle(values)
        return values

    return spread(case_set.train), spread(case_set.holdout)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def skillgit(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "skillgit", "-C", str(repo), *args], capture_output=True, text=True,
                            check=False)
    if check and result.returncode != 0:
        raise RuntimeError(f"skillgit {' '.join(args)} exited {result.returncode}: {result.stderr}{result.stdout}")
    return result


def build(repo: Path, case_set: CaseSet, seed: int) -> None:
    """The bench repository: skill `bench` with its evals and a sealed holdout, and the agent."""
    train, holdout = offsets(case_set, seed)
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "skillgit.yaml").write_text("version: 1\neval:\n  runner: sh bench_agent.sh\n")
    (repo / "bench_agent.sh").write_text(AGENT)
    evals = repo / "skills" / "bench" / "evals"
    evals.mkdir(parents=True)
    (repo / "skills" / "bench" / "SKILL.md").write_text(SKILL.format(quality=CHAMPION))
    lines = ["version: 1", "suites:"]
    for suite in ("first", "second"):
        lines += [f"  - name: {suite}", "    cases:"]
        for i, offset in enumerate(train):
            if (i % 2 == 0) == (suite == "first"):
                lines += [f"      - id: t{i + 1}", f"        prompt: Train task {i + 1}.", f"        offset: {offset}",
                          "        graders: [{type: outcome, expect: success}]"]
    (evals / "evals.yaml").write_text("\n".join(lines) + "\n")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=Bench", "-c", "user.email=bench@example.com", "commit", "-q", "-m", "The bench skill")
    skillgit(repo, "init")
    cases = [json.dumps({"id": f"h{i + 1}", "prompt": f"Holdout task {i + 1}.", "offset": offset,
                         "graders": [{"type": "outcome", "expect": "success"}]}) for i, offset in enumerate(holdout)]
    (evals / "holdout.jsonl").write_text("\n".join(cases) + "\n")
    skillgit(repo, "holdout", "seal", "bench")


@dataclass(frozen=True)
class Result:
    case_set: str
    effect: int
    outcome: str
    runs: int
    cached: int
    seconds: float


def decide(repo: Path, base: str, candidate: Path, case_set: str, effect: int) -> Result:
    started = time.perf_counter()
    out = skillgit(repo, "promote", "bench", "--candidate", str(candidate), "--expected", EXPECTED, "--json", check=False)
    seconds = time.perf_counter() - started
    if out.returncode not in (0, 1):
        raise RuntimeError(f"promote exited {out.returncode}: {out.stderr}")
    data = json.loads(out.stdout)
    if data["runner_errors"]:
        raise RuntimeError(f"{data['runner_errors']} run(s) failed in the runner; the figures would be wrong: "
                           f"{data['reason']}")
    git(repo, "reset", "-q", "--hard", base)
    return Result(case_set, effect, data["outcome"], data["runs"], data["cached_champion_runs"], seconds)


def worker(repo: Path, plan: Sequence[tuple[str, int]], progress: list[int]) -> list[Result]:
    base = git(repo, "rev-parse", "HEAD").strip()
    candidates = {}
    for effect in {e for _, e in plan}:
        path = repo.parent / f"{repo.name}-candidate-{effect}.md"
        # The wording changes with every candidate; only the quality marker changes what the agent does.
        path.write_text(SKILL.format(quality=CHAMPION + effect).replace("Follow the procedure.",
                                                                        f"Follow the procedure (variant {effect:+d})."))
        candidates[effect] = path
    out = []
    for case_set, effect in plan:
        out.append(decide(repo, base, candidates[effect], case_set, effect))
        progress[0] += 1
        if sys.stderr.isatty():
            print(f"\r{progress[0]} decisions", end="", file=sys.stderr, flush=True)
    return out


def real(args: argparse.Namespace, case_sets: list[CaseSet]) -> list[Result]:
    root = Path(tempfile.mkdtemp(prefix="bench-gate-"))
    try:
        plan = [(s.label, e) for s in case_sets for e in args.effects for _ in range(args.decisions)]
        random.Random(args.seed).shuffle(plan)
        jobs: list[tuple[Path, list[tuple[str, int]]]] = []
        for s in case_sets:
            template = root / f"template-{s.label}"
            build(template, s, args.seed)
            mine = [p for p in plan if p[0] == s.label]
            for j in range(args.jobs):
                repo = root / f"repo-{s.label}-{j}"
                shutil.copytree(template, repo, symlinks=True)
                jobs.append((repo, mine[j::args.jobs]))
        # Interleave the case sets over the workers: each worker thread drives its repositories in turn.
        progress = [0]
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            groups = [jobs[i::args.jobs] for i in range(args.jobs)]
            futures = [pool.submit(lambda g: [r for repo, p in g for r in worker(repo, p, progress)], g) for g in groups]
            results = [r for f in futures for r in f.result()]
        if sys.stderr.isatty():
            print(file=sys.stderr)
        return results
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"repositories kept in {root}", file=sys.stderr)


class Agent:
    """The bench's agent in process, as a gate runner: a run of a case passes with probability
    (quality + offset) / 1000, the quality read from the SKILL.md it is given, the offset the case's."""

    def __init__(self, offsets: dict[str, int], rng: random.Random) -> None:
        self.offsets = offsets
        self.rng = rng

    def __call__(self, cases: Sequence[EvalCase], *, skill: str, version: str, skill_dir: Path,
                 judge: object) -> list[CaseResult]:
        text = (skill_dir / "SKILL.md").read_text(encoding="utf-8")
        quality = int(text.split("<!-- quality: ", 1)[1].split(" ", 1)[0])
        out = []
        for case in cases:
            passed = self.rng.randrange(1000) < quality + self.offsets[case.prompt]
            out.append(CaseResult(case.id, passed))
        return out


def inproc(args: argparse.Namespace, case_sets: list[CaseSet]) -> list[Result]:
    """Every decision through the gate's decision procedure with the in-process agent."""
    from skillgit.config import Config
    from skillgit.evals.cache import RunCache
    from skillgit.evals.decision import design_from_config
    from skillgit.evals.trials import Setup, Side, run_decision

    config = Config.defaults()
    rng = random.Random(args.agent_seed) if args.agent_seed is not None else random.SystemRandom()
    out = []
    with tempfile.TemporaryDirectory(prefix="bench-gate-") as tmp:
        root = Path(tmp)
        sides = {}
        for effect in (0, *args.effects):
            folder = root / f"quality-{CHAMPION + effect}"
            folder.mkdir(exist_ok=True)
            (folder / "SKILL.md").write_text(SKILL.format(quality=CHAMPION + effect), encoding="utf-8")
            sides[effect] = Side(f"version-{CHAMPION + effect}", folder)
        for s in case_sets:
            train_off, holdout_off = offsets(s, args.seed)
            # A case's prompt keys its offset (a train and a holdout case may share an id).
            train = tuple(EvalCase(f"t{i + 1}", f"train {i + 1}", (), "first" if i % 2 == 0 else "second", "")
                          for i in range(s.train))
            holdout = tuple(EvalCase(f"h{i + 1}", f"holdout {i + 1}", (), None, "") for i in range(s.holdout))
            agent = Agent({c.prompt or "": o for c, o in zip(train + holdout, train_off + holdout_off)}, rng)
            digests = {("train", c.id): f"train-{c.id}" for c in train} | {("holdout", c.id): f"holdout-{c.id}"
                                                                           for c in holdout}
            setup = Setup("bench", train, holdout, None, None, False, digests)
            design = design_from_config(config, cases=s.train + s.holdout, confirming=s.holdout,
                                        margin=float(config.holdout.margin), min_pass=float(config.holdout.min_pass))
            plan = [e for e in args.effects for _ in range(args.decisions)]
            random.Random(f"{args.seed}-{s.label}").shuffle(plan)
            for job in range(args.jobs):
                cache = RunCache(Path(":memory:"))  # the gate's SQLite cache, kept off the shared disk
                for effect in plan[job::args.jobs]:
                    started = time.perf_counter()
                    decision = run_decision(design, setup, agent, sides[0], sides[effect], budget=design.max_runs,
                                            cache=cache)
                    out.append(Result(s.label, effect, decision.assessment.outcome, decision.runs, decision.cached,
                                      time.perf_counter() - started))
                cache.close()
    return out


def percentile(values: Sequence[int], q: float) -> int:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def table(results: Sequence[Result], case_sets: list[CaseSet], effects: Sequence[int]) -> list[str]:
    lines = ["| cases | candidate | effect | decisions | accepted | rejected | inconclusive | runs mean | runs p95 | runs max |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for s in case_sets:
        for effect in effects:
            rows = [r for r in results if r.case_set == s.label and r.effect == effect]
            if not rows:
                continue
            n = len(rows)
            share = {k: sum(r.outcome == k for r in rows) / n for k in ("accepted", "rejected", "inconclusive")}
            runs = [r.runs for r in rows]
            lines.append(f"| {s.train} train + {s.holdout} holdout | {(CHAMPION + effect) / 1000:.2f} | "
                         f"{effect / 1000:+.2f} | {n} | {100 * share['accepted']:.1f}% | {100 * share['rejected']:.1f}% | "
                         f"{100 * share['inconclusive']:.1f}% | {sum(runs) / n:.0f} | {percentile(runs, 0.95)} | {max(runs)} |")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--decisions", type=int, default=200, help="decisions per row (default 200)")
    parser.add_argument("--jobs", type=int, default=2,
                        help="workers, each with its own champion cache (default 2; with --processes, in parallel)")
    parser.add_argument("--sets", default="6+10,20+30", help="case sets, train+holdout (default 6+10,20+30)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the case offsets (default 7)")
    parser.add_argument("--effects", default=",".join(str(e) for e in EFFECTS),
                        help="the rows: candidate minus champion quality, per mille (default 250,150,0,-150,-300)")
    parser.add_argument("--agent-seed", type=int, help="seed the agent's draws (default: the OS's random source)")
    parser.add_argument("--processes", action="store_true",
                        help="each decision a `skillgit promote`, a runner process per run (slow: ~0.1 s a run)")
    parser.add_argument("--keep", action="store_true", help="keep the generated repositories")
    parser.add_argument("--out", type=Path, help="also write the results as JSON lines here")
    args = parser.parse_args(argv)
    case_sets = [CaseSet.parse(t) for t in args.sets.split(",")]
    args.effects = tuple(int(e) for e in args.effects.split(","))
    started = time.perf_counter()
    results = real(args, case_sets) if args.processes else inproc(args, case_sets)
    elapsed = time.perf_counter() - started
    mode = ("skillgit promote, one runner process per run" if args.processes
            else "the gate's decision procedure, the agent in process")
    print(f"eval gate bench: {mode}; champion quality {CHAMPION / 1000:.2f}, case offsets spread over "
          f"±{SPREAD / 1000:.2f} (seed {args.seed}), default config, {args.jobs} worker(s)")
    for line in table(results, case_sets, args.effects):
        print(line)
    runs = sum(r.runs for r in results)
    print(f"{len(results)} decisions, {runs} agent runs, {elapsed:.0f} s wall "
          f"({1000 * elapsed * args.jobs / max(1, runs):.1f} ms of a worker per run)")
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            for r in results:
                f.write(json.dumps(r.__dict__) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
