"""The runner protocol: scripted runners that succeed, hang, crash or print garbage; version checkouts."""

from __future__ import annotations

import os
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES, git, snapshot

from skillgit.errors import UsageError
from skillgit.evals.graders import GRADERS, TextGrader
from skillgit.evals.judge import Judge, load_rubric
from skillgit.evals.loader import load_evals
from skillgit.evals.model import EvalCase
from skillgit.evals.runner import checkout_version, run_case, run_suite
from skillgit.git import Repo

EVALS = SAMPLES / "evals"
PY = shlex.quote(sys.executable)


def cmd(script: str) -> str:
    return f"{PY} {shlex.quote(str(EVALS / script))}"


def case(case_id: str = "c1", prompt: str | None = "Fix the test.", **data: Any) -> EvalCase:
    evals = load_evals(EVALS / "all_graders.yaml")
    graders = evals.cases[0].graders[:2]  # outcome success + text contains "Marker:"
    return EvalCase(case_id, prompt, graders, "suite", f"test: {case_id}", {"id": case_id, "prompt": prompt, **data})


@pytest.fixture
def skill_dir(tmp_path: Path) -> Path:
    path = tmp_path / "social"
    path.mkdir()
    (path / "SKILL.md").write_text("---\nname: social\ndescription: d\n---\nMarker: plain\n")
    return path


def run(script: str, skill_dir: Path, the_case: EvalCase | None = None, timeout: float = 10) -> Any:
    return run_case(cmd(script), skill="social", version="abc123", skill_dir=skill_dir,
                    case=the_case or case(), timeout=timeout)


# -- one case ------------------------------------------------------------------------------------


def test_a_runner_that_prints_a_session_gives_a_graded_session(skill_dir: Path) -> None:
    outcome = run("runner_ok.py", skill_dir, case(expected="secret", difficulty="easy"))
    assert outcome.error is None
    session = outcome.session
    assert session is not None
    assert session.outcome == "success"
    assert [c.name for c in session.tool_calls] == ["Read", "Edit", "Bash"]
    assert [(s.name, s.how) for s in session.skills] == [("social", "invoked")]
    assert session.final_message == (
        "Marker: plain | case c1 | prompt Fix the test. | version abc123 | keys difficulty,id,prompt,suite"
    )


def test_a_hanging_runner_times_out_and_its_whole_process_group_is_killed(skill_dir: Path, tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    outcome = run("runner_hang.py", skill_dir, case(pidfile=str(pidfile)), timeout=1)
    assert outcome.session is None
    assert outcome.error == "runner timed out after 1s and was killed (with its process group)"
    assert _dies(int(pidfile.read_text()))


def _dies(pid: int) -> bool:
    """SIGKILL is asynchronous: give the kernel a moment to take the process down."""
    deadline = time.monotonic() + 5
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


@pytest.mark.parametrize(
    ("script", "error"),
    [
        ("runner_crash.py", "runner exited with status 3: error: model quota exhausted"),
        ("runner_garbage.py", "runner output is not a trace in any supported format (starts with "
         "'<html><body>502 Bad Gateway</body></html>'); print one session JSON object"),
        ("runner_empty.py", "runner printed nothing on stdout; it must print the trace of its run"),
        ("runner_two_sessions.py", "runner output holds 2 sessions; a runner must print the trace of exactly one run"),
        ("runner_bad_session.py", "runner printed a session object that does not fit the session format "
         "(tool_calls and skills must be lists, meta an object); see docs/evals.md"),
    ],
)
def test_a_failing_runner_is_reported_as_that_cases_error(skill_dir: Path, script: str, error: str) -> None:
    outcome = run(script, skill_dir)
    assert (outcome.session, outcome.error) == (None, error)


def test_a_runner_may_print_native_session_jsonl(skill_dir: Path) -> None:
    outcome = run("runner_native_jsonl.py", skill_dir)
    assert outcome.session is not None
    assert (outcome.session.id, outcome.session.source) == ("n1", "my-agent")
    assert outcome.session.final_message == "Marker: native c1"


def test_a_runner_may_print_a_claude_code_transcript_and_it_is_graded(skill_dir: Path) -> None:
    specs: list[dict[str, Any]] = [
        {"type": "outcome", "expect": "success"},
        {"type": "text", "contains": ["the test passes"]},
        {"type": "tool_sequence", "sequence": ["Skill", {"tool": "Bash", "contains": "pytest"}]},
        {"type": "skill_invocation", "expectSkills": ["social"]},
        {"type": "behavior", "maxTurns": 3, "maxDurationMs": 10000},
    ]
    graders = tuple(GRADERS[s["type"]].from_spec(s, "test", EVALS) for s in specs)
    transcript = shlex.quote(str(EVALS / "trace_claude_code.jsonl"))
    [result] = run_suite(f"cat {transcript}", [EvalCase("c1", "p", graders, None, "t")], skill="social",
                         version="v", skill_dir=skill_dir, timeout=10)
    assert result.passed, result.summary()
    assert len(result.results) == 5


def test_a_crashing_runner_keeps_the_tail_of_its_stderr(skill_dir: Path) -> None:
    assert run("runner_crash.py", skill_dir).stderr_tail == "starting the agent\nerror: model quota exhausted"


@pytest.mark.parametrize(
    ("command", "error"),
    [
        ("no-such-runner-xyz --flag", "runner command not found: 'no-such-runner-xyz'; check the command and PATH"),
        ("'unbalanced", "runner command \"'unbalanced\" cannot be parsed (No closing quotation); fix its quoting"),
        ("   ", "runner command is empty; set it to the program to run"),
    ],
)
def test_a_runner_command_that_cannot_start_is_a_case_error(skill_dir: Path, command: str, error: str) -> None:
    outcome = run_case(command, skill="social", version="v", skill_dir=skill_dir, case=case(), timeout=5)
    assert outcome.error == error


def test_a_runner_command_with_shell_syntax_runs_under_sh(skill_dir: Path) -> None:
    outcome = run_case(f"{cmd('runner_ok.py')} | cat", skill="social", version="v", skill_dir=skill_dir,
                       case=case(), timeout=10)
    assert outcome.error is None and outcome.session is not None


def test_a_runner_sees_the_request_in_its_environment_too(skill_dir: Path) -> None:
    script = (
        "import json, os; print(json.dumps({'outcome': 'success', 'final_message': "
        "' '.join(os.environ[k] for k in ('SKILLGIT_SKILL', 'SKILLGIT_VERSION', 'SKILLGIT_CASE_ID'))}))"
    )
    outcome = run_case(f"{PY} -c {shlex.quote(script)}", skill="social", version="v9", skill_dir=skill_dir,
                       case=case("k1"), timeout=10)
    assert outcome.session is not None and outcome.session.final_message == "social v9 k1"


# -- a suite -------------------------------------------------------------------------------------


SCRIPTS = ["runner_ok.py", "runner_hang.py", "runner_crash.py", "runner_garbage.py"]


@pytest.mark.parametrize("jobs", [1, 4])
def test_each_runner_failure_is_reported_per_case_and_the_run_goes_on(skill_dir: Path, jobs: int) -> None:
    cases = [case(f"c{i}", script=s) for i, s in enumerate(SCRIPTS)]
    seen: list[str] = []
    results = run_suite(cmd("runner_by_case.py"), cases, skill="social", version="v", skill_dir=skill_dir,
                        timeout=1.5, jobs=jobs, progress=lambda c, r: seen.append(c.id))
    assert [r.case_id for r in results] == ["c0", "c1", "c2", "c3"]
    assert sorted(seen) == ["c0", "c1", "c2", "c3"]
    assert results[0].passed and results[0].error is None
    assert [r.passed for r in results[1:]] == [False, False, False]
    assert results[1].error == "runner timed out after 1.5s and was killed (with its process group)"
    assert results[2].error == "runner exited with status 3: error: model quota exhausted"
    assert results[3].error is not None and results[3].error.startswith("runner output is not a trace")
    assert results[3].summary().startswith("c3: ERROR (runner output is not a trace")


def test_every_case_starts_from_a_pristine_copy_of_the_skill(skill_dir: Path) -> None:
    clean = TextGrader(contains=("clean",))
    cases = [EvalCase(i, "p", (clean,), None, f"test: {i}") for i in ("a", "b")]
    results = run_suite(cmd("runner_scribble.py"), cases, skill="social", version="v", skill_dir=skill_dir,
                        timeout=10)
    assert [r.passed for r in results] == [True, True]
    assert "SCRIBBLED" not in (skill_dir / "SKILL.md").read_text()
    assert not (skill_dir / "notes.txt").exists()


def test_a_judged_case_whose_runner_failed_scores_zero(skill_dir: Path) -> None:
    judge = Judge("true", rubric=load_rubric(EVALS / "rubric.json"))
    [result] = run_suite(cmd("runner_crash.py"), [case()], skill="social", version="v", skill_dir=skill_dir,
                         timeout=5, judge=judge)
    assert (result.passed, result.judged, result.score) == (False, True, 0.0)


# -- checking out a version ------------------------------------------------------------------------


def commit_skill(repo: Path, marker: str) -> None:
    skill = repo / "skills" / "social"
    skill.mkdir(parents=True, exist_ok=True)
    (skill / "SKILL.md").write_text(f"---\nname: social\ndescription: d\n---\nMarker: {marker}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"social {marker}")


@pytest.fixture
def repo(empty_repo: Path) -> Path:
    commit_skill(empty_repo, "v1")
    scripts = empty_repo / "skills" / "social" / "scripts"
    scripts.mkdir()
    (scripts / "run.sh").write_text("#!/bin/sh\necho hi\n")
    (scripts / "run.sh").chmod(0o755)
    os.symlink("../SKILL.md", scripts / "skill-link.md")
    os.symlink("../../../outside.txt", scripts / "escape.md")
    commit_skill(empty_repo, "v2")
    (empty_repo / "skills" / "social" / "SKILL.md").write_text("Marker: dirty work tree\n")
    (empty_repo / "untracked.txt").write_text("x")
    return empty_repo


def test_a_runner_receives_the_skill_at_the_requested_version_and_the_work_tree_is_untouched(repo: Path) -> None:
    before = snapshot(repo)
    v1_blob = git(repo, "rev-parse", "HEAD~1:skills/social/SKILL.md").strip()
    with checkout_version(Repo.discover(repo), "HEAD~1", "skills/social") as skill_dir:
        assert skill_dir.name == "social"
        results = run_suite(cmd("runner_ok.py"), [case()], skill="social", version=v1_blob,
                            skill_dir=skill_dir, timeout=10)
        outcome = run_case(cmd("runner_ok.py"), skill="social", version=v1_blob, skill_dir=skill_dir,
                           case=case(), timeout=10)
    assert results[0].passed
    assert outcome.session is not None and outcome.session.final_message is not None
    assert outcome.session.final_message.startswith(f"Marker: v1 | case c1 | prompt Fix the test. | version {v1_blob}")
    assert not skill_dir.exists()
    assert snapshot(repo) == before


def test_a_checkout_reports_its_version_and_keeps_modes_and_inner_symlinks(repo: Path) -> None:
    checkout = checkout_version(Repo.discover(repo), "HEAD", "skills/social/")
    try:
        path = checkout.path
        assert checkout.version == git(repo, "rev-parse", "HEAD:skills/social/SKILL.md").strip()
        assert (path / "SKILL.md").read_text() == "---\nname: social\ndescription: d\n---\nMarker: v2\n"
        assert os.access(path / "scripts" / "run.sh", os.X_OK)
        assert os.readlink(path / "scripts" / "skill-link.md") == "../SKILL.md"
        assert not (path / "scripts" / "escape.md").exists()
        assert checkout.skipped == ["scripts/escape.md"]
    finally:
        checkout.cleanup()


@pytest.mark.parametrize(
    ("rev", "path", "message"),
    [
        ("HEAD", "skills/nope", "skills/nope: no such directory at HEAD"),
        ("HEAD", "skills/social/SKILL.md", "skills/social/SKILL.md: not a skill directory at HEAD"),
        ("no-such-rev", "skills/social", "no-such-rev: no such commit"),
    ],
)
def test_checking_out_something_that_is_not_there_is_a_usage_error(repo: Path, rev: str, path: str,
                                                                   message: str) -> None:
    with pytest.raises(UsageError, match=message):
        checkout_version(Repo.discover(repo), rev, path)
