"""Built-in runners and proposers for Claude Code and Codex, driven end to end with stand-in CLIs.

The stand-ins (`tests/samples/agents/claude`, `codex`) take the real CLIs' flags, print their output
formats (stream-json, `exec --json`), exit as they do, and follow the skill they find where each
agent looks for skills in its working directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, SAMPLES, git, trailers_of
from cycle_util import FAILING, WORKING, Clock, configure, failing_release_batch, feed, make_repo

from skillgit.evidence.adapters.native import session_from_dict

STANDINS = SAMPLES / "agents"
SKILL = FIXTURES / "repo" / "skills" / "release"


@pytest.fixture
def on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", f"{STANDINS}{os.pathsep}{os.environ['PATH']}")


def helper(mode: str, agent: str, request: dict, *argv: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **({"PATH": path} if path is not None else {})}
    extra = ["--argv", json.dumps(list(argv))] if argv else []
    return subprocess.run([sys.executable, "-m", "skillgit.agents", mode, agent, *extra], input=json.dumps(request),
                          capture_output=True, text=True, env=env, cwd=str(SKILL), timeout=60)


def run_request(skill_dir: Path, prompt: str) -> dict:
    return {"skill": "release", "version": "0" * 40, "skill_dir": str(skill_dir), "case": {"id": "c1", "prompt": prompt}}


def session_of(stdout: str):  # type: ignore[no-untyped-def]
    header, line = stdout.splitlines()
    assert json.loads(header)["format"] == "skillgit-sessions"
    return session_from_dict(json.loads(line))


@pytest.mark.parametrize(("agent", "skill_path"), [("claude-code", ".claude/skills/release/SKILL.md"),
                                                   ("codex", ".agents/skills/release/SKILL.md")])
def test_the_runner_installs_the_skill_where_the_agent_looks_and_reads_its_output(
    on_path: None, tmp_path: Path, agent: str, skill_path: str
) -> None:
    result = helper("run", agent, run_request(SKILL, "Release 1.5.0. The serde tests are feature-gated."))
    assert result.returncode == 0, result.stderr
    session = session_of(result.stdout)
    read = next(c for c in session.tool_calls if "SKILL.md" in json.dumps(dict(c.args)))
    assert skill_path in json.dumps(dict(read.args))
    assert session.outcome == "failure"  # the fixture skill does not say --all-features
    assert session.meta["agent"] == agent and session.meta["case"] == "c1" and session.meta["exit_code"] == 0
    assert session.started is not None and session.ended is not None and session.ended >= session.started
    fixed = tmp_path / "release"
    fixed.mkdir()
    text = (SKILL / "SKILL.md").read_text().replace("## Procedure", "## Procedure\n\n0. Run `cargo test --workspace --all-features`.")
    (fixed / "SKILL.md").write_text(text)
    good = session_of(helper("run", agent, run_request(fixed, "Release 1.5.0. The serde tests are feature-gated.")).stdout)
    assert good.outcome == "success"
    assert [c.ok for c in good.tool_calls if c.name in ("Bash", "exec_command")][-2:] == [True, True]


def test_the_claude_runner_reports_the_invoked_skill(on_path: None) -> None:
    session = session_of(helper("run", "claude-code", run_request(SKILL, "Release 1.4.1, a docs-only patch.")).stdout)
    assert [(s.name, s.how) for s in session.skills] == [("release", "invoked")]
    assert [c.name for c in session.tool_calls] == ["Skill", "Read", "Bash", "Bash"]
    assert session.meta["format"] == "stream-json" and session.outcome == "success"


def test_an_agent_cli_that_is_not_installed_is_a_clear_runner_error(tmp_path: Path) -> None:
    result = helper("run", "claude-code", run_request(SKILL, "Release"), path=str(tmp_path))
    assert result.returncode == 127 and result.stdout == ""
    assert result.stderr == ("skillgit.agents: `claude` is not on PATH; install Claude Code (`npm install -g @anthropic-ai/claude-code`) "
                             "or set agents.claude-code.argv in skillgit.yaml\n")


def test_an_argv_the_cli_refuses_is_a_runner_error_quoting_it(on_path: None) -> None:
    result = helper("run", "claude-code", run_request(SKILL, "Release"), "claude", "-p", "--output-format", "stream-json")
    assert result.returncode == 1 and result.stdout == ""
    assert "exited with status 1 and printed no claude-stream-json trace" in result.stderr
    assert "requires --verbose" in result.stderr and "agents.claude-code.argv" in result.stderr


def test_codex_outside_a_git_repository_needs_the_skip_flag(on_path: None) -> None:
    result = helper("run", "codex", run_request(SKILL, "Release"), "codex", "exec", "--json")
    assert result.returncode == 1
    assert "Not inside a trusted directory and --skip-git-repo-check was not specified." in result.stderr


def test_a_case_without_a_prompt_is_refused(on_path: None) -> None:
    request = run_request(SKILL, "")
    result = helper("run", "claude-code", request)
    assert result.returncode == 2
    assert result.stderr == "skillgit.agents: case 'c1' has no prompt; the claude-code runner sends the prompt to the agent\n"


def test_eval_run_with_the_built_in_runner_grades_each_case(sg, on_path: None, tmp_path: Path, clock: Clock) -> None:
    repo = make_repo(tmp_path / "repo", clock)
    result = sg(repo, "eval", "run", "release", "--runner", "claude-code", "--json")
    assert result.code == 1, result
    report = json.loads(result.out)
    assert {c["case"]: c["status"] for c in report["train"]} == {"feature-gated-tests": "fail", "docs-only-patch": "pass"}
    assert report["holdout"]["runner_errors"] == 0


@pytest.mark.parametrize("agent", ["claude-code", "codex"])
def test_a_cycle_with_the_built_in_proposer_and_runner_lands_a_refine(
    sg, on_path: None, tmp_path: Path, clock: Clock, agent: str
) -> None:
    repo = make_repo(tmp_path / "repo", clock)
    yaml = (repo / "skillgit.yaml").read_text()
    (repo / "skillgit.yaml").write_text(yaml.replace("runner: python3 tools/eval_runner.py", f"runner: {agent}"))
    git(repo, "commit", "-q", "-am", "Use the built-in runner")
    configure(repo, proposer=agent, proposer_timeout_seconds=60)
    feed(repo, "a.jsonl", failing_release_batch(clock))
    clock.tick(hours=1)
    result = sg(repo, "cycle", "--on-propose", "auto", "--now", clock.iso)
    assert result.code == 0, result
    pairs = dict(trailers_of(repo))
    assert pairs["Skill-Event"] == "refine"
    assert pairs["Skill-Eval-Summary"].startswith("train ok n=2×4; holdout 0.25->1.00 ")
    assert f"(proposer: {agent})" in git(repo, "log", "-1", "--format=%b")
    text = (repo / "skills/release/SKILL.md").read_text()
    assert f"- `{FAILING}` fails on feature-gated tests; run `{WORKING}` instead.\n" in text
    assert "Here is" not in text and "```" not in text
    assert git(repo, "status", "--porcelain") == ""
