"""The eval runner protocol: run a case against one version of a skill and grade the trace.

`eval.runner` is a command. For each case it gets, as JSON on stdin,
`{"skill", "version", "skill_dir", "case": {"id", "prompt", ...}}` (the skill checked out at that
version in a temporary directory; the work tree is never touched) and writes a trace of the run, in
any supported trace format, to stdout. A runner that times out, crashes, or prints something that
is not a trace gives that case an error; the other cases still run.

With a sandbox (skillgit.sandbox) each run sees its own copy of the skill (read-write) and, in place
of the repository, a private directory holding the runner's own files from the commit.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import TYPE_CHECKING

from skillgit.errors import UsageError
from skillgit.evals.graders import grade_case, is_judged
from skillgit.evals.model import CaseResult, EvalCase
from skillgit.evals.process import exit_error, run_command
from skillgit.evals.trace import parse_trace
from skillgit.evidence.session import Session

if TYPE_CHECKING:
    from skillgit.evals.judge import Judge
    from skillgit.git import Repo
    from skillgit.sandbox import Sandbox

Progress = Callable[[EvalCase, CaseResult], None]


@dataclass(frozen=True)
class RunOutcome:
    """What one runner invocation produced: a session, or an error saying why there is none."""

    session: Session | None
    error: str | None = None
    stderr_tail: str = ""
    duration_ms: int = 0


def run_case(
    runner_cmd: str,
    *,
    skill: str,
    version: str,
    skill_dir: Path,
    case: EvalCase,
    timeout: float,
    cwd: Path | None = None,
    sandbox: Sandbox | None = None,
) -> RunOutcome:
    """Run `runner_cmd` for one case and parse its stdout as a trace of exactly one session.

    The runner also gets SKILLGIT_SKILL, SKILLGIT_VERSION, SKILLGIT_SKILL_DIR and SKILLGIT_CASE_ID
    in its environment. It runs in `cwd` (default: the current directory), inside `sandbox` if given.
    """
    from skillgit.sandbox import Bind

    request = {"skill": skill, "version": version, "skill_dir": str(skill_dir), "case": case.runner_payload()}
    stdin = json.dumps(request, ensure_ascii=False, default=str).encode("utf-8")
    env = {
        **os.environ,
        "SKILLGIT_SKILL": skill,
        "SKILLGIT_VERSION": version,
        "SKILLGIT_SKILL_DIR": str(skill_dir),
        "SKILLGIT_CASE_ID": case.id,
    }
    with tempfile.TemporaryDirectory(prefix="skillgit-run-") as tmp:
        proc = run_command(runner_cmd, stdin, workdir=Path(tmp), timeout=timeout, what="runner", cwd=cwd, env=env,
                           sandbox=sandbox, binds=(Bind(skill_dir, writable=True),))
        if proc.error:
            return RunOutcome(None, proc.error, proc.stderr_tail, proc.duration_ms)
        if proc.returncode:
            return RunOutcome(None, exit_error("runner", proc.returncode, proc.stderr_tail), proc.stderr_tail, proc.duration_ms)
        sessions, problem = parse_trace(proc.stdout, f"runner:{case.id}")
    if problem:
        return RunOutcome(None, problem, proc.stderr_tail, proc.duration_ms)
    if len(sessions) != 1:
        what = "no session" if not sessions else f"{len(sessions)} sessions"
        return RunOutcome(
            None, f"runner output holds {what}; a runner must print the trace of exactly one run",
            proc.stderr_tail, proc.duration_ms,
        )
    return RunOutcome(sessions[0], None, proc.stderr_tail, proc.duration_ms)


def run_suite(
    runner_cmd: str,
    cases: Sequence[EvalCase],
    *,
    skill: str,
    version: str,
    skill_dir: Path,
    timeout: float,
    judge: Judge | None = None,
    cwd: Path | None = None,
    jobs: int = 1,
    progress: Progress | None = None,
    sandbox: Sandbox | None = None,
) -> list[CaseResult]:
    """Run and grade every case; results come back in case order.

    Each case gets its own fresh copy of `skill_dir`, so a runner that writes into the skill
    cannot change what the next case sees. A runner failure is that case's `error` (and its
    score 0 where a judge grades it); it never stops the run. With `jobs > 1` cases run in
    threads and `progress` is called from them, as each case finishes.
    """

    def one(case: EvalCase) -> CaseResult:
        with tempfile.TemporaryDirectory(prefix="skillgit-case-") as tmp:
            fresh = Path(tmp) / skill_dir.name
            shutil.copytree(skill_dir, fresh, symlinks=True)
            outcome = run_case(
                runner_cmd, skill=skill, version=version, skill_dir=fresh, case=case, timeout=timeout, cwd=cwd,
                sandbox=sandbox,
            )
        if outcome.session is None:
            result = CaseResult(case.id, False, error=outcome.error, judged=is_judged(case, judge))
        else:
            result = grade_case(case, outcome.session, judge)
        if progress is not None:
            progress(case, result)
        return result

    if jobs <= 1:
        return [one(case) for case in cases]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(one, cases))


class SkillCheckout:
    """A skill directory materialized from a commit into a temporary directory.

    `path` is `<tmp>/<skill dir name>` (the directory keeps its name, as the Agent Skills format
    expects); `version` is the blob id of its SKILL.md (None if it has none); `commit` is the full
    commit id. Use it as a context manager (`with checkout_version(...) as skill_dir:`), or call
    `cleanup()`. Symlinks that point outside the skill directory and submodules are left out.
    """

    def __init__(self, repo: Repo, rev: str, skill_path: str) -> None:
        self.commit = repo.resolve(rev)
        prefix = str(PurePosixPath(skill_path.strip("/")))
        files = repo.tree_files(self.commit, prefix)
        if prefix in files or prefix in ("", "."):
            raise UsageError(f"{skill_path}: not a skill directory at {rev}; pass the directory that holds SKILL.md.")
        if not files:
            raise UsageError(
                f"{skill_path}: no such directory at {rev} ({self.commit[:12]}); "
                f"check the path with `git ls-tree {rev} -- {skill_path}`."
            )
        self._tmp = tempfile.TemporaryDirectory(prefix="skillgit-skill-")
        self.path = Path(self._tmp.name) / PurePosixPath(prefix).name
        self.version: str | None = None
        self.skipped: list[str] = []
        for name, (mode, oid) in sorted(files.items()):
            rel = PurePosixPath(name).relative_to(prefix)
            if rel == PurePosixPath("SKILL.md"):
                self.version = oid
            self._write(repo, rel, mode, oid)

    def _write(self, repo: Repo, rel: PurePosixPath, mode: str, oid: str) -> None:
        from skillgit.sandbox import write_entry

        data = repo.blob(oid) if mode in ("100644", "100755", "120000") else b""
        if not write_entry(self.path, rel, mode, data):
            self.skipped.append(str(rel))

    def cleanup(self) -> None:
        self._tmp.cleanup()

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.cleanup()


def checkout_version(repo: Repo, rev: str, skill_path: str) -> SkillCheckout:
    """Materialize `skill_path` (e.g. `skills/social`) as it is at commit `rev` into a temporary
    directory, reading git objects only: the work tree, index and HEAD are never touched."""
    return SkillCheckout(repo, rev, skill_path)
