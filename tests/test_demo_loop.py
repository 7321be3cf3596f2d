"""The demo is an end-to-end test: run `skillgit demo` as a program, then check the repository it left
with git itself (log, trailers, fsck) and with `skillgit verify` and `skillgit expectations`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import git, trailers_of


def skillgit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "skillgit", *args], capture_output=True, text=True, timeout=600,
                          env=dict(os.environ), check=False)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("demo") / "repo"
    env = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "Maintainer",
           "GIT_AUTHOR_EMAIL": "maintainer@example.com", "GIT_COMMITTER_NAME": "Maintainer",
           "GIT_COMMITTER_EMAIL": "maintainer@example.com", "HOME": str(target.parent)}
    result = subprocess.run([sys.executable, "-m", "skillgit", "demo", str(target)], capture_output=True, text=True,
                            timeout=600, env={**os.environ, **env}, check=False)
    assert result.returncode == 0, result.stderr
    return target


def commit_of(repo: Path, event: str, skill: str | None = None) -> str:
    for line in git(repo, "log", "--format=%H %(trailers:key=Skill-Event,valueonly,separator=) "
                              "%(trailers:key=Skill-Name,valueonly,separator=)").splitlines():
        parts = line.split()
        if parts[1:2] == [event] and (skill is None or parts[2:3] == [skill]):
            return parts[0]
    raise AssertionError(f"no {event} {skill} commit")


def test_the_history_is_the_loop_one_event_per_commit(demo: Path) -> None:
    log = git(demo, "log", "--reverse", "--format=%an|%s").splitlines()
    assert log == [
        "Maintainer|Import skills",
        "Maintainer|skillgit: init",
        "Maintainer|skillgit: create changelog",
        "Maintainer|skillgit: refine social",
        "Maintainer|skillgit: rollback social",
        "skillgit-agent|skillgit: refine release",
        "skillgit-agent|skillgit: no-op",
        "skillgit-agent|skillgit: refused family",
        "Maintainer|Trim the release skill: the pitfalls section felt redundant.",
        "Maintainer|skillgit: rollback release",
    ]
    assert git(demo, "status", "--porcelain", "--untracked-files=all") == ""


def test_the_cycle_refine_changes_only_the_skill_and_carries_the_gate_result(demo: Path) -> None:
    refine = commit_of(demo, "refine", "release")
    assert git(demo, "show", "--format=", "--name-only", refine).split() == ["skills/release/SKILL.md"]
    pairs = dict(trailers_of(demo, refine))
    assert pairs["Skill-Eval-Summary"] == "train ok n=2×4; holdout 0.25->1.00 +0.75 [+0.45,+1.00] n=4×4; runs 48"
    assert pairs["Skill-Expected"].startswith("pattern:release.feature_tests < 2 within 5 sessions; else ")
    assert pairs["Skill-Trigger"] == "release: complaints 2, win_rate 0.43 over 7 session(s) (v 3e43b4c)"
    assert git(demo, "log", "-1", "--format=%ae", refine).strip() == "yoyo-bot@example.com"
    added = git(demo, "show", "--format=", refine)
    assert "+- `cargo test --workspace --lib` failed in 5 session(s); what worked: `cargo test --workspace --all-features`." in added


def test_the_next_cycle_is_a_no_op_and_the_creator_skill_a_refused_event(demo: Path) -> None:
    refine, noop = commit_of(demo, "refine", "release"), commit_of(demo, "no-op")
    assert git(demo, "show", "--format=", "--name-only", noop).strip() == ""
    assert dict(trailers_of(demo, noop))["Skill-Parent-Event"] == refine
    refused = dict(trailers_of(demo, commit_of(demo, "refused", "family")))
    assert refused["Skill-Reason"].startswith("SG002: `family` has origin `creator`, not `yoyo`")
    assert refused["Skill-Parent-Event"] == noop


def test_watch_rolled_the_regression_back_to_the_refined_version(demo: Path) -> None:
    manual, rollback = commit_of(demo, "manual", "release"), commit_of(demo, "rollback", "release")
    pairs = dict(trailers_of(demo, rollback))
    assert manual.startswith(pairs["Skill-Rollback-Of"])
    assert pairs["Skill-Reason"].startswith("watch: skills/release: v3 (")
    refine = commit_of(demo, "refine", "release")
    assert git(demo, "diff", refine, rollback, "--", "skills/release") == ""


def test_verify_passes_over_the_whole_history(demo: Path) -> None:
    result = skillgit("-C", str(demo), "verify", "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["commits"] == 10


def test_expectations_grade_the_refines_prediction_a_hit(demo: Path) -> None:
    result = skillgit("-C", str(demo), "expectations", "--skill", "release", "--json")
    assert result.returncode == 0, result.stderr
    grades = json.loads(result.stdout)
    grades = grades if isinstance(grades, list) else grades.get("grades", grades.get("expectations"))
    [grade] = [g for g in grades if g["commit"] == commit_of(demo, "refine", "release")]
    assert grade["status"] == "hit"


def test_git_fsck_is_clean(demo: Path) -> None:
    fsck = subprocess.run(["git", "-C", str(demo), "fsck", "--strict", "--no-dangling"], capture_output=True, text=True,
                          check=False)
    assert fsck.returncode == 0 and fsck.stderr.strip() == ""
