"""`skillgit verify` over a generated history vs `git log --format='%H %(trailers)' --name-status`.

    python bench/gen_repo.py --commits 100000 --events 10000 --skills 1000 --out /tmp/sg-bench-repo
    python bench/bench_verify.py --repo /tmp/sg-bench-repo [--range A..B] [--repeat 3] [--per-rule]

Both commands run over the same range in the same run, alternating, and the medians are compared
(target: verify ≤ 2× git log). Also timed: verify with the rule set emptied (`walk only`: the one
`git log --raw` pass, event parsing, history and Change building), which isolates the cost of
the rules themselves. `--per-rule` adds one in-process run that times each rule.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

WALK_ONLY = (
    "import sys, json\n"
    "from skillgit.policy import rules\n"
    "rules.RULES.clear()\n"
    "from skillgit.workspace import Workspace\n"
    "from skillgit.policy.verify import verify\n"
    "r = verify(Workspace.open(sys.argv[1]), sys.argv[2])\n"
    "print(json.dumps({'commits': r.commits, 'checked': r.checked}))\n"
)

PER_RULE = (
    "import sys, json, time, collections\n"
    "from skillgit.policy import rules\n"
    "acc = collections.Counter(); calls = collections.Counter()\n"
    "for rid, rule in list(rules.RULES.items()):\n"
    "    def timed(change, config, _check=rule.check, _rid=rid):\n"
    "        t = time.perf_counter(); out = _check(change, config)\n"
    "        acc[_rid] += time.perf_counter() - t; calls[_rid] += 1; return out\n"
    "    rule.check = timed\n"
    "from skillgit.workspace import Workspace\n"
    "from skillgit.policy.verify import verify\n"
    "t = time.perf_counter(); r = verify(Workspace.open(sys.argv[1]), sys.argv[2]); total = time.perf_counter() - t\n"
    "print(json.dumps({'total': total, 'rules': {k: [round(v, 3), calls[k]] for k, v in acc.most_common()}}))\n"
)


CPU: dict[str, list[float]] = {}
"""CPU seconds (user + system, the command and its children) per timed command, beside the wall times:
on a busy machine the wall ratio drifts, the CPU figures say what the work itself costs."""


def timed(cmd: list[str], cwd: Path, label: str | None = None) -> tuple[float, str, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if label:
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        CPU.setdefault(label, []).append(cpu)
    return wall, result.stdout, result.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, default=Path("/tmp/sg-bench-repo"))
    parser.add_argument("--range", dest="rng", default="HEAD", help="the range both commands read (default: all of HEAD)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-full", action="store_true", help="time only git log and the walk (no rules)")
    parser.add_argument("--per-rule", action="store_true")
    args = parser.parse_args(argv)
    env_python = sys.executable
    git_log = ["git", "log", "--format=%H %(trailers)", "--name-status", args.rng]
    verify = [env_python, "-m", "skillgit", "verify", args.rng, "--format", "json"]
    walk = [env_python, "-c", WALK_ONLY, str(args.repo), args.rng]
    times: dict[str, list[float]] = {"git log": [], "verify": [], "walk only": []}
    info: dict[str, object] = {}
    for _ in range(args.repeat):
        seconds, _out, _code = timed(git_log, args.repo, "git log")
        times["git log"].append(seconds)
        seconds, out, _code = timed(walk, args.repo, "walk only")
        times["walk only"].append(seconds)
        info["walk"] = json.loads(out) if out.strip() else out
        if not args.skip_full:
            seconds, out, code = timed(verify, args.repo, "verify")
            times["verify"].append(seconds)
            report = json.loads(out) if out.strip().startswith("{") else {}
            info["verify"] = {"exit": code, "commits": report.get("commits"), "checked": report.get("checked"),
                              "violations": len(report.get("violations", []))}
    medians = {k: statistics.median(v) for k, v in times.items() if v}
    result: dict[str, object] = {
        "repo": str(args.repo), "range": args.rng, "repeat": args.repeat, "cpus": os.cpu_count(),
        "median_seconds": {k: round(v, 2) for k, v in medians.items()},
        "median_cpu_seconds": {k: round(statistics.median(v), 2) for k, v in CPU.items()},
        "ratio_walk_vs_git_log": round(medians["walk only"] / medians["git log"], 2),
        **info,
    }
    if "verify" in medians:
        result["ratio_verify_vs_git_log"] = round(medians["verify"] / medians["git log"], 2)
        result["target"] = "verify <= 2x git log"
    if args.per_rule:
        _seconds, out, _code = timed([env_python, "-c", PER_RULE, str(args.repo), args.rng], args.repo)
        result["per_rule"] = json.loads(out) if out.strip() else out
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
