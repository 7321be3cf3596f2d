"""Where the cycle's event lands: on_propose ask | auto | disabled, --branch, --dry-run, and a moving HEAD."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest
from conftest import SAMPLES, git, snapshot, trailers_of
from cycle_util import (
    Clock,
    events,
    failing_release_batch,
    feed,
    good_batch,
    head,
    make_repo,
)


@pytest.fixture
def repo(tmp_path: Path, clock: Clock) -> Path:
    repo = make_repo(tmp_path / "repo", clock)
    feed(repo, "a.jsonl", failing_release_batch(clock))
    clock.tick(hours=1)
    return repo


def refs(repo: Path) -> str:
    return git(repo, "for-each-ref", "--format=%(refname) %(objectname)")


def test_disabled_writes_a_patch_that_git_am_applies_and_commits_nothing(sg, repo: Path, clock: Clock) -> None:
    before, before_refs = snapshot(repo), refs(repo)
    result = sg(repo, "cycle", "--on-propose", "disabled", "--now", clock.iso)
    assert result.code == 0, result
    patch = repo / ".git/skillgit/proposals/release.patch"
    assert f"patch written to {patch}" in result.out
    assert snapshot(repo) == before and refs(repo) == before_refs
    git(repo, "am", "-q", str(patch))
    pairs = dict(trailers_of(repo))
    assert pairs["Skill-Event"] == "refine"
    assert pairs["Skill-Eval-Summary"].startswith("train ok n=2×4; holdout ")
    assert git(repo, "log", "-1", "--format=%an <%ae>").strip() == "skillgit-agent <yoyo-bot@example.com>"
    assert "--all-features" in (repo / "skills/release/SKILL.md").read_text()
    assert sg(repo, "verify").code == 0


def test_disabled_records_no_empty_event_either(sg, tmp_path: Path, clock: Clock) -> None:
    repo = make_repo(tmp_path / "repo", clock)
    feed(repo, "a.jsonl", good_batch(clock, "g"))
    before = snapshot(repo)
    result = sg(repo, "cycle", "--on-propose", "disabled", "--now", clock.iso)
    assert result.code == 0
    assert "on_propose disabled: `no-op` not recorded" in result.out
    assert snapshot(repo) == before


def test_ask_without_a_terminal_leaves_a_proposal_branch_and_head_untouched(sg, repo: Path, clock: Clock) -> None:
    before = snapshot(repo)
    result = sg(repo, "cycle", "--on-propose", "ask", "--now", clock.iso)
    assert result.code == 0, result
    branch = git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/skillgit/proposal/").strip()
    assert branch.startswith("skillgit/proposal/release-")
    assert f"no terminal to ask on; committed to branch {branch}, HEAD untouched" in result.out
    assert snapshot(repo) == before
    assert git(repo, "rev-parse", f"{branch}~1").strip() == before[0]
    assert events(repo, branch)[0] == "refine"
    again = sg(repo, "cycle", "--on-propose", "ask", "--now", clock.iso)
    assert f"already proposed on branch {branch}; nothing was committed" in again.out
    git(repo, "merge", "-q", "--ff-only", branch)
    assert sg(repo, "verify").code == 0


@pytest.mark.parametrize("apply", [True, False])
def test_ask_shows_the_diff_and_the_eval_delta_then_applies_or_discards(repo: Path, clock: Clock, apply: bool) -> None:
    from skillgit.cycle.model import CycleOptions
    from skillgit.cycle.run import run_cycle
    from skillgit.workspace import Workspace

    shown: list[str] = []

    def confirm(text: str) -> bool:
        shown.append(text)
        return apply

    before = snapshot(repo)
    result = run_cycle(Workspace.open(repo), CycleOptions(on_propose="ask", now=clock.now, confirm=confirm))
    assert "Eval gate:" in shown[0] and "holdout 0.25->1.00 +0.75 [+0.45,+1.00] n=4×4" in shown[0]
    assert "+- `cargo test --workspace --lib` failed in 6 session(s)" in shown[0]
    if apply:
        assert result.status == "committed"
        assert events(repo)[0] == "refine"
    else:
        assert result.status == "discarded"
        assert snapshot(repo) == before
        assert Path(result.patch or "").is_file()


def test_branch_commits_the_event_to_a_new_branch_without_checking_it_out(sg, repo: Path, clock: Clock) -> None:
    before = snapshot(repo)
    result = sg(repo, "cycle", "--on-propose", "auto", "--branch", "evolve/release", "--now", clock.iso)
    assert result.code == 0, result
    assert snapshot(repo) == before
    assert events(repo, "evolve/release")[0] == "refine"
    assert git(repo, "rev-parse", "evolve/release~1").strip() == before[0]
    assert git(repo, "branch", "--show-current").strip() == "main"


@pytest.mark.parametrize(("args", "message"), [
    (("--branch", "main"), "branch main already exists; --branch needs a new branch name."),
    (("--branch", "bad..name"), "'bad..name' is not a valid branch name"),
    (("--branch", "x", "--on-propose", "disabled"), "--branch commits to a new branch, --on-propose disabled commits nothing"),
])
def test_bad_branch_options_are_usage_errors(sg, repo: Path, clock: Clock, args: tuple[str, ...], message: str) -> None:
    before = snapshot(repo)
    result = sg(repo, "cycle", "--now", clock.iso, *args)
    assert result.code == 2
    assert message in result.err
    assert snapshot(repo) == before


def test_dry_run_writes_nothing_and_shows_what_would_be_recorded(sg, repo: Path, clock: Clock) -> None:
    before, before_refs = snapshot(repo), refs(repo)
    result = sg(repo, "cycle", "--dry-run", "--on-propose", "auto", "--now", clock.iso)
    assert result.code == 0, result
    assert "dry run: would record `refine` for release" in result.out
    assert "Skill-Eval-Summary: train ok n=2×4; holdout 0.25->1.00 +0.75 [+0.45,+1.00] n=4×4; runs 48" in result.out
    assert "+- `cargo test --workspace --lib` failed" in result.out
    assert snapshot(repo) == before and refs(repo) == before_refs
    assert not (repo / ".git/skillgit/proposals").exists()


def test_a_commit_landing_while_the_gate_runs_aborts_the_cycle_with_nothing_lost(sg, repo: Path, clock: Clock,
                                                                               channel) -> None:  # type: ignore[no-untyped-def]
    runner = f"{sys.executable} {SAMPLES / 'sandbox' / 'signal_runner.py'} {channel.port} gate tools/eval_runner.py"

    def maintainer() -> None:
        try:
            channel.wait_for("runner")
            (repo / "NOTES.md").write_text("A maintainer's note, committed while the cycle runs.\n")
            git(repo, "add", "NOTES.md")
            git(repo, "commit", "-q", "-m", "Concurrent work")
        finally:
            channel.release("gate")

    thread = threading.Thread(target=maintainer)
    thread.start()
    result = sg(repo, "cycle", "--on-propose", "auto", "--now", clock.iso, "--runner", runner)
    thread.join()
    assert result.code == 4, result
    assert "HEAD moved while" in result.err
    assert git(repo, "log", "-1", "--format=%s").strip() == "Concurrent work"
    assert events(repo)[:2] == ["", "init"]
    assert git(repo, "status", "--porcelain") == ""
    assert (repo / "NOTES.md").is_file()


def test_json_output_describes_the_event(sg, repo: Path, clock: Clock) -> None:
    import json

    result = sg(repo, "cycle", "--json", "--on-propose", "auto", "--now", clock.iso)
    data = json.loads(result.out)
    assert data["status"] == "committed"
    assert data["event"] == "refine" and data["skill"] == "release"
    assert data["commit"] == head(repo)
    assert data["gate"]["accepted"] is True
    assert data["trailers"]["Skill-Name"] == "release"


def test_an_eval_runner_cannot_write_into_the_repository(sg, repo: Path, clock: Clock) -> None:
    social = (repo / "skills/social/SKILL.md").read_bytes()
    runner = f"{sys.executable} {SAMPLES / 'cycle' / 'dirty_runner.py'} {repo} tools/eval_runner.py"
    result = sg(repo, "cycle", "--on-propose", "auto", "--now", clock.iso, "--runner", runner)
    assert result.code == 0, result
    assert events(repo)[0] == "refine"
    assert (repo / "skills/social/SKILL.md").read_bytes() == social
    assert git(repo, "status", "--porcelain") == ""
