"""The cycle's decision (SPEC §8), each row of the table ending in exactly one event commit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import git, trailers_of
from cycle_util import (
    FAILING,
    WORKING,
    Clock,
    call,
    configure,
    events,
    failing_release_batch,
    feed,
    good_batch,
    head,
    learning,
    make_repo,
    session,
)

BOOTSTRAP_OPEN = "policy:\n  bootstrap_create_from: 1\n  bootstrap_retire_from: 1\n"


@pytest.fixture
def repo(tmp_path: Path, clock: Clock) -> Path:
    return make_repo(tmp_path / "repo", clock)


def cycle(sg, repo: Path, clock: Clock, *args: str):  # type: ignore[no-untyped-def]
    clock.tick(hours=1)
    result = sg(repo, "cycle", "--on-propose", "auto", "--now", clock.iso, *args)
    assert result.code == 0, result
    return result


def test_complaints_refine_the_skill_with_a_pattern_prediction_and_the_eval_summary(sg, repo: Path, clock: Clock) -> None:
    feed(repo, "a.jsonl", failing_release_batch(clock))
    cycle(sg, repo, clock)
    pairs = dict(trailers_of(repo))
    assert pairs["Skill-Event"] == "refine"
    assert pairs["Skill-Name"] == "release"
    assert pairs["Skill-Trigger"].startswith("release: complaints 2, win_rate 0.33 over 6 session(s) (v 3e43b4c)")
    assert pairs["Skill-Expected"].startswith("pattern:release.feature_tests < 2 within 5 sessions; else ")
    assert pairs["Skill-Eval-Summary"] == "train ok n=2×4; holdout 0.25->1.00 +0.75 [+0.45,+1.00] n=4×4; runs 48"
    assert "Skill-Parent-Event" not in pairs
    assert git(repo, "log", "-1", "--format=%an <%ae>").strip() == "skillgit-agent <yoyo-bot@example.com>"
    assert git(repo, "show", "--format=", "--name-only", "HEAD").split() == ["skills/release/SKILL.md"]
    text = (repo / "skills/release/SKILL.md").read_text()
    assert f"- `{FAILING}` failed in 6 session(s); what worked: `{WORKING}`." in text
    assert git(repo, "status", "--porcelain") == ""


def test_a_low_win_rate_refines_with_a_win_rate_prediction(sg, repo: Path, clock: Clock) -> None:
    feed(repo, "a.jsonl", [session(f"s{i}", clock.tick(hours=2), success=i == 0, retry=True) for i in range(4)])
    cycle(sg, repo, clock)
    pairs = dict(trailers_of(repo))
    assert pairs["Skill-Event"] == "refine"
    assert pairs["Skill-Expected"].startswith("win_rate >= 0.6 within 5 sessions; else ")


def test_the_next_cycle_names_the_last_cycle_event_as_its_parent(sg, repo: Path, clock: Clock) -> None:
    feed(repo, "a.jsonl", failing_release_batch(clock))
    cycle(sg, repo, clock)
    first = head(repo)
    feed(repo, "b.jsonl", good_batch(clock, "b"))
    cycle(sg, repo, clock)
    assert events(repo)[:2] == ["no-op", "refine"]
    assert dict(trailers_of(repo))["Skill-Parent-Event"] == first


def test_a_skill_changed_since_init_is_not_refined_again_sg009(sg, repo: Path, clock: Clock) -> None:
    path = repo / "skills/release/SKILL.md"
    path.write_text(path.read_text() + "\nA maintainer's note.\n")
    assert sg(repo, "record", "release").code == 0
    feed(repo, "a.jsonl", failing_release_batch(clock))
    result = cycle(sg, repo, clock)
    assert events(repo)[0] == "no-op"
    assert "refine release skipped: changed within the last 3 cycle events (SG009)" in dict(trailers_of(repo))["Skill-Trigger"]
    assert "note: refine release skipped" in result.err


def test_a_creator_skill_that_fails_becomes_a_refused_event_naming_sg002(sg, repo: Path, clock: Clock) -> None:
    feed(repo, "a.jsonl", [session(f"f{i}", clock.tick(hours=2), skill="family", success=False,
                                   calls=[call("gh api repos/{owner}/{repo}/forks", False)]) for i in range(3)])
    cycle(sg, repo, clock)
    pairs = dict(trailers_of(repo))
    assert pairs["Skill-Event"] == "refused"
    assert pairs["Skill-Name"] == "family"
    assert pairs["Skill-Reason"].startswith("SG002: `family` has origin `creator`, not `yoyo`")
    assert git(repo, "show", "--format=", "--name-only", "HEAD").strip() == ""


@pytest.mark.parametrize(("config", "kind", "rule"), [
    (BOOTSTRAP_OPEN, "meta-suggestion", None),
    ("", "refused", "SG003"),
])
def test_the_evolvers_own_skill_gets_a_meta_suggestion_once_bootstrap_allows_it(
    sg, tmp_path: Path, clock: Clock, config: str, kind: str, rule: str | None
) -> None:
    repo = make_repo(tmp_path / "repo", clock, config)
    feed(repo, "a.jsonl", [session(f"e{i}", clock.tick(hours=2), skill="skill-evolve", success=False,
                                   calls=[call("skillgit cycle", False)]) for i in range(3)])
    cycle(sg, repo, clock)
    pairs = dict(trailers_of(repo))
    assert pairs["Skill-Event"] == kind
    assert pairs["Skill-Name"] == "skill-evolve"
    assert "evolver's own skill" in pairs["Skill-Reason"]
    if rule:
        assert pairs["Skill-Reason"].startswith(rule)


def test_a_recurring_uncovered_pattern_creates_a_candidate_skill(sg, tmp_path: Path, clock: Clock) -> None:
    repo = make_repo(tmp_path / "repo", clock, BOOTSTRAP_OPEN)
    records = good_batch(clock, "g")
    for day in range(3):
        records.append(learning(clock.tick(days=1), "deploy.ssh_timeout", title="Deploy timed out over SSH",
                                takeaway="Use `rsync --timeout=30` instead of scp for the deploy"))
    feed(repo, "a.jsonl", records)
    cycle(sg, repo, clock)
    pairs = dict(trailers_of(repo))
    assert pairs["Skill-Event"] == "create"
    assert pairs["Skill-Name"] == "deploy-ssh-timeout"
    assert pairs["Skill-Version"].startswith("0000000..")
    assert pairs["Skill-Expected"].startswith("pattern:deploy.ssh_timeout < 3 within 5 sessions; else retire deploy-ssh-timeout")
    text = (repo / "skills/deploy-ssh-timeout/SKILL.md").read_text()
    assert 'description: "[CANDIDATE — unreviewed] Avoid: Deploy timed out over SSH"' in text
    assert "origin: yoyo" in text
    assert "- Use `rsync --timeout=30` instead of scp for the deploy" in text


def test_a_create_before_the_agents_second_real_event_is_deferred_by_sg010(sg, repo: Path, clock: Clock) -> None:
    records = good_batch(clock, "g")
    records += [learning(clock.tick(days=1), "deploy.ssh_timeout") for _ in range(3)]
    feed(repo, "a.jsonl", records)
    cycle(sg, repo, clock)
    pairs = dict(trailers_of(repo))
    assert pairs["Skill-Event"] == "no-op"
    assert "create deploy-ssh-timeout deferred: SG010 bootstrap allows create from the agent's 2nd real event" in pairs["Skill-Trigger"]


def test_a_rule_that_policy_disabled_turns_off_does_not_hold_the_cycle_back(tmp_path: Path, clock: Clock) -> None:
    """The cycle reads `policy.disabled` as the hooks and `verify` do (a real `skillgit cycle` process): with SG010
    off, the create it would defer is made; with SG009 off, the skill a maintainer just changed is refined; and
    `verify` passes the event the cycle committed."""
    def run(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "skillgit", "-C", str(repo), *args], capture_output=True, text=True,
                              timeout=300)

    created = make_repo(tmp_path / "created", clock, "policy:\n  disabled: [SG010]\n")
    feed(created, "a.jsonl", good_batch(clock, "g") + [learning(clock.tick(days=1), "deploy.ssh_timeout") for _ in range(3)])
    refined = make_repo(tmp_path / "refined", clock, "policy:\n  disabled: [SG009]\n")
    path = refined / "skills/release/SKILL.md"
    path.write_text(path.read_text() + "\nA maintainer's note.\n")
    assert run(refined, "record", "release").returncode == 0
    feed(refined, "a.jsonl", failing_release_batch(clock))
    for repo, event, name in ((created, "create", "deploy-ssh-timeout"), (refined, "refine", "release")):
        clock.tick(hours=1)
        result = run(repo, "cycle", "--on-propose", "auto", "--now", clock.iso)
        assert result.returncode == 0, result.stderr
        pairs = dict(trailers_of(repo))
        assert (pairs["Skill-Event"], pairs["Skill-Name"]) == (event, name), pairs
        assert "deferred" not in pairs["Skill-Trigger"] and "skipped" not in pairs["Skill-Trigger"]
        checked = run(repo, "verify", "HEAD~1..HEAD")
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_real_event_the_agent_committed_under_a_maintainers_name_counts_for_sg010(
    sg, repo: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the agent's refine, authored as the maintainer but committed by the agent's identity: the
    # policy counts it as the agent's (author or committer), so the cycle must count it too
    clock.tick(minutes=5)
    skill = repo / "skills/release/SKILL.md"
    skill.write_text(skill.read_text(encoding="utf-8") + "\n- Run the full test suite before tagging.\n", encoding="utf-8")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "yoyo-bot")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "yoyo-bot@example.com")
    git(repo, "commit", "-q", "--no-verify", "-am",
        "refine(release): run the full suite\n\nSkill-Event: refine\nSkill-Name: release")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Maintainer")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "maintainer@example.com")
    assert git(repo, "log", "-1", "--format=%ae %ce").split() == ["maintainer@example.com", "yoyo-bot@example.com"]
    records = good_batch(clock, "g")
    records += [learning(clock.tick(days=1), "deploy.ssh_timeout") for _ in range(3)]
    feed(repo, "a.jsonl", records)
    cycle(sg, repo, clock)
    pairs = dict(trailers_of(repo))
    assert pairs["Skill-Event"] == "create", pairs
    assert pairs["Skill-Name"] == "deploy-ssh-timeout"


def test_an_unused_low_score_skill_is_retired_to_the_attic(sg, tmp_path: Path, clock: Clock) -> None:
    repo = make_repo(tmp_path / "repo", clock, BOOTSTRAP_OPEN)
    feed(repo, "a.jsonl", good_batch(clock, "g", n=12))
    cycle(sg, repo, clock)
    pairs = dict(trailers_of(repo))
    assert pairs["Skill-Event"] == "retire"
    assert pairs["Skill-Name"] == "blindspot"
    assert "unused for 12 session(s)" in pairs["Skill-Trigger"]
    assert not (repo / "skills/blindspot").exists()
    assert (repo / "skills_attic/blindspot/SKILL.md").is_file()
    assert git(repo, "status", "--porcelain") == ""


def test_retire_keeps_min_active_skills(sg, tmp_path: Path, clock: Clock) -> None:
    repo = make_repo(tmp_path / "repo", clock, BOOTSTRAP_OPEN)
    configure(repo, min_active=8)
    feed(repo, "a.jsonl", good_batch(clock, "g", n=12))
    cycle(sg, repo, clock)
    pairs = dict(trailers_of(repo))
    assert pairs["Skill-Event"] == "no-op"
    assert "retire blindspot skipped: only 7 active (cycle.min_active 8)" in pairs["Skill-Trigger"]


def test_a_skill_without_evals_cannot_pass_sg012_so_its_refine_is_refused(sg, repo: Path, clock: Clock) -> None:
    feed(repo, "a.jsonl", [session(f"s{i}", clock.tick(hours=2), skill="social", success=i == 0,
                                   calls=[call("gh api graphql -f query=@reply.graphql", False),
                                          call("gh api graphql -f query=@reply.graphql", False),
                                          call("gh api graphql -F query=@reply.graphql", i == 0)]) for i in range(4)])
    cycle(sg, repo, clock)
    pairs = dict(trailers_of(repo))
    assert pairs["Skill-Event"] == "refused"
    assert pairs["Skill-Name"] == "social"
    assert pairs["Skill-Reason"].startswith("no evals: no evals for skill `social`")
    assert (repo / "skills/social/SKILL.md").read_text() == git(repo, "show", "HEAD~1:skills/social/SKILL.md")


def test_a_candidate_the_eval_gate_rejects_is_refused_with_the_numbers(sg, repo: Path, clock: Clock) -> None:
    records = [session(f"s{i}", clock.tick(hours=2), success=False,
                       calls=[call("git push origin --tags", False), call("git push origin --tag", False),
                              call("git push origin --tags --force", True)]) for i in range(4)]
    feed(repo, "a.jsonl", records)
    before = (repo / "skills/release/SKILL.md").read_bytes()
    cycle(sg, repo, clock)
    pairs = dict(trailers_of(repo))
    assert pairs["Skill-Event"] == "refused"
    # The candidate changes nothing the scripted runner rewards: three rounds until the holdout's
    # interval lies below min_effect (the train guard is still open then).
    assert pairs["Skill-Eval-Summary"] == "train open n=2×12; holdout 0.25->0.25 +0.00 [-0.11,+0.11] n=4×12; runs 144"
    assert pairs["Skill-Reason"] == "eval gate: holdout 0.25->0.25 +0.00 [-0.11,+0.11] n=4×12: the interval is below min_effect 0.12"
    assert (repo / "skills/release/SKILL.md").read_bytes() == before
    assert git(repo, "show", "--format=", "--name-only", "HEAD").strip() == ""


def test_the_cycle_budget_stops_the_gate_and_the_cycle_records_an_inconclusive_refusal(sg, repo: Path, clock: Clock) -> None:
    config = repo / "skillgit.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("eval:\n", "eval:\n  cycle_budget: 100\n"), encoding="utf-8")
    git(repo, "commit", "-q", "-am", "Cap the cycle's gate at 100 agent runs")
    records = [session(f"s{i}", clock.tick(hours=2), success=False,
                       calls=[call("git push origin --tags", False), call("git push origin --tag", False),
                              call("git push origin --tags --force", True)]) for i in range(4)]
    feed(repo, "a.jsonl", records)
    cycle(sg, repo, clock)
    pairs = dict(trailers_of(repo))
    assert pairs["Skill-Event"] == "refused"
    # Without the cap this candidate is rejected after 144 runs (the test above); with it the gate
    # stops after the rounds that fit in 100 runs, and says so.
    assert pairs["Skill-Reason"].startswith("eval gate: inconclusive after 96 runs (the budget of 100 agent runs): ")
    assert pairs["Skill-Eval-Summary"].endswith("; runs 96")
    assert sg(repo, "verify").code == 0
