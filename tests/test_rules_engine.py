"""The rule set through the engine and through the event commands (real commits, or none)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import git, snapshot
from rulekit import (
    EXPECTED,
    config_with,
    pending,
    refine_message,
    skill_text,
    with_lines,
    write,
)

from skillgit import operations
from skillgit.errors import CheckFailed
from skillgit.policy.engine import check
from skillgit.workspace import Workspace


def test_the_engine_runs_agent_only_rules_on_agent_changes_only(managed_repo: Path) -> None:
    write(managed_repo, {"skills/family/SKILL.md": with_lines(skill_text(managed_repo, "family"), 40)})
    config = Workspace.open(managed_repo).config
    agent_rules = {v.rule for v in check(pending(managed_repo, refine_message("family")), config)}
    assert agent_rules == {"SG002", "SG006"}
    assert check(pending(managed_repo, refine_message("family"), agent=False), config) == []


def test_a_disabled_rule_does_not_run(managed_repo: Path) -> None:
    write(managed_repo, {"skills/family/SKILL.md": with_lines(skill_text(managed_repo, "family"), 40)})
    config = config_with(managed_repo, "policy:\n  disabled: [SG002]\n")
    assert {v.rule for v in check(pending(managed_repo, refine_message("family")), config)} == {"SG006"}


def test_an_agent_create_through_the_command_is_refused_and_commits_nothing(managed_repo: Path) -> None:
    ws = Workspace.open(managed_repo)
    before = snapshot(managed_repo)
    with pytest.raises(CheckFailed) as info:
        operations.create(ws, "lint", expected=EXPECTED, description="Lint the code", agent=True)
    text = str(info.value)
    assert "SG007 skill-file-valid" in text and "SG010 bootstrap" in text
    assert snapshot(managed_repo) == before


def test_an_agent_refine_of_its_own_skill_through_the_command_lands(managed_repo: Path) -> None:
    path = managed_repo / "skills/social/SKILL.md"
    path.write_text(with_lines(path.read_text(encoding="utf-8"), 3), encoding="utf-8")
    result = operations.refine(Workspace.open(managed_repo), "social", expected=EXPECTED,
                               eval_summary="train 1 better 0 worse 2 tie", agent=True)
    assert git(managed_repo, "log", "-1", "--format=%ae").strip() == "yoyo-bot@example.com"
    assert result.event == "refine"


def test_an_agent_refine_of_a_creator_skill_through_the_command_is_refused(managed_repo: Path) -> None:
    path = managed_repo / "skills/family/SKILL.md"
    path.write_text(with_lines(path.read_text(encoding="utf-8"), 3), encoding="utf-8")
    with pytest.raises(CheckFailed, match=r"skills/family/SKILL.md: the skill has `origin: creator`"):
        operations.refine(Workspace.open(managed_repo), "family", expected=EXPECTED,
                          eval_summary="train 1 better 0 worse 2 tie", agent=True)


def test_a_maintainer_record_of_a_creator_skill_passes_every_rule(managed_repo: Path) -> None:
    (managed_repo / "skills/family/SKILL.md").write_text(with_lines(skill_text(managed_repo, "family"), 40), encoding="utf-8")
    result = operations.record(Workspace.open(managed_repo), "family")
    assert result.event == "manual"
