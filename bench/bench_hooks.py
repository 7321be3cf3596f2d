"""Median time of each installed hook in a 1,000-skill repository, side by side with gitlint's commit-msg hook.

    python -m venv /tmp/gitlint-venv && /tmp/gitlint-venv/bin/pip install gitlint   # bench only
    python bench/bench_hooks.py [--repo DIR] [--runs 21] [--gitlint /tmp/gitlint-venv/bin/gitlint]

Builds (or reuses) a repository with bench/gen_repo.py (1,000 skills), installs skillgit's hooks,
stages a maintainer's edit of one skill, and runs each hook exactly as git does (the script in
.git/hooks, from the work tree's root), alternating with gitlint's hook command
(`gitlint --staged --msg-filename FILE run-hook`) on the same message. Targets: each skillgit hook's
median ≤ 150 ms, and commit-msg faster than gitlint's. `heavy_imports` lists the large packages
(ruamel, jsonschema, pygit2, click) one run of each hook imports.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MESSAGE = "Tighten the retry advice\n\nThe last sessions retried the same command.\n"


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """(wall ms, CPU ms of the hook and its children, exit code)."""
    before = os.times()
    started = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = (time.perf_counter() - started) * 1000
    after = os.times()
    cpu = ((after.children_user - before.children_user) + (after.children_system - before.children_system)) * 1000
    return wall, cpu, result.returncode


def prepare(repo: Path, skills: int, commits: int, events: int) -> None:
    if not (repo / ".git" / "bench-manifest.json").exists():
        subprocess.run([sys.executable, str(HERE / "gen_repo.py"), "--commits", str(commits), "--events", str(events),
                        "--skills", str(skills), "--out", str(repo)], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, "-m", "skillgit", "-C", str(repo), "hooks", "install"], check=True, stdout=subprocess.DEVNULL)
    for key, value in (("user.name", "Maintainer"), ("user.email", "maintainer@example.com")):
        subprocess.run(["git", "config", key, value], cwd=repo, check=True)  # gitlint reads these


SCENARIOS = {
    "skill edit": ("skills/skill-00001/SKILL.md", "Benchmark edit: check the log before retrying.\n"),
    "code edit": ("src/mod_001.py", "bench_value = 1\n"),
}


def stage(repo: Path, scenario: str) -> None:
    """Stage exactly the scenario's edit (and nothing else)."""
    subprocess.run(["git", "reset", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "checkout", "-q", "--", "."], cwd=repo, check=True)
    path, line = SCENARIOS[scenario]
    target = repo / path
    target.write_text(target.read_text() + line)
    subprocess.run(["git", "add", "--", path], cwd=repo, check=True)


HEAVY = ("ruamel", "jsonschema", "pygit2", "click")


def heavy_imports(cmd: list[str], cwd: Path, env: dict[str, str], msg: Path) -> list[str]:
    """The large packages one run of the hook imports (from Python's -X importtime report)."""
    msg.write_text(MESSAGE)
    result = subprocess.run(cmd, cwd=cwd, env={**env, "PYTHONPROFILEIMPORTTIME": "1"}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, check=False)
    names = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    return sorted(name for name in names if name in HEAVY)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, default=Path("/tmp/sg-bench-hooks"))
    parser.add_argument("--skills", type=int, default=1000)
    parser.add_argument("--commits", type=int, default=5000)
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--gitlint", default=shutil.which("gitlint") or "/tmp/gitlint-venv/bin/gitlint")
    args = parser.parse_args(argv)
    repo = args.repo.resolve()
    prepare(repo, args.skills, args.commits, args.events)
    env = {**os.environ, "GIT_AUTHOR_NAME": "Maintainer", "GIT_AUTHOR_EMAIL": "maintainer@example.com",
           "GIT_COMMITTER_NAME": "Maintainer", "GIT_COMMITTER_EMAIL": "maintainer@example.com"}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure an installed tool: bytecode cached, as pip leaves it
    hooks = repo / ".git" / "hooks"
    msg = repo / ".git" / "BENCH_EDITMSG"
    have_gitlint = Path(args.gitlint).exists()
    result: dict[str, object] = {"repo": str(repo), "skills": args.skills, "runs": args.runs,
                                 "target": "each skillgit hook median <= 150 ms; commit-msg faster than gitlint's"}
    for scenario in SCENARIOS:
        stage(repo, scenario)
        times: dict[str, list[float]] = {"pre-commit": [], "commit-msg": [], "gitlint commit-msg": []}
        cpu: dict[str, list[float]] = {k: [] for k in times}
        codes: dict[str, set[int]] = {k: set() for k in times}
        for i in range(args.runs + 1):
            samples = [("pre-commit", [str(hooks / "pre-commit")]), ("commit-msg", [str(hooks / "commit-msg"), str(msg)])]
            if have_gitlint:
                samples.append(("gitlint commit-msg", [args.gitlint, "--staged", "--msg-filename", str(msg), "run-hook"]))
            for name, cmd in (samples if i % 2 else list(reversed(samples))):
                msg.write_text(MESSAGE)
                ms, cpu_ms, code = run(cmd, repo, env)
                codes[name].add(code)
                if i:  # the first round warms caches (config cache, page cache)
                    times[name].append(ms)
                    cpu[name].append(cpu_ms)
        medians = {k: round(statistics.median(v), 1) for k, v in times.items() if v}
        verdict: dict[str, object] = {"median_ms": medians,
                                      "median_cpu_ms": {k: round(statistics.median(v), 1) for k, v in cpu.items() if v},
                                      "exit_codes": {k: sorted(v) for k, v in codes.items() if v},
                                      "each_hook_within_150ms": max(medians["pre-commit"], medians["commit-msg"]) <= 150}
        if have_gitlint:
            verdict["commit_msg_faster_than_gitlint"] = medians["commit-msg"] < medians["gitlint commit-msg"]
        verdict["heavy_imports"] = {name: heavy_imports(cmd, repo, env, msg) for name, cmd in samples[:2]}
        result[scenario] = verdict
    stage(repo, "code edit")
    subprocess.run(["git", "reset", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "checkout", "-q", "--", "."], cwd=repo, check=True)
    startup = sorted(run([sys.executable, "-c", "pass"], repo, env)[0] for _ in range(9))
    result["python_startup_ms"] = round(startup[4], 1)
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    if not have_gitlint:
        result["gitlint"] = f"not found at {args.gitlint}; install it in a separate venv to compare"
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
