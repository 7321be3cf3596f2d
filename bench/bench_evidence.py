"""Benchmark the evidence commands — `metrics`, `status`, `cycle --dry-run`, `diagnose NAME` — as the
trace store grows, and `metrics` on a large generated history.

    python bench/bench_evidence.py --sizes 100MB,1GB,3GB [--runs 3] [--work /tmp/skillgit-bench] [--baseline DIR]
    python bench/bench_evidence.py --repo /tmp/sg-bench-repo [--traces 100MB] [--runs 3]

Traces mode: for each size, the traces of bench/gen_traces.py (generated into WORK/SIZE when
missing), ingested into a copy of the fixture skills repository (committed before the traces start,
the generated traces' skills added, `release` refined in the middle of them) at WORK/repo-SIZE
(kept between runs; `--fresh` ingests again). Each command runs `--runs` times, each in a fresh
process; wall time (median, and the spread) and the child's peak RSS are printed, next to the
anchor measured in the same run: the interpreter starting and importing skillgit's CLI. With
`--baseline DIR` (another checkout of skillgit, e.g. `git worktree add --detach DIR main`), each
command also runs with that checkout's package, in the same run, and the output of both, as text and
with `--json`, must be byte-identical (the bench stops otherwise).

Repo mode: `metrics` on a repository from bench/gen_repo.py (1,000 skills, 100k commits), with git's
commit-graph turned off, without traces and then with `--traces` ingested into it; anchors: the one
`git log` over the skill roots that reads every skill's versions, and `git rev-list --count HEAD`.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SKILLGIT = [sys.executable, "-m", "skillgit"]
COMMANDS = {
    "metrics": ["metrics"],
    "status": ["status"],
    "cycle --dry-run": ["cycle", "--dry-run"],
    "diagnose release": ["diagnose", "release"],
}
NO_COMMIT_GRAPH = {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "core.commitGraph", "GIT_CONFIG_VALUE_0": "false"}
MAINTAINER = {"GIT_AUTHOR_NAME": "Maintainer", "GIT_AUTHOR_EMAIL": "maintainer@example.com",
              "GIT_COMMITTER_NAME": "Maintainer", "GIT_COMMITTER_EMAIL": "maintainer@example.com"}


def measure(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """(wall seconds, peak RSS MiB, CPU seconds) of one run of `cmd` in a fresh process, its compiled modules
    kept (as an installed skillgit has them). CPU time is what a shared machine disturbs least."""
    env = {k: v for k, v in (env or os.environ).items() if k != "PYTHONDONTWRITEBYTECODE"}
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err}")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def runs(cmd: list[str], cwd: Path, count: int, env: dict[str, str] | None = None) -> dict[str, float]:
    measure(cmd, cwd, env)  # a first run that is not counted: caches warm, modules compiled
    times, rss, cpu = [], [], []
    for _ in range(count):
        wall, peak, used = measure(cmd, cwd, env)
        times.append(wall)
        rss.append(peak)
        cpu.append(used)
    return {"median_s": round(statistics.median(times), 3), "min_s": round(min(times), 3),
            "max_s": round(max(times), 3), "cpu_s": round(statistics.median(cpu), 3), "peak_rss_mib": round(max(rss), 1)}


def git(repo: Path, *args: str, when: str | None = None) -> None:
    env = {**os.environ, **MAINTAINER}
    if when:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when
    subprocess.run(["git", "-C", str(repo), *args], check=True, env=env, stdout=subprocess.DEVNULL)


def skills_repo(path: Path) -> Path:
    """The fixture skills repository, dated before the generated traces, with their skills added."""
    sys.path.insert(0, str(HERE))
    from gen_traces import SKILLS

    if path.exists():
        shutil.rmtree(path)
    shutil.copytree(ROOT / "skillgit" / "demo" / "data" / "repo", path)
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-qm", "Import skills", when="2026-01-01T00:00:00Z")
    env = {**os.environ, **MAINTAINER, "GIT_AUTHOR_DATE": "2026-01-01T00:00:01Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:01Z"}
    subprocess.run([*SKILLGIT, "init"], cwd=path, check=True, env=env, stdout=subprocess.DEVNULL)
    for name in SKILLS:
        folder = path / "skills" / name
        if not folder.exists():
            folder.mkdir(parents=True)
            (folder / "SKILL.md").write_text(
                f"---\nname: {name}\ndescription: The {name} skill\norigin: yoyo\nstatus: active\n"
                f'keywords: ["{name} check"]\n---\n\n# {name}\n\nDo the {name} thing.\n')
    git(path, "add", "-A")
    git(path, "commit", "-qm", "Add the generated traces' skills", when="2026-01-02T00:00:00Z")
    release = path / "skills" / "release" / "SKILL.md"
    release.write_text(release.read_text() + "\nCheck the work tree is clean before tagging.\n")
    git(path, "commit", "-qam", "release: check the tree first", when="2026-03-15T00:00:00Z")
    return path


def ingest(repo: Path, traces: Path) -> dict[str, float]:
    start = time.perf_counter()
    out = subprocess.run([*SKILLGIT, "-C", str(repo), "ingest", "--json", str(traces)], check=True,
                         capture_output=True, text=True)
    data = json.loads(out.stdout)
    return {"seconds": round(time.perf_counter() - start, 2), "sessions": data["sessions"], "files": data["files_read"]}


def same_output(cmd: list[str], repo: Path, baseline: Path) -> None:
    """Stop unless `cmd` and `cmd --json` print the same bytes with this checkout's package and the baseline's
    (kept in files: a child's peak RSS counts the memory of the process it was forked from)."""
    for form in ([], ["--json"]):
        with tempfile.TemporaryDirectory() as tmp:
            outputs = [Path(tmp) / "this.out", Path(tmp) / "baseline.out"]
            for env, path in zip((dict(os.environ), {**os.environ, "PYTHONPATH": str(baseline)}), outputs):
                with path.open("wb") as out:
                    subprocess.run([*SKILLGIT, *cmd, *form], cwd=repo, env=env, stdout=out, check=True)
            if not filecmp.cmp(*outputs, shallow=False):
                raise SystemExit(f"{' '.join([*cmd, *form])} in {repo}: this checkout and {baseline} print different output")


def traces_mode(args: argparse.Namespace) -> None:
    anchor_cmd = [sys.executable, "-c", "import skillgit.cli"]
    before = {**os.environ, "PYTHONPATH": str(args.baseline)} if args.baseline else None
    report = []
    for size in args.sizes.split(","):
        traces = args.work / size
        if not traces.exists() or not any(traces.iterdir()):
            subprocess.run([sys.executable, str(HERE / "gen_traces.py"), "--size", size, "--out", str(traces)], check=True)
        repo = args.work / f"repo-{size}"
        ingested = None
        if args.fresh or not (repo / ".git" / "skillgit" / "evidence.db").exists():
            skills_repo(repo)
            ingested = ingest(repo, traces)
        db_mib = (repo / ".git" / "skillgit" / "evidence.db").stat().st_size / (1 << 20)
        row: dict[str, object] = {"size": size, "ingest": ingested, "db_mib": round(db_mib, 1)}
        row["anchor: python + import skillgit.cli"] = runs(anchor_cmd, repo, args.runs)
        for label, cmd in COMMANDS.items():
            if args.baseline:
                same_output(cmd, repo, args.baseline)
                row[f"{label} (baseline)"] = runs([*SKILLGIT, *cmd], repo, args.runs, before)
            row[label] = runs([*SKILLGIT, *cmd], repo, args.runs)
        report.append(row)
        print(json.dumps(row), flush=True)
    print()
    labels = [label for command in COMMANDS for label in ([f"{command} (baseline)"] if args.baseline else []) + [command]]
    print(f"{'traces':>7} {'db MiB':>7} " + " ".join(f"{label:>30}" for label in ["anchor", *labels]))
    for row in report:
        cells = [row["anchor: python + import skillgit.cli"], *(row[label] for label in labels)]
        print(f"{row['size']:>7} {row['db_mib']:>7} "
              + " ".join(f"{c['median_s']:>6.2f} s {c['cpu_s']:>6.2f} cpu {c['peak_rss_mib']:>5.0f} MiB".rjust(30)  # type: ignore[index]
                         for c in cells))
    print("(wall median, CPU median, peak RSS)")


def repo_mode(args: argparse.Namespace) -> None:
    repo = args.repo
    env = {**os.environ, **NO_COMMIT_GRAPH}
    db = repo / ".git" / "skillgit" / "evidence.db"
    if db.exists():
        for extra in db.parent.glob("evidence.db*"):
            extra.unlink()
    skills = len([p for p in (repo / "skills").iterdir() if (p / "SKILL.md").exists()])
    commits = subprocess.run(["git", "-C", str(repo), "rev-list", "--count", "HEAD"], capture_output=True, text=True,
                             check=True, env=env).stdout.strip()
    row: dict[str, object] = {"repo": str(repo), "commits": int(commits), "skills": skills}
    row["anchor: git rev-list --count HEAD"] = runs(["git", "rev-list", "--count", "HEAD"], repo, args.runs, env)
    row["anchor: git log over the skill roots"] = runs(
        ["git", "log", "--raw", "--no-renames", "--no-abbrev", "--format=%H%x1f%P%x1f%an%x1f%ae%x1f%at%x1f%B",
         "HEAD", "--", "skills", "skills_attic"], repo, args.runs, env)
    row["metrics, no traces"] = runs([*SKILLGIT, "metrics"], repo, args.runs, env)
    if args.traces:
        traces = args.work / args.traces
        if not traces.exists():
            subprocess.run([sys.executable, str(HERE / "gen_traces.py"), "--size", args.traces, "--out", str(traces)], check=True)
        subprocess.run([*SKILLGIT, "-C", str(repo), "ingest", str(traces)], check=True, env=env, stdout=subprocess.DEVNULL)
        row[f"metrics, {args.traces} ingested"] = runs([*SKILLGIT, "metrics"], repo, args.runs, env)
        row[f"status, {args.traces} ingested"] = runs([*SKILLGIT, "status"], repo, args.runs, env)
        for extra in db.parent.glob("evidence.db*"):
            extra.unlink()
    print(json.dumps(row, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100MB", help="comma-separated trace sizes, e.g. 100MB,1GB,3GB")
    parser.add_argument("--repo", type=Path, default=None, help="a bench/gen_repo.py repository (repo mode)")
    parser.add_argument("--traces", default=None, help="repo mode: also ingest traces of this size")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/skillgit-bench"))
    parser.add_argument("--fresh", action="store_true", help="build the repository and ingest again")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="traces mode: another skillgit checkout, measured in the same run, its output compared")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if args.repo:
        repo_mode(args)
    else:
        traces_mode(args)


if __name__ == "__main__":
    main()
