"""Time `skillgit report` on a generated repository, against `git log` reading the same history.

    python bench/gen_repo.py --commits 20000 --events 2000 --skills 200 --out /tmp/sg-bench-20k
    python bench/bench_report.py --repo /tmp/sg-bench-20k [--runs 3]

Times the JSON report without verify (the library reads: versions, events, ledger, inventory), the
HTML page without verify (adds the drawing), and the HTML page with verify over all history; the
anchor is one `git log` of every commit's message (what any reader of the events must at least
read). Prints medians, the ratios to the anchor, and the page's size.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(cmd: list[str], cwd: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    skillgit = shutil.which("skillgit")
    base = [skillgit] if skillgit else [sys.executable, "-m", "skillgit"]
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "report.html"
        anchor = timed(["git", "log", "--format=%H%n%B"], args.repo, args.runs)
        json_s = timed([*base, "report", "--format", "json", "--no-verify", "-o", str(Path(tmp) / "r.json")], args.repo, args.runs)
        html_s = timed([*base, "report", "--no-verify", "-o", str(page)], args.repo, args.runs)
        full_s = timed([*base, "report", "-o", str(page)], args.repo, args.runs)
        size = page.stat().st_size
    commits = int(subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=args.repo, capture_output=True, text=True,
                                 check=True).stdout)
    result = {
        "commits": commits,
        "git_log_messages_median_s": round(anchor, 3),
        "report_json_no_verify_median_s": round(json_s, 3),
        "report_html_no_verify_median_s": round(html_s, 3),
        "report_html_with_verify_median_s": round(full_s, 3),
        "ratio_json_to_git_log": round(json_s / anchor, 1),
        "ratio_html_to_git_log": round(html_s / anchor, 1),
        "html_bytes": size,
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
