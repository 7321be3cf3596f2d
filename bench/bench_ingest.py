"""Benchmark `skillgit ingest` against a bare per-line `json.loads` loop and a stat walk of the same files.

    python bench/bench_ingest.py --size 100MB [--dir /tmp/skillgit-bench/100MB] [--repeat 3]

Generates the traces with bench/gen_traces.py if DIR is empty and copies them to a scratch folder
(the appends below must not touch DIR). Then, each in a fresh process (so peak RSS is per phase, from
getrusage), alternating so a noisy neighbour hurts every phase alike:

    bare       read every file in binary, json.loads each line, nothing else (the anchor)
    cold       `skillgit ingest DIR` into a new git repository (its worker processes: one per CPU)
    serial     the same with `--jobs 1`, into another new repository: one process reads every file
    unchanged  the same ingest again: nothing changed (anchor: `statwalk`, a process that walks the
               folders and stats every file; compared as whole processes, start-up included). Like
               the anchor, it starts with the folders walked once (their inodes cached) and its
               modules read once (a process that imports them); with a baseline, the two trees'
               unchanged ingests take turns going first
    appended   1% more lines appended to every JSON-lines file (a copy of its last lines), ingested
               again: only the new bytes are read

With `--baseline CHECKOUT` (another skillgit source tree), every round also runs that tree's ingest
(cold, unchanged, appended: `base-*`, into a repository of its own, right after this tree's) and checks
that the stores end up the same, row for row (ids included; of the reader states, which sources have
one; of `meta`, not how many batches were written, which depends on time), after the cold ingests
(default workers, `--jobs 1` and the baseline's) and after the appends.

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

    from skillgit.cli import main

    out = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out):
        try:  # the console script's own entry point: it ends the process as `skillgit` does
            main(["-C", str(repo), "ingest", "--json", *(["--jobs", str(jobs)] if jobs else []), str(directory)])
        except SystemExit as end:
            code = end.code
    data = json.loads(out.getvalue())
    del data["seconds"]
    return {"seconds": time.perf_counter() - start, "exit": code, "files_read": data["files_read"],
            "files_appended": data["files_appended"], "bytes_read": data["bytes_read"],
            "report": hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()}


def phase(name: str, args: argparse.Namespace) -> None:
    if name == "bare":
        out = bare_loop(args.dir)
    elif name == "statwalk":
        out = stat_walk(args.dir)
    else:
        out = run_ingest(args.repo, args.dir, args.jobs)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)  # the ingest's worker processes, waited for
    out["max_rss_mb"] = own_peak_rss_mb(usage)
    out["workers_max_rss_mb"] = workers.ru_maxrss / 1024
    out["cpu"] = usage.ru_utime + usage.ru_stime - CPU_AT_START + workers.ru_utime + workers.ru_stime
    print(json.dumps(out))


def own_peak_rss_mb(usage: resource.struct_rusage) -> float:
    """This process's own peak RSS: its memory's high-water mark since it was started (`VmHWM`). getrusage's
    `ru_maxrss` would do but for one thing: a process spawned by another (`subprocess` uses vfork) starts with
    the spawner's peak as its own, which is this bench's (it reads whole stores to compare them)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return usage.ru_maxrss / 1024


def child(name: str, directory: Path, repo: Path, jobs: int | None = None, tree: Path | None = None) -> dict[str, float]:
    """One phase in a fresh process (importing skillgit from source tree `tree` when given); `process` is its
    wall time from the outside, start-up included, and `process_cpu` its CPU time (user + system) from
    start to end."""
    cmd = [sys.executable, __file__, "--phase", name, "--dir", str(directory), "--repo", str(repo),
           *(["--jobs", str(jobs)] if jobs else [])]
    env = CHILD_ENV if tree is None else {**CHILD_ENV, "PYTHONPATH": str(tree)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
    out: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    out["process"] = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    out["process_cpu"] = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return out


def store_digest(repo: Path) -> dict[str, str]:
    """A digest of every table of the evidence database of `repo`, its rows in key order; of the reader
    states, which sources have one (pickles of equal states may share objects differently)."""
    import sqlite3

    path = repo / ".git" / "skillgit" / "evidence.db"
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        out = {}
        for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
            width = len(con.execute(f"SELECT * FROM {name} LIMIT 0").description)
            columns = "source_id" if name == "reader_states" else "*"
            digest = hashlib.sha256()
            for row in con.execute(f"SELECT {columns} FROM {name} ORDER BY {', '.join(str(i + 1) for i in range(width if columns == '*' else 1))}"):
                if name == "meta" and row[0] in ("writes", "unchanged"):  # how many batches were written: timing
                    row = (row[0], _kept_report(row[1]) if row[0] == "unchanged" else "")
                digest.update(repr(row).encode())
            out[name] = digest.hexdigest()
        return out
    finally:
        con.close()


def _kept_report(value: str) -> str:
    """The kept report of an unchanged ingest, less what depends on timing (`writes`) or on how the code
    keeps it: the digest of the walked files (`fingerprint`, computed from columns since 9dffbcf) and the
    companions it lists to stat again (since 9dffbcf, not those walked with the key they were read with)."""
    kept = json.loads(value)
    for key in ("writes", "fingerprint", "companions"):
        kept.pop(key, None)
    return json.dumps(kept, sort_keys=True)


def same_stores(label: str, repos: dict[str, Path], reports: dict[str, dict[str, float]]) -> bool:
    """Print whether the stores of `repos` (and the ingests' reports, `seconds` aside) are the same."""
    digests = {name: store_digest(repo) for name, repo in repos.items()}
    first, *rest = digests
    differ = sorted({table for other in rest for table in digests[first].keys() | digests[other].keys()
                     if digests[first].get(table) != digests[other].get(table)})
    plain = {name: {k: v for k, v in report.items() if k in ("files_read", "files_appended", "bytes_read", "report")}
             for name, report in reports.items()}
    reported = all(plain[name] == plain[next(iter(plain))] for name in plain)
    print(f"  {label}: stores of {', '.join(repos)} {'identical' if not differ else 'DIFFER in ' + ', '.join(differ)};"
          f" reports {'identical' if reported else 'DIFFER'}")
    return not differ and reported


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
    parser.add_argument("--baseline", type=Path, default=None, help="another skillgit source tree to run and compare with")
    args = parser.parse_args()
    if args.phase:
        phase(args.phase, args)
        return
    directory = args.dir or Path(tempfile.gettempdir()) / "skillgit-bench" / args.size
    if not directory.exists() or not any(directory.iterdir()):
        subprocess.run([sys.executable, str(HERE / "gen_traces.py"), "--size", args.size, "--out", str(directory)], check=True)
    scratch = Path(tempfile.mkdtemp(prefix="skillgit-bench-traces-")) / "traces"
    shutil.copytree(directory, scratch)
    phases = ("bare", "cold", "serial", "unchanged", "statwalk", "appended", "base-cold", "base-unchanged", "base-appended")
    rounds: dict[str, list[dict[str, float]]] = {k: [] for k in phases}
    base = args.baseline.resolve() if args.baseline else None
    identical = True
    try:
        for _ in range(args.repeat):
            repo, alone, other = (Path(tempfile.mkdtemp(prefix="skillgit-bench-repo-")) for _ in range(3))
            try:
                for each in (repo, alone, other):
                    subprocess.run(["git", "init", "-q", str(each)], check=True)
                rounds["bare"].append(child("bare", scratch, repo))
                rounds["serial"].append(child("ingest", scratch, alone, jobs=1))
                rounds["cold"].append(child("ingest", scratch, repo))
                if base:
                    rounds["base-cold"].append(child("ingest", scratch, other, tree=base))
                    identical &= same_stores("cold", {"workers": repo, "--jobs 1": alone, "baseline": other},
                                             {"workers": rounds["cold"][-1], "--jobs 1": rounds["serial"][-1],
                                              "baseline": rounds["base-cold"][-1]})
                shutil.rmtree(alone, ignore_errors=True)
                # both unchanged ingests start as the stat walk they are compared with does: with the files'
                # folders and inodes cached (comparing the stores above read 1.2 GB) and the interpreter's
                # and the tree's modules read (a process that only imports them), in turn first
                stat_walk(str(scratch))
                for tree in (None, *([base] if base else [])):
                    env = CHILD_ENV if tree is None else {**CHILD_ENV, "PYTHONPATH": str(tree)}
                    subprocess.run([sys.executable, "-c", "import skillgit.cli"], check=True, env=env)
                unchanged = [("unchanged", repo, None), *([("base-unchanged", other, base)] if base else [])]
                for name, where, tree in unchanged if len(rounds["unchanged"]) % 2 == 0 else reversed(unchanged):
                    rounds[name].append(child("ingest", scratch, where, tree=tree))
                rounds["statwalk"].append(child("statwalk", scratch, repo))
                sizes = append_one_percent(scratch)
                try:
                    rounds["appended"].append(child("ingest", scratch, repo))
                    if base:
                        rounds["base-appended"].append(child("ingest", scratch, other, tree=base))
                        identical &= same_stores("appended", {"this tree": repo, "baseline": other},
                                                 {"this tree": rounds["appended"][-1], "baseline": rounds["base-appended"][-1]})
                finally:
                    cut_back(sizes)
            finally:
                for each in (repo, alone, other):
                    shutil.rmtree(each, ignore_errors=True)
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
    if base:
        b_cold, b_cpu, b_grown, b_grown_cpu = med("base-cold"), med("base-cold", "cpu"), med("base-appended"), med("base-appended", "cpu")
        b_warm, b_warm_cpu = med("base-unchanged", "process"), med("base-unchanged", "process_cpu")
        print(f"baseline {base}:")
        print(f"  cold ingest        : {b_cold:7.2f} s, CPU {b_cpu:.2f} s: throughput ratio {bare / b_cold:.2f}, CPU ratio {cpu_bare / b_cpu:.2f}"
              f"  (this tree: {cold:.2f} s, CPU {cpu_cold:.2f} s)")
        print(f"  unchanged re-ingest: {b_warm:7.2f} s, CPU {b_warm_cpu:.3f} s  (this tree: {warm_process:.2f} s, CPU {cpu_warm:.3f} s)")
        print(f"  +1% appended       : {b_grown:7.2f} s, CPU {b_grown_cpu:.2f} s = {b_grown / b_cold:.1%} of its cold"
              f"  (this tree: {grown:.2f} s, CPU {cpu_grown:.2f} s)")
        print(f"  stores and reports : {'identical in every round' if identical else 'DIFFERENT (see above)'}")
        if not identical:
            sys.exit(1)


if __name__ == "__main__":
    main()
