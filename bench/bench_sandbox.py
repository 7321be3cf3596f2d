"""The cost of the sandbox per proposer call and per runner call: median wall time of a trivial
command run the way the cycle runs it, with the sandbox (bubblewrap) and without (`cycle.sandbox:
none`), measured in the same run, alternating, and the ratio.

    python bench/bench_sandbox.py [--runs 41] [--json]

A proposer call is `run_command` in a private copy of a skill (bound read-write); a runner call runs
from the repository root, so the sandbox also writes the runner's files from the commit
(`sh tools/noop.sh` → `tools/`, a handful of files). Two commands each: `true` (the floor: process
start) and `python3 -c pass` (an interpreter, as real runners and proposers are). The repository
is generated in a temporary directory (a few skills, a tools/ directory, one commit).
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from skillgit.evals.process import run_command
from skillgit.sandbox import Bind, Sandbox, bwrap_problem, for_workspace
from skillgit.workspace import Workspace


def make_repo(root: Path) -> Path:
    repo = root / "repo"
    (repo / "tools").mkdir(parents=True)
    (repo / "tools/noop.sh").write_text("exit 0\n")
    for i in range(5):
        (repo / f"tools/helper_{i}.py").write_text(f"VALUE = {i}\n")
    for name in ("release", "social", "family"):
        (repo / "skills" / name / "evals").mkdir(parents=True)
        (repo / "skills" / name / "SKILL.md").write_text(f"---\nname: {name}\ndescription: {name}\n---\n\n# {name}\n")
        (repo / "skills" / name / "evals/holdout.jsonl").write_text('{"id": "h1", "prompt": "secret"}\n')
    env = ["-c", "user.name=Bench", "-c", "user.email=bench@example.com"]
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], [*env, "commit", "-q", "-m", "Bench repository"]):
        subprocess.run(["git", *args], cwd=repo, check=True)
    return repo


def timed(call: Callable[[], None], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def measure(kind: str, command: str, box: Sandbox, repo: Path, tmp: Path, runs: int) -> dict[str, object]:
    """Alternate sandboxed and unsandboxed calls of `command`; medians, overhead and ratio."""
    plain = Sandbox("none")

    def call(sandbox: Sandbox) -> None:
        work = Path(tempfile.mkdtemp(dir=tmp))
        if kind == "proposer":
            skill = work / "skill"
            shutil.copytree(repo / "skills/release", skill, ignore=shutil.ignore_patterns("evals"))
            cwd, binds = skill, (Bind(skill, writable=True),)
        else:
            cwd, binds = repo, ()
        io = work / "io"
        io.mkdir()
        result = run_command(command, b"{}", workdir=io, timeout=60, what=kind, cwd=cwd, sandbox=sandbox, binds=binds)
        if result.error or result.returncode:
            raise SystemExit(f"{kind} `{command}` failed: {result.error or result.stderr_tail}")
        shutil.rmtree(work)

    for sandbox in (box, plain):  # warm caches (PATH scan, repository files, bwrap binary)
        call(sandbox)
    with_box: list[float] = []
    without: list[float] = []
    for _ in range(runs):
        with_box += timed(lambda: call(box), 1)
        without += timed(lambda: call(plain), 1)
    a, b = statistics.median(with_box), statistics.median(without)
    return {"call": kind, "command": command, "runs": runs, "sandbox_ms": round(a, 2), "none_ms": round(b, 2),
            "overhead_ms": round(a - b, 2), "ratio": round(a / b, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=41)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    problem = bwrap_problem(shutil.which("bwrap"))
    if problem:
        print(f"bench_sandbox: {problem}; install it (`apt-get install bubblewrap`).", file=sys.stderr)
        return 2
    python = shlex.quote(sys.executable)
    rows = []
    with tempfile.TemporaryDirectory(prefix="sg-bench-sandbox-") as tmp:
        repo = make_repo(Path(tmp))
        box = for_workspace(Workspace.open(repo))
        scratch = Path(tmp) / "runs"
        scratch.mkdir()
        for kind, commands in (("proposer", ("true", f"{python} -c pass")),
                               ("runner", ("sh tools/noop.sh", f"{python} -c pass tools/noop.sh"))):
            for command in commands:
                rows.append(measure(kind, command, box, repo, scratch, args.runs))
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'call':<9} {'command':<34} {'sandbox ms':>10} {'none ms':>8} {'overhead':>9} {'ratio':>6}")
    for row in rows:
        command = str(row["command"]).replace(sys.executable, "python")
        print(f"{row['call']:<9} {command:<34} {row['sandbox_ms']:>10} {row['none_ms']:>8} {row['overhead_ms']:>9} "
              f"{row['ratio']:>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
