"""The commands that read the event history — `verify` of a small range, full `verify`, `status`, `journal`,
the agent's pre-commit hook, `metrics` — on generated 300k- and 100k-commit repositories, beside git anchors
measured in the same run.

    python bench/gen_repo.py --commits 300000 --events 30000 --skills 1000 --out /tmp/hist-bench/r300k
    python bench/gen_repo.py --commits 100000 --events 10000 --skills 1000 --out /tmp/hist-bench/r100k
    python bench/bench_history.py --r300k /tmp/hist-bench/r300k --r100k /tmp/hist-bench/r100k [--runs 5]

Each repository is cloned into `--work` first (`git clone`, no commit-graph, no skillgit database: what a
CI checkout has). `cold` runs delete `.git/skillgit` before each run (no event index; for the hooks, only the database); `warm` runs come
after one `skillgit status` built it. Every figure is the median of `--runs` fresh processes: wall seconds
and CPU seconds (the command and its children; on a shared machine the wall time drifts, the CPU time
says what the work costs). Python runs with its compiled modules cached, as installed. Targets (in the output): `verify HEAD~3..HEAD` at 300k ≤ 0.3 s cold and
≤ 0.15 s warm; full `verify` ≤ 1.5× `git log --format='%H %(trailers)' --name-status` at 100k; `status`
≤ 0.3 s and `journal` ≤ 1.2× its `git log --grep` at 300k (warm); the agent's pre-commit hook ≤ 1.2× the
maintainer's at 100k; `metrics` (1,000 skills, 100k commits, no commit-graph) ≤ 3 s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

SKILLGIT = [sys.executable, "-m", "skillgit"]
EVENT_GREP = ["-E", "-i", "--grep=^skill-event[[:space:]]*:", "--grep=^This reverts commit "]
NO_COMMIT_GRAPH = {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "core.commitGraph", "GIT_CONFIG_VALUE_0": "false"}
AGENT = {"GIT_AUTHOR_NAME": "yoyo-bot", "GIT_AUTHOR_EMAIL": "yoyo-bot@example.com",
         "GIT_COMMITTER_NAME": "yoyo-bot", "GIT_COMMITTER_EMAIL": "yoyo-bot@example.com"}
MAINTAINER = {"GIT_AUTHOR_NAME": "Maintainer", "GIT_AUTHOR_EMAIL": "maintainer@example.com",
              "GIT_COMMITTER_NAME": "Maintainer", "GIT_COMMITTER_EMAIL": "maintainer@example.com"}


def once(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """(wall s, CPU s of the command and its children, exit code)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), result.returncode


def measure(cmd: list[str], cwd: Path, runs: int, *, env: dict[str, str] | None = None, before: list[str] | None = None,
            setup: object = None) -> dict[str, object]:
    """Median wall and CPU seconds of `runs` runs (`setup()` before each, untimed)."""
    walls, cpus, codes = [], [], set()
    for _ in range(runs):
        if callable(setup):
            setup()
        wall, cpu, code = once(cmd, cwd, env)
        walls.append(wall)
        cpus.append(cpu)
        codes.add(code)
    return {"wall_s": round(statistics.median(walls), 3), "cpu_s": round(statistics.median(cpus), 3),
            "exit": sorted(codes), "command": " ".join(cmd)}


def clone(source: Path, dest: Path) -> Path:
    if not dest.exists():
        subprocess.run(["git", "clone", "-q", "--no-local", str(source), str(dest)], check=True)
        subprocess.run(["git", "-C", str(dest), "config", "core.commitGraph", "false"], check=True)
    shutil.rmtree(dest / ".git" / "skillgit", ignore_errors=True)
    return dest


def drop_index(repo: Path) -> None:
    """What a fresh clone has of skillgit's state: nothing."""
    shutil.rmtree(repo / ".git" / "skillgit", ignore_errors=True)


def drop_events(repo: Path) -> None:
    """The evidence database only (the event index); the config cache the hooks keep stays."""
    for path in (repo / ".git" / "skillgit").glob("evidence.db*"):
        path.unlink()


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout.strip()


def ratio(a: dict[str, object], b: dict[str, object], key: str = "wall_s") -> float:
    return round(float(a[key]) / max(float(b[key]), 1e-6), 2)  # type: ignore[arg-type]


def at_300k(repo: Path, runs: int) -> dict[str, object]:
    out: dict[str, object] = {"repo": str(repo), "commits": int(git(repo, "rev-list", "--count", "HEAD"))}
    agent_range = git(repo, "log", "-1", "--format=%H", "-E", "--grep=^Skill-Event: (create|retire)", "--author=yoyo-bot")
    pr = ["HEAD~3..HEAD", f"{agent_range}~3..{agent_range}"]
    out["anchor: git log HEAD~3..HEAD"] = measure(["git", "log", "--format=%H %(trailers)", "--name-status", pr[0]], repo, runs)
    for spec in pr:
        out[f"verify {spec} cold"] = measure([*SKILLGIT, "verify", spec], repo, runs, setup=lambda: drop_index(repo))
    drop_index(repo)
    out["status, first run (builds the index)"] = measure([*SKILLGIT, "status"], repo, 1)
    for spec in pr:
        out[f"verify {spec} warm"] = measure([*SKILLGIT, "verify", spec], repo, runs)
    out["anchor: git ls-tree -r HEAD skills"] = measure(["git", "ls-tree", "-r", "HEAD", "skills"], repo, runs)
    out["status warm"] = measure([*SKILLGIT, "status"], repo, runs)
    out["anchor: git log --grep (events)"] = measure(["git", "log", *EVENT_GREP, "--format=%H%x1f%P%x1f%an%x1f%ae%x1f%at%x1f%ce%x1f%B",
                                                      "HEAD"], repo, runs)
    out["journal warm"] = measure([*SKILLGIT, "journal"], repo, runs)
    out["journal --json warm"] = measure([*SKILLGIT, "journal", "--json"], repo, runs)
    out["verdict"] = {
        "verify HEAD~3..HEAD cold <= 0.3 s": out["verify HEAD~3..HEAD cold"]["wall_s"] <= 0.3,  # type: ignore[index]
        "verify HEAD~3..HEAD warm <= 0.15 s": out["verify HEAD~3..HEAD warm"]["wall_s"] <= 0.15,  # type: ignore[index]
        "status warm <= 0.3 s": out["status warm"]["wall_s"] <= 0.3,  # type: ignore[index]
        "journal / git log --grep (wall, cpu)": [
            ratio(out["journal warm"], out["anchor: git log --grep (events)"]),  # type: ignore[arg-type]
            ratio(out["journal warm"], out["anchor: git log --grep (events)"], "cpu_s")],  # type: ignore[arg-type]
    }
    return out


def hook_run(repo: Path, env: dict[str, str], runs: int, *, cold: bool) -> dict[str, object]:
    return measure([str(repo / ".git" / "hooks" / "pre-commit")], repo, runs, env={**env, **NO_COMMIT_GRAPH},
                   setup=(lambda: drop_events(repo)) if cold else None)


def at_100k(repo: Path, runs: int) -> dict[str, object]:
    out: dict[str, object] = {"repo": str(repo), "commits": int(git(repo, "rev-list", "--count", "HEAD"))}
    full = max(1, runs // 2)
    out["anchor: git log --format='%H %(trailers)' --name-status"] = measure(
        ["git", "log", "--format=%H %(trailers)", "--name-status", "HEAD"], repo, full)
    # `HEAD`: every commit (without a range, verify in a clone checks what is not yet on its upstream)
    out["verify (full history) cold"] = measure([*SKILLGIT, "verify", "HEAD"], repo, full, setup=lambda: drop_index(repo))
    drop_index(repo)
    out["metrics, no traces, no commit-graph"] = measure([*SKILLGIT, "metrics"], repo, runs, env=NO_COMMIT_GRAPH)
    # the pre-commit hook: a refine of the most recently refined skill staged, as each author
    subprocess.run([*SKILLGIT, "hooks", "install"], cwd=repo, check=True, stdout=subprocess.DEVNULL)
    last = git(repo, "log", "-1", "--format=%B", "-E", "--grep=^Skill-Event: refine", "--author=yoyo-bot")
    skill = next(line.split(": ", 1)[1] for line in last.splitlines() if line.startswith("Skill-Name:"))
    target = repo / "skills" / skill / "SKILL.md"
    original = target.read_text()
    target.write_text(original + "Check the log before retrying.\n")
    subprocess.run(["git", "add", "--", str(target)], cwd=repo, check=True)
    try:
        for label, env in (("maintainer", MAINTAINER), ("agent", AGENT)):
            out[f"pre-commit hook, {label}, cold"] = hook_run(repo, env, runs, cold=True)
        subprocess.run([*SKILLGIT, "status"], cwd=repo, check=True, stdout=subprocess.DEVNULL)
        for label, env in (("maintainer", MAINTAINER), ("agent", AGENT)):
            out[f"pre-commit hook, {label}, warm"] = hook_run(repo, env, runs, cold=False)
    finally:
        subprocess.run(["git", "reset", "-q", "--", str(target)], cwd=repo, check=True)
        target.write_text(original)
        subprocess.run([*SKILLGIT, "hooks", "uninstall"], cwd=repo, check=False, stdout=subprocess.DEVNULL)
    out["verdict"] = {
        "verify / git log (wall, cpu)": [
            ratio(out["verify (full history) cold"], out["anchor: git log --format='%H %(trailers)' --name-status"]),  # type: ignore[arg-type]
            ratio(out["verify (full history) cold"], out["anchor: git log --format='%H %(trailers)' --name-status"], "cpu_s")],  # type: ignore[arg-type]
        "agent hook / maintainer hook, cold (wall, cpu)": [
            ratio(out["pre-commit hook, agent, cold"], out["pre-commit hook, maintainer, cold"]),  # type: ignore[arg-type]
            ratio(out["pre-commit hook, agent, cold"], out["pre-commit hook, maintainer, cold"], "cpu_s")],  # type: ignore[arg-type]
        "agent hook / maintainer hook, warm (wall, cpu)": [
            ratio(out["pre-commit hook, agent, warm"], out["pre-commit hook, maintainer, warm"]),  # type: ignore[arg-type]
            ratio(out["pre-commit hook, agent, warm"], out["pre-commit hook, maintainer, warm"], "cpu_s")],  # type: ignore[arg-type]
        "metrics <= 3 s": out["metrics, no traces, no commit-graph"]["wall_s"] <= 3,  # type: ignore[index]
    }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--r300k", type=Path, help="a gen_repo.py repository of 300k commits")
    parser.add_argument("--r100k", type=Path, nargs="*", default=[],
                        help="gen_repo.py repositories for the full verify, the hooks and metrics (100k commits; a smaller one shows "
                             "the hooks flat in history)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/hist-bench/work"), help="where the clones are kept")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    # as installed: compiled modules cached (a PYTHONDONTWRITEBYTECODE environment would compile skillgit in
    # every measured run)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([*SKILLGIT, "--version"], check=True, stdout=subprocess.DEVNULL)
    # the package's modules only: the demo's data (a repository with scripts of its own) is copied as it is
    subprocess.run([sys.executable, "-m", "compileall", "-q", "-x", r"[/\\]demo[/\\]data[/\\]",
                    str(Path(__file__).resolve().parents[1] / "skillgit")], check=False, stdout=subprocess.DEVNULL)
    result: dict[str, object] = {"cpus": os.cpu_count(), "load_average_before": [round(x, 2) for x in os.getloadavg()]}
    if args.r300k:
        result["300k"] = at_300k(clone(args.r300k.resolve(), args.work / "c300k"), args.runs)
    for source in args.r100k:
        repo = clone(source.resolve(), args.work / f"c-{source.resolve().name}")
        result[git(repo, "rev-list", "--count", "HEAD")] = at_100k(repo, args.runs)
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
