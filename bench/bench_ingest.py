"""Benchmark `skillgit ingest` against a bare per-line `json.loads` loop and a stat walk of the same files.

    python bench/bench_ingest.py --size 100MB [--dir /tmp/skillgit-bench/100MB] [--repeat 3]

Generates the traces with bench/gen_traces.py if DIR is empty and copies them to a scratch folder
(the appends below must not touch DIR). Then, each in a fresh process (so peak RSS is per phase, from
getrusage), alternating so a noisy neighbour hurts every phase alike:

    bare       read every file in binary, json.loads each line, nothing else (the anchor)
    cold       `skillgit ingest DIR` into a new git repository (its worker processes: one per CPU)
    serial     the same with `--jobs 1`, into another new repository: one process reads every file
    unchanged  the same ingest again: nothing changed (anchor: `statwalk`, a process that walks the
               folders and stats every file; compared as whole processes, start-up included)
    appended   1% more lines appended to every JSON-lines file (a copy of its last lines), ingested
               again: only the new bytes are read

CPU times include the worker processes'. Targets: cold ≥ 0.5× the bare loop's throughput; unchanged ≤ 2× the stat walk; appended ≤ 10% of
cold. The scratch files are cut back to their size before the appends after every round.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
"""Children keep their compiled modules, as an installed skillgit has them (start-up is part of every phase)."""
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


def stat_walk(directory: str) -> dict[str, float]:
    """The least an ingest of unchanged files must do: walk the folders and stat every file."""
    start = time.perf_counter()
    count = 0
    for root, dirs, files in os.walk(directory, followlinks=True):
        dirs.sort()
        for name in sorted(files):
            os.stat(os.path.join(root, name))
            count += 1
    return {"seconds": time.perf_counter() - start, "files": count}


def run_ingest(repo: str, directory: str, jobs: int | None = None) -> dict[str, float]:
    import contextlib
    import io

    from skillgit.cli import run

    out = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out):
        code = run(["-C", str(repo), "ingest", "--json", *(["--jobs", str(jobs)] if jobs else []), str(directory)])
    data = json.loads(out.getvalue())
    return {"seconds": time.perf_counter() - start, "exit": code, "files_read": data["files_read"],
            "files_appended": data["files_appended"], "bytes_read": data["bytes_read"]}


def phase(name: str, args: argparse.Namespace) -> None:
    if name == "bare":
        out = bare_loop(args.dir)
    elif name == "statwalk":
        out = stat_walk(args.dir)
    else:
        out = run_ingest(args.repo, args.dir, args.jobs)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)  # the ingest's worker processes, waited for
    out["max_rss_mb"] = usage.ru_maxrss / 1024
    out["workers_max_rss_mb"] = workers.ru_maxrss / 1024
    out["cpu"] = usage.ru_utime + usage.ru_stime - CPU_AT_START + workers.ru_utime + workers.ru_stime
    print(json.dumps(out))


def child(name: str, directory: Path, repo: Path, jobs: int | None = None) -> dict[str, float]:
    """One phase in a fresh process; `process` is its wall time from the outside, start-up included, and
    `process_cpu` its CPU time (user + system) from start to end."""
    cmd = [sys.executable, __file__, "--phase", name, "--dir", str(directory), "--repo", str(repo),
           *(["--jobs", str(jobs)] if jobs else [])]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True, check=True, env=CHILD_ENV)
    out: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    out["process"] = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    out["process_cpu"] = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return out


_TRACE_ID = re.compile(rb'"([0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"')


def append_one_percent(directory: Path) -> dict[Path, int]:
    """Append 1% more lines (at least one) to every JSON-lines file, as its writer would: the records of its
    last lines again (a transcript, an audit log and a learnings file take them as more of the same; span
    files get them as new traces: trace and conversation ids renewed). Their sizes before."""
    sizes = {}
    for path in sorted(directory.rglob("*.jsonl")):
        lines = path.read_bytes().splitlines(keepends=True)
        if not lines or not lines[-1].endswith(b"\n"):
            continue
        sizes[path] = path.stat().st_size
        more = b"".join(lines[-max(1, len(lines) // 100):])
        if b'"resourceSpans"' in lines[0]:
            more = _TRACE_ID.sub(lambda m: b'"' + hashlib.sha1(m.group(1)).hexdigest()[: len(m.group(1))].encode() + b'"', more)
        with path.open("ab") as out:
            out.write(more)
    return sizes


def cut_back(sizes: dict[Path, int]) -> None:
    for path, size in sizes.items():
        os.truncate(path, size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="100MB")
    parser.add_argument("--dir", type=Path, default=None, help="trace directory (default /tmp/skillgit-bench/SIZE)")
    parser.add_argument("--repo", type=Path, default=None)
    parser.add_argument("--phase", choices=["bare", "statwalk", "ingest"], default=None)
    parser.add_argument("--repeat", type=int, default=3, help="rounds of every phase, alternating; medians are shown")
    parser.add_argument("--jobs", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        phase(args.phase, args)
        return
    directory = args.dir or Path(tempfile.gettempdir()) / "skillgit-bench" / args.size
    if not directory.exists() or not any(directory.iterdir()):
        subprocess.run([sys.executable, str(HERE / "gen_traces.py"), "--size", args.size, "--out", str(directory)], check=True)
    scratch = Path(tempfile.mkdtemp(prefix="skillgit-bench-traces-")) / "traces"
    shutil.copytree(directory, scratch)
    rounds: dict[str, list[dict[str, float]]] = {k: [] for k in ("bare", "cold", "serial", "unchanged", "statwalk", "appended")}
    try:
        for _ in range(args.repeat):
            repo = Path(tempfile.mkdtemp(prefix="skillgit-bench-repo-"))
            try:
                subprocess.run(["git", "init", "-q", str(repo)], check=True)
                rounds["bare"].append(child("bare", scratch, repo))
                alone = Path(tempfile.mkdtemp(prefix="skillgit-bench-repo-"))
                try:
                    subprocess.run(["git", "init", "-q", str(alone)], check=True)
                    rounds["serial"].append(child("ingest", scratch, alone, jobs=1))
                finally:
                    shutil.rmtree(alone, ignore_errors=True)
                rounds["cold"].append(child("ingest", scratch, repo))
                rounds["unchanged"].append(child("ingest", scratch, repo))
                rounds["statwalk"].append(child("statwalk", scratch, repo))
                sizes = append_one_percent(scratch)
                try:
                    rounds["appended"].append(child("ingest", scratch, repo))
                finally:
                    cut_back(sizes)
            finally:
                shutil.rmtree(repo, ignore_errors=True)
    finally:
        shutil.rmtree(scratch.parent, ignore_errors=True)

    def med(name: str, key: str = "seconds") -> float:
        return statistics.median(r[key] for r in rounds[name])

    mib = rounds["bare"][0]["bytes"] / (1 << 20)
    bare, cold, warm, walk, grown = (med(k) for k in ("bare", "cold", "unchanged", "statwalk", "appended"))
    warm_process, walk_process = med("unchanged", "process"), med("statwalk", "process")
    cpu_bare, cpu_cold = med("bare", "cpu"), med("cold", "cpu")
    appended = rounds["appended"][0]
    print(f"traces: {mib:.0f} MiB in {directory}; medians of {args.repeat} rounds")
    print(f"bare json.loads loop : {bare:7.2f} s  {mib / bare:6.1f} MiB/s  peak RSS {med('bare', 'max_rss_mb'):.0f} MiB")
    serial, cpu_serial = med("serial"), med("serial", "cpu")
    print(f"cold ingest          : {cold:7.2f} s  {mib / cold:6.1f} MiB/s  peak RSS {med('cold', 'max_rss_mb'):.0f} MiB"
          f" (a worker's: {med('cold', 'workers_max_rss_mb'):.0f} MiB); {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    print(f"throughput ratio     : {bare / cold:.2f}  (target >= 0.50; wall clock)")
    print(f"CPU-time ratio       : {cpu_bare / cpu_cold:.2f}  (bare {cpu_bare:.2f} s, ingest {cpu_cold:.2f} s of CPU, workers included)")
    print(f"cold, --jobs 1       : {serial:7.2f} s  {mib / serial:6.1f} MiB/s  throughput ratio {bare / serial:.2f}; "
          f"CPU ratio {cpu_bare / cpu_serial:.2f} ({cpu_serial:.2f} s); peak RSS {med('serial', 'max_rss_mb'):.0f} MiB")
    cpu_warm, cpu_walk, cpu_grown = med("unchanged", "process_cpu"), med("statwalk", "process_cpu"), med("appended", "cpu")
    print(f"unchanged re-ingest  : {warm_process:7.2f} s  a process walking and stating them {walk_process:.3f} s: "
          f"ratio {warm_process / walk_process:.2f} (target <= 2); in-process {warm:.3f} s vs the walk {walk:.3f} s; "
          f"peak RSS {med('unchanged', 'max_rss_mb'):.0f} MiB")
    print(f"  CPU, whole process : {cpu_warm:.3f} s vs the walk's {cpu_walk:.3f} s: ratio {cpu_warm / cpu_walk:.2f}")
    print(f"+1% appended         : {grown:7.2f} s  = {grown / cold:.1%} of cold (target <= 10%); "
          f"{appended['files_appended']:.0f} of {appended['files_read']:.0f} files read on, "
          f"{appended['bytes_read'] / (1 << 20):.1f} MiB read")
    print(f"  CPU                : {cpu_grown:.2f} s = {cpu_grown / cpu_cold:.1%} of cold's")


if __name__ == "__main__":
    main()
