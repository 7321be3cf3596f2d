"""Benchmark `skillgit ingest` against a bare per-line `json.loads` loop over the same files.

    python bench/bench_ingest.py --size 100MB [--dir /tmp/skillgit-bench/100MB]

Generates the traces with bench/gen_traces.py if DIR is empty, then runs, each in a fresh process
(so peak RSS is per phase, from getrusage): the bare loop, a cold `skillgit ingest DIR` into a new
git repository, and a re-ingest of the unchanged files. Prints throughput, the ratio ingest/bare
(target ≥ 0.5), the re-ingest time (target ≤ 1 s) and peak memory of each phase.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
_start = resource.getrusage(resource.RUSAGE_SELF)
CPU_AT_START = _start.ru_utime + _start.ru_stime


def bare_loop(directory: str) -> dict[str, float]:
    """The baseline: read every file in binary and json.loads each line, nothing else."""
    loads = json.loads
    size = 0
    start = time.perf_counter()
    for root, dirs, files in os.walk(directory):
        dirs.sort()
        for name in sorted(files):
            with open(os.path.join(root, name), "rb") as handle:
                for line in handle:
                    try:
                        loads(line)
                    except ValueError:
                        pass
                size += handle.tell()
    return {"seconds": time.perf_counter() - start, "bytes": size}


def run_ingest(repo: str, directory: str) -> dict[str, float]:
    from skillgit.cli import run

    start = time.perf_counter()
    code = run(["-C", str(repo), "ingest", "--json", str(directory)])
    return {"seconds": time.perf_counter() - start, "exit": code}


def phase(name: str, args: argparse.Namespace) -> None:
    if name == "bare":
        out = bare_loop(args.dir)
    else:
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()):
            out = run_ingest(args.repo, args.dir)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out["max_rss_mb"] = usage.ru_maxrss / 1024
    out["cpu"] = usage.ru_utime + usage.ru_stime - CPU_AT_START
    print(json.dumps(out))


def child(name: str, directory: Path, repo: Path) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--phase", name, "--dir", str(directory), "--repo", str(repo)]
    result = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="100MB")
    parser.add_argument("--dir", type=Path, default=None, help="trace directory (default /tmp/skillgit-bench/SIZE)")
    parser.add_argument("--repo", type=Path, default=None)
    parser.add_argument("--phase", choices=["bare", "ingest"], default=None)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each phase, alternating; the fastest counts")
    args = parser.parse_args()
    if args.phase:
        phase(args.phase, args)
        return
    directory = args.dir or Path(tempfile.gettempdir()) / "skillgit-bench" / args.size
    if not directory.exists() or not any(directory.iterdir()):
        subprocess.run([sys.executable, str(HERE / "gen_traces.py"), "--size", args.size, "--out", str(directory)], check=True)
    bares, colds, warms = [], [], []
    for _ in range(args.repeat):  # alternate, so a noisy neighbour hurts both sides alike
        repo = Path(tempfile.mkdtemp(prefix="skillgit-bench-repo-"))
        try:
            subprocess.run(["git", "init", "-q", str(repo)], check=True)
            bares.append(child("bare", directory, repo))
            colds.append(child("ingest", directory, repo))
            warms.append(child("ingest", directory, repo))
        finally:
            shutil.rmtree(repo, ignore_errors=True)
    bare, cold, warm = (min(runs, key=lambda r: r["seconds"]) for runs in (bares, colds, warms))
    cpu_bare, cpu_cold = (min(r["cpu"] for r in runs) for runs in (bares, colds))
    mib = bare["bytes"] / (1 << 20)
    print(f"traces: {mib:.0f} MiB in {directory}")
    print(f"bare json.loads loop : {bare['seconds']:7.2f} s  {mib / bare['seconds']:6.1f} MiB/s  peak RSS {bare['max_rss_mb']:.0f} MiB")
    print(f"skillgit ingest      : {cold['seconds']:7.2f} s  {mib / cold['seconds']:6.1f} MiB/s  peak RSS {cold['max_rss_mb']:.0f} MiB")
    print(f"throughput ratio     : {bare['seconds'] / cold['seconds']:.2f}  (target >= 0.50; wall clock)")
    print(f"CPU-time ratio       : {cpu_bare / cpu_cold:.2f}  (bare {cpu_bare:.2f} s, ingest {cpu_cold:.2f} s of CPU; steadier on a busy machine)")
    print(f"re-ingest unchanged  : {warm['seconds']:7.2f} s  (target <= 1 s)  peak RSS {warm['max_rss_mb']:.0f} MiB")


if __name__ == "__main__":
    main()
