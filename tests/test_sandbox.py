"""The sandbox (skillgit/sandbox.py), driven with real processes against a real repository.

A probe script (tests/samples/sandbox/probe.py) is run as a runner would be — working directory the
repository, PWD, OLDPWD and GIT_DIR pointing at it — and reports what it can reach from inside.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES, git

from skillgit.errors import ConfigError
from skillgit.evals.process import run_command
from skillgit.sandbox import Bind, Sandbox, SandboxUnavailable, for_workspace
from skillgit.workspace import Workspace

BOX = SAMPLES / "sandbox"
PY = shlex.quote(sys.executable)
HOLDOUT = "skills/release/evals/holdout.jsonl"


def script(name: str, *args: object) -> str:
    return " ".join([PY, shlex.quote(str(BOX / name)), *(shlex.quote(str(a)) for a in args)])


def work(tmp_path: Path) -> Path:
    """A private directory for one run (as the callers make: never one that holds the repository)."""
    path = tmp_path / "work"
    path.mkdir(exist_ok=True)
    return path


def repo_env(repo: Path, **extra: str) -> dict[str, str]:
    """The environment of a command started from inside the repository (as by a git hook)."""
    return {**os.environ, "PWD": str(repo), "OLDPWD": str(repo), "GIT_DIR": str(repo / ".git"), **extra}


def probe(box: Sandbox, repo: Path, work: Path, *targets: Path, binds: tuple[Bind, ...] = ()) -> dict[str, Any]:
    work.mkdir(exist_ok=True)
    proc = run_command(script("probe.py", repo, *targets), b"", workdir=work, timeout=60, what="runner", cwd=repo,
                       env=repo_env(repo), sandbox=box, binds=binds)
    assert proc.error is None and proc.returncode == 0, proc
    return json.loads(proc.stdout.read_text())


def test_from_inside_the_repository_its_git_dir_and_the_holdout_are_unreachable(bwrap: str, managed_repo: Path,
                                                                              tmp_path: Path) -> None:
    seen = probe(for_workspace(Workspace.open(managed_repo)), managed_repo, tmp_path / "work")
    repo = str(managed_repo)
    assert not seen["repo_exists"] and not seen["git_dir_exists"]
    assert all(v.startswith("blocked") for v in seen["holdout"].values()), seen["holdout"]
    assert all(v.startswith("blocked") for v in seen["git"].values()), seen["git"]
    for where in ("cwd", "pwd", "ppid_cwd", "pid1_cwd", "home"):
        assert not seen[where].startswith(repo), (where, seen[where])
    assert seen["oldpwd"] is None and seen["git_dir"] is None


def test_unconfined_the_same_probe_reaches_the_holdout(managed_repo: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(managed_repo)
    seen = probe(Sandbox("none"), managed_repo, tmp_path / "work")
    for way in ("absolute", "PWD", "/proc/PPID/cwd", "OLDPWD"):
        assert seen["holdout"][way].startswith("read: "), way
    assert seen["git"]["GIT_DIR/.."] == "read"


def test_a_setsid_daemon_is_dead_when_the_command_returns(bwrap: str, managed_repo: Path, tmp_path: Path,
                                                          channel) -> None:  # type: ignore[no-untyped-def]
    box = for_workspace(Workspace.open(managed_repo))
    proc = run_command(script("daemon.py", channel.port), b"", workdir=work(tmp_path), timeout=60, what="runner",
                       cwd=managed_repo, sandbox=box)
    assert proc.returncode == 0, proc
    channel.wait_for("started")
    assert channel.quiet_since("heartbeat", 0.6)


def test_binds_show_a_path_read_only_or_read_write_and_nothing_else(bwrap: str, managed_repo: Path,
                                                                   tmp_path: Path) -> None:
    shared, scratch, unbound = tmp_path / "shared", tmp_path / "scratch", tmp_path / "unbound"
    for directory in (shared, scratch, unbound):
        directory.mkdir()
    box = for_workspace(Workspace.open(managed_repo))
    seen = probe(box, managed_repo, tmp_path / "work", shared / "a", scratch / "b", unbound / "c",
                 binds=(Bind(shared), Bind(scratch, writable=True)))
    assert seen["writes"][str(shared / "a")] == "blocked: Read-only file system"
    assert seen["writes"][str(scratch / "b")] == "written"
    assert seen["writes"][str(unbound / "c")] == "blocked: No such file or directory"
    assert (scratch / "b").read_text() == "written from the sandbox\n"
    assert not (shared / "a").exists() and not (unbound / "c").exists()


@pytest.mark.parametrize("inside", ["", "skills", ".git", "skills/release/evals"])
def test_a_bind_into_the_repository_is_refused_with_the_fix(managed_repo: Path, inside: str) -> None:
    path = managed_repo / inside if inside else managed_repo
    with pytest.raises(ConfigError) as caught:
        Sandbox("bwrap", hidden=[managed_repo, managed_repo / ".git"], binds=[Bind(path)])
    assert f"{path} reaches into the repository" in str(caught.value)
    assert "Remove it, or bind a directory outside the repository." in str(caught.value)


def test_a_bind_around_the_repository_is_refused_too(managed_repo: Path) -> None:
    with pytest.raises(ConfigError, match="reaches into the repository"):
        Sandbox("bwrap", hidden=[managed_repo], binds=[Bind(managed_repo.parent)])


def test_configured_binds_are_checked_when_the_sandbox_is_made(managed_repo: Path) -> None:
    config = managed_repo / "skillgit.yaml"
    config.write_text(config.read_text().replace("cycle:\n", f"cycle:\n  sandbox_binds: [{managed_repo / 'skills'}]\n"))
    with pytest.raises(ConfigError) as caught:
        for_workspace(Workspace.open(managed_repo))
    assert str(caught.value).startswith(f"skillgit.yaml: cycle.sandbox_binds: {managed_repo / 'skills'} reaches into the repository")


def test_the_runner_files_come_from_the_commit_never_from_the_work_tree(bwrap: str, managed_repo: Path,
                                                                        tmp_path: Path) -> None:
    (managed_repo / "tools/eval_runner.py").write_text("print('swapped in the work tree')\n")
    (managed_repo / "tools/extra.py").write_text("untracked\n")
    box = for_workspace(Workspace.open(managed_repo))
    listing = "find . -type f | sort; cat tools/eval_runner.py | head -1"
    proc = run_command(f"{listing}; ls {HOLDOUT} skills 2>&1 | head -2", b"", workdir=work(tmp_path), timeout=60,
                       what="runner", cwd=managed_repo, sandbox=box)
    out = proc.stdout.read_text().splitlines()
    assert out[0] == "./tools/eval_runner.py"
    assert out[1] == '"""Scripted eval runner for the demo (skillgit.yaml `eval.runner`): no agent, no network.'
    assert all("No such file or directory" in line for line in out[2:]), out


def test_the_environment_loses_every_repository_path(bwrap: str, managed_repo: Path, tmp_path: Path) -> None:
    box = for_workspace(Workspace.open(managed_repo))
    env = repo_env(managed_repo, PATH=f"{managed_repo}/.venv/bin:{os.environ['PATH']}", NOTES=f"{managed_repo}/notes",
                   GIT_AUTHOR_NAME="Maintainer", API_KEY="kept")
    proc = run_command("env", b"", workdir=work(tmp_path), timeout=60, what="runner", cwd=managed_repo, env=env, sandbox=box)
    seen = dict(line.split("=", 1) for line in proc.stdout.read_text().splitlines() if "=" in line)
    assert not [k for k, v in seen.items() if str(managed_repo) in v]
    assert "OLDPWD" not in seen and not [k for k in seen if k.startswith("GIT_")]
    assert seen["API_KEY"] == "kept" and seen["TMPDIR"] == "/tmp" and seen["HOME"] == os.environ["HOME"]
    assert seen["PATH"] == os.environ["PATH"]


def test_a_command_killed_by_a_signal_is_reported_as_killed(bwrap: str, managed_repo: Path, tmp_path: Path) -> None:
    box = for_workspace(Workspace.open(managed_repo))
    proc = run_command("kill -KILL $$", b"", workdir=work(tmp_path), timeout=60, what="runner", sandbox=box)
    assert proc.returncode == -9


def test_a_program_missing_inside_is_reported_as_not_found(bwrap: str, managed_repo: Path, tmp_path: Path) -> None:
    box = for_workspace(Workspace.open(managed_repo))
    proc = run_command("no-such-agent-cli -p", b"", workdir=work(tmp_path), timeout=60, what="runner", sandbox=box)
    assert proc.error == "runner command not found: 'no-such-agent-cli'; check the command and PATH"
    (managed_repo / "run.sh").write_text("#!/bin/sh\necho hi\n")
    (managed_repo / "run.sh").chmod(0o755)
    proc = run_command(f"{managed_repo}/run.sh", b"", workdir=work(tmp_path), timeout=60, what="runner", sandbox=box)
    assert proc.error == f"runner command not found: '{managed_repo}/run.sh'; check the command and PATH"


def test_without_bwrap_a_sandboxed_command_is_refused_with_the_fix(managed_repo: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    os.symlink(git(managed_repo, "--exec-path").strip() + "/git", bin_dir / "git")
    monkeypatch.setenv("PATH", str(bin_dir))
    box = for_workspace(Workspace.open(managed_repo))
    with pytest.raises(SandboxUnavailable) as caught:
        box.require("the eval runner `python3 tools/eval_runner.py`")
    assert str(caught.value) == (
        "bubblewrap (`bwrap`) is not installed, so the eval runner `python3 tools/eval_runner.py` cannot run "
        "sandboxed; nothing was run. Install it (`apt-get install bubblewrap`), or set `cycle.sandbox: none` in "
        "skillgit.yaml to run proposers, runners and judges unconfined, with your own rights over the repository."
    )
    Sandbox("none").require("anything")


def no_bwrap_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PATH with git and python3 but no bwrap."""
    bin_dir = tmp_path / "bin-without-bwrap"
    bin_dir.mkdir()
    exec_path = git(tmp_path, "--exec-path", check=False).strip() or "/usr/bin"
    os.symlink(Path(exec_path) / "git", bin_dir / "git")
    os.symlink(sys.executable, bin_dir / "python3")
    monkeypatch.setenv("PATH", str(bin_dir))


@pytest.mark.parametrize("args", [
    ("eval", "run", "release"),
    ("promote", "release", "--candidate", "HEAD", "--expected", "win_rate >= 0.6 within 5 sessions; else revert"),
])
def test_eval_run_and_promote_refuse_a_runner_without_bwrap(sg, managed_repo: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                            monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]) -> None:
    before = git(managed_repo, "rev-parse", "HEAD")
    no_bwrap_path(tmp_path, monkeypatch)
    result = sg(managed_repo, *args)
    assert result.code == 2, result
    assert result.err == (
        "skillgit: bubblewrap (`bwrap`) is not installed, so the eval runner `python3 tools/eval_runner.py` cannot run sandboxed; "
        "nothing was run. Install it (`apt-get install bubblewrap`), or set `cycle.sandbox: none` in skillgit.yaml to run "
        "proposers, runners and judges unconfined, with your own rights over the repository.\n")
    assert git(managed_repo, "rev-parse", "HEAD") == before


def test_with_sandbox_none_the_runner_runs_unconfined_without_bwrap(sg, managed_repo: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    config = managed_repo / "skillgit.yaml"
    config.write_text(config.read_text().replace("cycle:\n", "cycle:\n  sandbox: none\n"))
    no_bwrap_path(tmp_path, monkeypatch)
    result = sg(managed_repo, "eval", "run", "release")
    assert result.code == 1, result
    assert "train: 1/2 cases passed every run" in result.out


def test_the_judge_runs_in_the_sandbox_too(bwrap: str, managed_repo: Path, channel) -> None:  # type: ignore[no-untyped-def]
    from skillgit.evals.judge import Judge, JudgeGrader, rubric_from_data
    from skillgit.evals.model import GradeContext
    from skillgit.evidence.session import Session

    rubric = rubric_from_data({"dimensions": [{"name": "correctness"}]}, "inline")
    judge = Judge(script("judge_probe.py", managed_repo, channel.port), timeout=60, rubric=rubric, cwd=managed_repo,
                  sandbox=for_workspace(Workspace.open(managed_repo)))
    result = JudgeGrader(rubric).grade(Session(id="s1", source="test", origin="test"), GradeContext(judge=judge))
    assert result.error is None and result.score == 7
    seen = channel.wait_for("judge")
    assert not seen["repo_exists"] and not seen["holdout"]
    assert not seen["cwd"].startswith(str(managed_repo))


def test_a_built_in_agent_sees_its_own_config_in_an_otherwise_empty_home(bwrap: str, managed_repo: Path,
                                                                        tmp_path: Path) -> None:
    from skillgit.agents import sandbox_binds

    home = Path(os.environ["HOME"])
    (home / ".claude").mkdir()
    (home / ".claude/settings.json").write_text("{}\n")
    (home / ".claude.json").write_text('{"numStartups": 1}\n')
    (home / ".ssh").mkdir()
    (home / ".ssh/id_ed25519").write_text("secret\n")
    box = for_workspace(Workspace.open(managed_repo)).with_binds(sandbox_binds("claude-code"))
    command = ('cat "$HOME/.claude/settings.json" "$HOME/.claude.json"; ls -A "$HOME"; cat "$HOME/.ssh/id_ed25519" 2>&1; '
               'touch "$HOME/.claude/new" 2>&1; touch "$HOME/scratch" && echo home writable')
    proc = run_command(command, b"", workdir=work(tmp_path), timeout=60, what="runner", sandbox=box)
    assert proc.stdout.read_text().splitlines() == [
        "{}", '{"numStartups": 1}', ".claude", ".claude.json",
        f"cat: {home}/.ssh/id_ed25519: No such file or directory",
        f"touch: cannot touch '{home}/.claude/new': Read-only file system", "home writable"]
    assert not (home / "scratch").exists()


def test_devices_and_home_paths_on_the_command_line_work_inside(bwrap: str, managed_repo: Path, tmp_path: Path) -> None:
    tool = Path(os.environ["HOME"]) / "tools"
    tool.mkdir()
    (tool / "hello.sh").write_text("echo hello from home\n")
    box = for_workspace(Workspace.open(managed_repo))
    proc = run_command("echo hidden > /dev/null && sh ~/tools/hello.sh", b"", workdir=work(tmp_path), timeout=60,
                       what="runner", sandbox=box)
    assert proc.returncode == 0, proc
    assert proc.stdout.read_text() == "hello from home\n"


def test_the_demo_runs_without_bwrap_and_says_its_runner_is_unconfined(sg, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    no_bwrap_path(tmp_path, monkeypatch)
    result = sg(tmp_path, "demo", str(tmp_path / "demo"))
    assert result.code == 0, result
    assert ("note: bubblewrap (`bwrap`) is not installed; the demo's scripted eval runner runs unconfined "
            "(`cycle.sandbox: none` in its skillgit.yaml). Install it (`apt-get install bubblewrap`)") in result.out
    assert "sandbox: none" in git(tmp_path / "demo", "show", "HEAD:skillgit.yaml")


@pytest.mark.parametrize(("proposer", "what"), [
    (f"{PY} -c pass", f"the proposer `{PY} -c pass`"),
    ("builtin", "the eval runner `python3 tools/eval_runner.py`"),
])
def test_a_cycle_without_bwrap_refuses_an_outside_proposer_or_runner(sg, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                     monkeypatch: pytest.MonkeyPatch, proposer: str,
                                                                     what: str) -> None:
    from conftest import snapshot
    from cycle_util import Clock, failing_release_batch, feed, make_repo

    clock = Clock(monkeypatch)
    repo = make_repo(tmp_path / "repo", clock)
    feed(repo, "a.jsonl", failing_release_batch(clock))
    clock.tick(hours=1)
    before = snapshot(repo)
    no_bwrap_path(tmp_path, monkeypatch)
    result = sg(repo, "cycle", "--on-propose", "auto", "--now", clock.iso, "--proposer", proposer)
    assert result.code == 2, result
    assert f"bubblewrap (`bwrap`) is not installed, so {what} cannot run sandboxed; nothing was run." in result.err
    assert snapshot(repo) == before
