"""Time `skillgit versions NAME` on the generated 100k-commit repository (target: ≤ 1 s).

    python bench/gen_repo.py --commits 100000 --events 10000 --skills 1000 --out /tmp/sg-bench-repo
    python bench/bench_versions.py --repo /tmp/sg-bench-repo [--runs 7]

The repository gets a commit-graph with changed-path Bloom filters first, as `skillgit init` writes
for a repository (and `git maintenance` keeps current). The skill timed is the manifest's busiest
one. Prints the median and the spread of wall times, and plain `git log` over the same paths.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def timed(cmd: list[str], cwd: Path, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    manifest = json.loads((args.repo / ".git" / "bench-manifest.json").read_text())
    skill = manifest["busiest_skill"]
    subprocess.run(["git", "commit-graph", "write", "--reachable", "--changed-paths"], cwd=args.repo, check=True)
    skillgit = shutil.which("skillgit") or sys.executable
    cmd = [skillgit, "versions", skill] if skillgit != sys.executable else [sys.executable, "-m", "skillgit", "versions", skill]
    ours = timed(cmd, args.repo, args.runs)
    git_log = timed(["git", "log", "--format=%H", "--", f"skills/{skill}"], args.repo, args.runs)
    count = subprocess.run(cmd, cwd=args.repo, capture_output=True, text=True, check=True).stdout.count("\nv") + 1
    result = {
        "commits": manifest["commits"],
        "skill": skill,
        "versions": count,
        "skillgit_versions_median_s": round(statistics.median(ours), 3),
        "skillgit_versions_max_s": round(max(ours), 3),
        "git_log_path_median_s": round(statistics.median(git_log), 3),
        "target_s": 1.0,
        "ok": statistics.median(ours) <= 1.0,
    }
    print(json.dumps(result, indent=2))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
