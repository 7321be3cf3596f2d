"""Run an eval helper command (runner or judge): JSON on stdin, output to files, a hard timeout.

The command runs in its own process group. On timeout, or when it writes more than the output cap,
the whole group is killed; after a normal exit, stragglers left in the group are killed too, so a
runner cannot leave an agent running behind it. stdin and stdout are files, never pipes, so a
command that ignores its input or floods its output cannot deadlock us.

A command is split with `shlex.split` and executed directly, unless it contains shell syntax
(`| & ; < > ( ) $ \\` * ? [ ] ~`, a newline, or a leading `NAME=value`): then it runs under
`/bin/sh -c`. Either way it runs in `cwd`.

With a `sandbox` (skillgit.sandbox) it runs inside it: `binds` are what this run is given (the
skill copy), and `cwd` is shown as the sandbox decides (the repository never is).
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from skillgit.sandbox import Bind, Sandbox

SHELL_CHARS = set("|&;<>()$`*?[]~\n")
ENV_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
MAX_OUTPUT_BYTES = 256 * 1024 * 1024
STDERR_TAIL_BYTES = 2000


@dataclass(frozen=True)
class ProcResult:
    """How a command ended. `error` is set when it could not start, timed out or flooded stdout."""

    returncode: int | None
    stdout: Path
    stderr_tail: str
    error: str | None = None
    timed_out: bool = False
    duration_ms: int = 0


def argv_for(command: str) -> list[str]:
    """The argv that runs `command`: direct exec, or `/bin/sh -c` when it uses shell syntax."""
    if any(ch in SHELL_CHARS for ch in command) or ENV_ASSIGNMENT.match(command.strip()):
        return ["/bin/sh", "-c", command]
    return shlex.split(command)


def run_command(
    command: str,
    stdin: bytes,
    *,
    workdir: Path,
    timeout: float,
    what: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    max_output: int = MAX_OUTPUT_BYTES,
    sandbox: Sandbox | None = None,
    binds: Sequence[Bind] = (),
) -> ProcResult:
    """Run `command` with `stdin`; stdout goes to `workdir/stdout`. `what` names it in errors.
    `workdir` is private to this run (the sandbox may put files the command needs in it)."""
    out_path, err_path, in_path = workdir / "stdout", workdir / "stderr", workdir / "stdin.json"
    in_path.write_bytes(stdin)
    try:
        argv = argv_for(command)
    except ValueError as exc:
        out_path.write_bytes(b"")
        return ProcResult(None, out_path, "", f"{what} command {command!r} cannot be parsed ({exc}); fix its quoting")
    if not argv:
        out_path.write_bytes(b"")
        return ProcResult(None, out_path, "", f"{what} command is empty; set it to the program to run")
    program = argv[0]
    launch_argv, launch_env, launch_cwd, problem = argv, env, cwd, None
    if sandbox is not None:
        launch = sandbox.prepare(argv, workdir=workdir, cwd=cwd, env=env, binds=binds, what=f"the {what} `{command}`")
        launch_argv, launch_env, launch_cwd, problem = launch.argv, launch.env, launch.cwd, launch.problem
    if problem is not None:
        out_path.write_bytes(b"")
        return ProcResult(None, out_path, "", _cannot_start(what, program, problem))
    started = time.monotonic()
    with open(in_path, "rb") as fin, open(out_path, "wb") as fout, open(err_path, "wb") as ferr:
        try:
            proc = subprocess.Popen(
                launch_argv, stdin=fin, stdout=fout, stderr=ferr, cwd=launch_cwd, env=launch_env, start_new_session=True
            )
        except FileNotFoundError:
            return ProcResult(None, out_path, "", _cannot_start(what, program, "missing"))
        except PermissionError:
            return ProcResult(None, out_path, "", _cannot_start(what, program, "not-executable"))
        except OSError as exc:
            return ProcResult(None, out_path, "", f"{what} command cannot start: {exc.strerror}; check the command")
        error, timed_out = _wait(proc, out_path, err_path, started + timeout, max_output, what, timeout)
    duration = round((time.monotonic() - started) * 1000)
    tail = _tail(err_path)
    code = proc.returncode if sandbox is None else sandbox.exit_status(proc.returncode)
    return ProcResult(None if error else code, out_path, tail, error, timed_out, duration)


def _cannot_start(what: str, program: str, problem: str) -> str:
    if problem == "not-executable":
        return f"{what} command is not executable: {program!r}; chmod +x it"
    return f"{what} command not found: {program!r}; check the command and PATH"


def _wait(
    proc: subprocess.Popen[bytes], out_path: Path, err_path: Path, deadline: float, max_output: int, what: str, timeout: float
) -> tuple[str | None, bool]:
    interval = 0.002
    error: str | None = None
    timed_out = False
    # waitid(WNOWAIT) sees the exit without reaping, so the group id cannot be reused before we kill it.
    while os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
        if time.monotonic() >= deadline:
            timed_out = True
            error = f"{what} timed out after {timeout:g}s and was killed (with its process group)"
            break
        if out_path.stat().st_size > max_output or err_path.stat().st_size > max_output:
            error = f"{what} wrote more than {max_output} bytes of output and was killed"
            break
        time.sleep(interval)
        interval = min(interval * 2, 0.05)
    kill_group(proc.pid)
    proc.wait()
    return error, timed_out


def kill_group(pgid: int) -> None:
    """SIGKILL every process in group `pgid`; a group that is already gone is fine."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _tail(path: Path) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - STDERR_TAIL_BYTES))
            data = f.read()
    except OSError:
        return ""
    text = data.decode("utf-8", "replace")
    if size > STDERR_TAIL_BYTES:
        text = "…" + text.split("\n", 1)[-1]
    return text.strip()


def exit_error(what: str, returncode: int, stderr_tail: str) -> str:
    """`runner exited with status 3: <last stderr line>` (or the signal that killed it)."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = str(-returncode)
        head = f"{what} was killed by {name}"
    else:
        head = f"{what} exited with status {returncode}"
    last = stderr_tail.strip().splitlines()[-1] if stderr_tail.strip() else ""
    return f"{head}: {last}" if last else f"{head} (no stderr)"
