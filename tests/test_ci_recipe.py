"""The GitHub Actions recipe in docs/ci.md, run locally: the same shell step, with the event's values."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, as_agent, git
from hookkit import add_lines, agent_refine, commit, edit, make_managed

ZERO = "0" * 40


def verify_step() -> tuple[str, list[str]]:
    """The `run:` script of the workflow's verify step and the names of its `env:`."""
    from skillgit.yamlio import load_yaml

    text = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(# \.github/workflows/.*?)```", text, re.DOTALL)
    assert block, "docs/ci.md has no workflow block"
    workflow = load_yaml(block.group(1), "docs/ci.md")
    job = workflow["jobs"]["verify"]
    checkout = job["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@") and checkout["with"]["fetch-depth"] == 0
    step = next(s for s in job["steps"] if s.get("name") == "skillgit verify")
    return step["run"], list(step["env"])


@pytest.fixture
def ci(empty_repo: Path, tmp_path: Path) -> tuple[Path, Path]:
    """(a developer's repo with `origin`, the runner's full clone of origin)."""
    make_managed(empty_repo)
    remote = tmp_path / "origin.git"
    git(empty_repo, "init", "-q", "--bare", str(remote))
    git(empty_repo, "remote", "add", "origin", str(remote))
    git(empty_repo, "push", "-q", "origin", "main")
    runner = tmp_path / "runner"
    git(tmp_path, "clone", "-q", "--no-checkout", str(remote), str(runner))
    git(runner, "remote", "set-head", "origin", "-d")  # actions/checkout leaves no origin/HEAD
    return empty_repo, runner


def run_step(runner: Path, tmp_path: Path, **values: str) -> tuple[subprocess.CompletedProcess[str], str]:
    script, names = verify_step()
    git(runner, "fetch", "-q", "origin", "+refs/heads/*:refs/remotes/origin/*")
    summary = tmp_path / "step_summary.md"
    summary.write_text("")
    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(summary), "DEFAULT_BRANCH": "main"}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env["PATH"]
    for name in names:
        env.setdefault(name, "")
    env.update(values)
    result = subprocess.run(["bash", "-e", "-c", script], cwd=runner, capture_output=True, text=True, env=env, check=False)
    return result, summary.read_text()


def sha(repo: Path, rev: str) -> str:
    return git(repo, "rev-parse", rev).strip()


def test_a_pull_request_with_a_bypassed_rule_fails_with_annotations(ci: tuple[Path, Path], tmp_path: Path) -> None:
    dev, runner = ci
    base = sha(dev, "main")
    git(dev, "checkout", "-q", "-b", "feature")
    edit(dev, "skills/family/SKILL.md", add_lines(1))
    assert commit(dev, "Agent edit\n", env=as_agent(), no_verify=True).returncode == 0
    git(dev, "push", "-q", "origin", "feature")
    result, summary = run_step(runner, tmp_path, EVENT="pull_request", PR_BASE=base, PR_HEAD=sha(dev, "feature"))
    assert result.returncode == 1, result.stderr
    assert "::error file=skills/family/SKILL.md,title=SG002 allow-list::" in result.stdout
    assert "SG002" in summary


def test_a_clean_pull_request_passes(ci: tuple[Path, Path], tmp_path: Path) -> None:
    dev, runner = ci
    base = sha(dev, "main")
    git(dev, "checkout", "-q", "-b", "feature")
    agent_refine(dev, "social")
    git(dev, "push", "-q", "origin", "feature")
    result, summary = run_step(runner, tmp_path, EVENT="pull_request", PR_BASE=base, PR_HEAD=sha(dev, "feature"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no violations" in summary


def test_a_push_checks_before_to_after(ci: tuple[Path, Path], tmp_path: Path) -> None:
    dev, runner = ci
    before = sha(dev, "main")
    agent_refine(dev, "social")
    edit(dev, "skills/family/SKILL.md", add_lines(1))
    assert commit(dev, "Agent edit\n", env=as_agent(), no_verify=True).returncode == 0
    git(dev, "push", "-q", "origin", "main")
    result, _ = run_step(runner, tmp_path, EVENT="push", BEFORE=before, AFTER=sha(dev, "main"))
    assert result.returncode == 1
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error ")]
    assert errors and all(sha(dev, "main")[:12] in line for line in errors)


def test_a_push_that_creates_a_branch_checks_only_the_new_commits(ci: tuple[Path, Path], tmp_path: Path) -> None:
    dev, runner = ci
    edit(dev, "skills/family/SKILL.md", add_lines(1))
    assert commit(dev, "Agent edit on main\n", env=as_agent(), no_verify=True).returncode == 0
    git(dev, "push", "-q", "origin", "main")  # an old problem, already on the default branch
    git(dev, "checkout", "-q", "-b", "feature")
    agent_refine(dev, "social")
    git(dev, "push", "-q", "origin", "feature")
    result, summary = run_step(runner, tmp_path, EVENT="push", BEFORE=ZERO, AFTER=sha(dev, "feature"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 commits checked" in summary or "no violations" in summary
