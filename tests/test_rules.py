"""Policy rules SG001–SG004 on real repositories: each rule has a failing and a passing case.

The change is built with the git CLI (files written and staged, `git write-tree`), then turned into
the Change the rules see with `skillgit.policy.changes.pending_change`, as commands and hooks do.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from conftest import git
from rulekit import (
    check,
    commit,
    message,
    new_skill,
    pending,
    refine_message,
    rule_ids,
    skill_text,
    with_lines,
    write,
)

from skillgit import trailers as T
from skillgit.config import Config
from skillgit.policy.engine import check as check_all
from skillgit.workspace import Workspace

# -- SG001 event-trailers ------------------------------------------------------------------------


def test_sg001_rejects_an_event_without_its_required_trailers(managed_repo: Path) -> None:
    write(managed_repo, {"skills/social/SKILL.md": with_lines(skill_text(managed_repo, "social"), 1)})
    found = check("SG001", pending(managed_repo, message("refine", "social")), repo=managed_repo)
    assert any("Skill-Version" in v.message for v in found)


def test_sg001_accepts_a_complete_refine_event(managed_repo: Path) -> None:
    write(managed_repo, {"skills/social/SKILL.md": with_lines(skill_text(managed_repo, "social"), 1)})
    assert check("SG001", pending(managed_repo, refine_message("social")), repo=managed_repo) == []


# -- SG002 allow-list ----------------------------------------------------------------------------


def test_sg002_refuses_an_agent_commit_editing_a_creator_skill(managed_repo: Path) -> None:
    write(managed_repo, {"skills/family/SKILL.md": with_lines(skill_text(managed_repo, "family"), 2)})
    found = check("SG002", pending(managed_repo, refine_message("family")), repo=managed_repo)
    assert [v.render() for v in found] == [
        ("skills/family/SKILL.md: the skill has `origin: creator`; an agent commit may only change skills with "
        "`origin: yoyo` (SG002 allow-list). Leave this skill to a maintainer (a manual event), or have a "
        "maintainer set `origin: yoyo` on it first.")
    ]


def test_sg002_refuses_flipping_origin_from_creator_to_the_agent(managed_repo: Path) -> None:
    text = skill_text(managed_repo, "family").replace("origin: creator", "origin: yoyo")
    write(managed_repo, {"skills/family/SKILL.md": text})
    found = check("SG002", pending(managed_repo, refine_message("family")), repo=managed_repo)
    assert [v.render() for v in found] == [
        ("skills/family/SKILL.md: frontmatter key `origin` changed from `creator` to `yoyo` in an agent commit "
        "(SG002 allow-list). Only a maintainer may change ownership; commit it as a manual event.")
    ]


def test_sg002_refuses_an_agent_setting_core_on_its_own_skill(managed_repo: Path) -> None:
    text = skill_text(managed_repo, "social").replace("origin: yoyo", "origin: yoyo\ncore: true")
    write(managed_repo, {"skills/social/SKILL.md": text})
    found = check("SG002", pending(managed_repo, refine_message("social")), repo=managed_repo)
    assert [v.message for v in found] == ["frontmatter key `core` changed from `(not true)` to `true` in an agent commit"]


def test_sg002_refuses_a_skill_without_origin(managed_repo: Path) -> None:
    write(managed_repo, {"skills/research/notes.md": "sources\n"})
    found = check("SG002", pending(managed_repo, message("manual", "research")), repo=managed_repo)
    assert [v.message for v in found] == [
        "the skill has no `origin` (owner unknown); an agent commit may only change skills with `origin: yoyo`"
    ]


def test_sg002_refuses_unparseable_frontmatter_in_an_agent_commit(managed_repo: Path) -> None:
    write(managed_repo, {"skills/social/SKILL.md": "no frontmatter here\n"})
    found = check("SG002", pending(managed_repo, refine_message("social")), repo=managed_repo)
    assert len(found) == 1 and "cannot be parsed" in found[0].message and found[0].path == "skills/social/SKILL.md"


def test_sg002_checks_an_untouched_skill_file_through_the_tree(managed_repo: Path) -> None:
    write(managed_repo, {"skills/family/notes.md": "extra\n"})
    found = check("SG002", pending(managed_repo, message("manual", "family")), repo=managed_repo)
    assert [v.path for v in found] == ["skills/family/SKILL.md"]


def test_sg002_allows_an_agent_refine_of_its_own_skill(managed_repo: Path) -> None:
    write(managed_repo, {"skills/social/SKILL.md": with_lines(skill_text(managed_repo, "social"), 2)})
    assert check("SG002", pending(managed_repo, refine_message("social")), repo=managed_repo) == []


def test_sg002_allows_an_agent_create_with_its_origin_and_refuses_another(managed_repo: Path) -> None:
    write(managed_repo, {"skills/lint/SKILL.md": new_skill("lint")})
    assert check("SG002", pending(managed_repo, message("create", "lint")), repo=managed_repo) == []
    write(managed_repo, {"skills/lint/SKILL.md": new_skill("lint", origin="creator")})
    assert rule_ids(check("SG002", pending(managed_repo, message("create", "lint")), repo=managed_repo)) == ["SG002"]


def test_sg002_does_not_run_on_a_maintainer_commit(managed_repo: Path) -> None:
    text = skill_text(managed_repo, "family").replace("origin: creator", "origin: yoyo")
    write(managed_repo, {"skills/family/SKILL.md": text})
    change = pending(managed_repo, message("manual", "family", (T.VERSION, "1111111..2222222")), agent=False)
    assert check_all(change, Workspace.open(managed_repo).config) == []


# -- SG003 no-self-edit --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "what"),
    [
        ("skills/skill-evolve/SKILL.md", "the evolver's own skill `skill-evolve` (agent.self_skill)"),
        ("skills_attic/skill-evolve/SKILL.md", "the evolver's own skill `skill-evolve` (agent.self_skill)"),
        ("skillgit.yaml", "a protected path (`skillgit.yaml`, policy.protected_paths)"),
        (".github/workflows/skills.yml", "a protected path (`.github/**`, policy.protected_paths)"),
        ("hooks/pre-commit", "a protected path (`hooks/**`, policy.protected_paths)"),
        ("skills/social/evals/holdout.jsonl", "a sealed holdout file"),
        ("skills/social/evals/holdout.lock.json", "a sealed holdout file"),
    ],
)
def test_sg003_refuses_an_agent_touching_a_protected_file(managed_repo: Path, path: str, what: str) -> None:
    existing = managed_repo / path
    data = existing.read_text(encoding="utf-8") + "# edited\n" if existing.exists() else "x: 1\n"
    write(managed_repo, {path: data})
    found = check("SG003", pending(managed_repo, "Tweak\n"), repo=managed_repo)
    assert [(v.path, v.message) for v in found] == [(path, f"an agent commit changes {what}")]


def test_sg003_allows_an_agent_editing_its_own_skill_files(managed_repo: Path) -> None:
    write(managed_repo, {"skills/social/SKILL.md": with_lines(skill_text(managed_repo, "social"), 1),
                         "skills/social/evals/evals.yaml": "version: 1\n"})
    assert check("SG003", pending(managed_repo, refine_message("social")), repo=managed_repo) == []


# -- SG004 one-mutation-per-commit ---------------------------------------------------------------


def test_sg004_refuses_a_plain_commit_touching_two_skills(managed_repo: Path) -> None:
    write(managed_repo, {"skills/social/SKILL.md": with_lines(skill_text(managed_repo, "social"), 1),
                         "skills/release/SKILL.md": with_lines(skill_text(managed_repo, "release"), 1)})
    found = check("SG004", pending(managed_repo, "Tidy two skills\n", agent=False), repo=managed_repo)
    assert [v.message for v in found] == ["a commit that is not a skill event changes 2 skills (`release`, `social`)"]


def test_sg004_refuses_an_agents_two_skills_even_before_the_message_is_known(managed_repo: Path) -> None:
    write(managed_repo, {"skills/social/a.md": "a\n", "skills/release/b.md": "b\n"})
    assert rule_ids(check("SG004", pending(managed_repo, None, agent=True), repo=managed_repo)) == ["SG004"]


def test_sg004_leaves_a_maintainers_two_skills_to_the_message_hook(managed_repo: Path) -> None:
    # before the message is known: commit-msg will name both skills in one `manual` event
    write(managed_repo, {"skills/social/a.md": "a\n", "skills/release/b.md": "b\n"})
    assert rule_ids(check("SG004", pending(managed_repo, None, agent=False), repo=managed_repo)) == []


def test_sg004_allows_a_plain_commit_touching_one_skill_and_other_files(managed_repo: Path) -> None:
    write(managed_repo, {"skills/social/SKILL.md": with_lines(skill_text(managed_repo, "social"), 1), "README.md": "hi\n"})
    assert check("SG004", pending(managed_repo, "Tidy\n", agent=False), repo=managed_repo) == []


def test_sg004_refuses_a_refine_event_that_also_changes_another_skill(managed_repo: Path) -> None:
    write(managed_repo, {"skills/social/SKILL.md": with_lines(skill_text(managed_repo, "social"), 1),
                         "skills/release/SKILL.md": with_lines(skill_text(managed_repo, "release"), 1)})
    found = check("SG004", pending(managed_repo, refine_message("social")), repo=managed_repo)
    assert [v.message for v in found] == ["the `refine` event for `social` also changes `release`"]


def test_sg004_refuses_a_refine_that_does_not_edit_skill_md(managed_repo: Path) -> None:
    write(managed_repo, {"skills/social/notes.md": "n\n"})
    found = check("SG004", pending(managed_repo, refine_message("social")), repo=managed_repo)
    assert [v.message for v in found] == ["the `refine` event does not edit skills/social/SKILL.md"]


def test_sg004_refuses_an_event_naming_a_skill_it_does_not_change(managed_repo: Path) -> None:
    write(managed_repo, {"skills/social/SKILL.md": with_lines(skill_text(managed_repo, "social"), 1)})
    found = check("SG004", pending(managed_repo, refine_message("release")), repo=managed_repo)
    assert "the `refine` event names `release` (Skill-Name) but changes none of its files" in [v.message for v in found]


def test_sg004_accepts_a_retire_made_with_git_mv(managed_repo: Path) -> None:
    git(managed_repo, "mv", "skills/social", "skills_attic/social")
    change = pending(managed_repo, message("retire", "social", (T.VERSION, "1111111..0000000")))
    assert check("SG004", change, repo=managed_repo) == []


def test_sg004_refuses_a_retire_that_changes_content_on_the_way(managed_repo: Path) -> None:
    git(managed_repo, "mv", "skills/social", "skills_attic/social")
    write(managed_repo, {"skills_attic/social/SKILL.md": with_lines(skill_text(managed_repo, "social", "skills_attic"), 1)})
    found = check("SG004", pending(managed_repo, message("retire", "social")), repo=managed_repo)
    assert [v.message for v in found] == [
        "the `retire` event does not move skills/social/ to skills_attic/social/ unchanged (differs: SKILL.md)"
    ]


def test_sg004_refuses_a_retire_that_leaves_files_behind(managed_repo: Path) -> None:
    write(managed_repo, {"skills/social/notes.md": "n\n"})
    commit(managed_repo, "Add notes\n")
    write(managed_repo, {"skills/social/SKILL.md": None, "skills_attic/social/SKILL.md": skill_text(managed_repo, "social")})
    found = check("SG004", pending(managed_repo, message("retire", "social")), repo=managed_repo)
    assert [v.message for v in found] == [
        "the `retire` event leaves files in skills/social/ (notes.md)",
        "the `retire` event does not move skills/social/ to skills_attic/social/ unchanged (differs: notes.md)",
    ]


def test_sg004_accepts_a_revive_and_refuses_reviving_an_active_skill(managed_repo: Path) -> None:
    git(managed_repo, "mv", "skills_attic/old-deploy", "skills/old-deploy")
    assert check("SG004", pending(managed_repo, message("revive", "old-deploy")), repo=managed_repo) == []
    git(managed_repo, "reset", "-q", "--hard")
    write(managed_repo, {"skills/social/SKILL.md": with_lines(skill_text(managed_repo, "social"), 1)})
    found = check("SG004", pending(managed_repo, message("revive", "social")), repo=managed_repo)
    assert [v.message for v in found] == [
        "the `revive` event moves no skill: skills_attic/social/SKILL.md did not exist before"
    ]


def test_sg004_refuses_create_over_an_existing_skill_and_accepts_a_new_one(managed_repo: Path) -> None:
    write(managed_repo, {"skills/social/extra.md": "x\n"})
    found = check("SG004", pending(managed_repo, message("create", "social")), repo=managed_repo)
    assert [v.message for v in found] == ["skills/social/ already existed before this `create` event"]
    git(managed_repo, "reset", "-q", "--hard")
    write(managed_repo, {"skills/lint/SKILL.md": new_skill("lint")})
    assert check("SG004", pending(managed_repo, message("create", "lint")), repo=managed_repo) == []


def test_sg004_refuses_creating_a_skill_that_is_retired_in_the_attic(managed_repo: Path) -> None:
    write(managed_repo, {"skills/old-deploy/SKILL.md": new_skill("old-deploy")})
    found = check("SG004", pending(managed_repo, message("create", "old-deploy")), repo=managed_repo)
    assert [v.fix for v in found] == ["Run `skillgit revive old-deploy` instead."]


@pytest.mark.parametrize("kind", ["no-op", "refused", "meta-suggestion"])
def test_sg004_refuses_a_non_mutating_event_that_changes_a_skill(managed_repo: Path, kind: str) -> None:
    write(managed_repo, {"skills/social/SKILL.md": with_lines(skill_text(managed_repo, "social"), 1)})
    found = check("SG004", pending(managed_repo, message(kind, None, (T.TRIGGER, "3 sessions"))), repo=managed_repo)
    assert [v.message for v in found] == [f"the `{kind}` event changes skill files (of `social`); `{kind}` records no change"]


def test_sg004_accepts_an_empty_no_op_and_refuses_an_init_with_other_files(managed_repo: Path) -> None:
    assert check("SG004", pending(managed_repo, message("no-op", None, (T.TRIGGER, "3 sessions"))), repo=managed_repo) == []
    write(managed_repo, {"README.md": "hi\n"})
    found = check("SG004", pending(managed_repo, message("init"), agent=False), repo=managed_repo)
    assert [v.message for v in found] == ["the `init` event changes README.md; it may only add skillgit.yaml"]


def test_sg004_accepts_a_manual_event_anywhere_in_its_one_skill(managed_repo: Path) -> None:
    write(managed_repo, {"skills/family/SKILL.md": None, "skills/family/README.md": "moved\n"})
    assert check("SG004", pending(managed_repo, message("manual", "family"), agent=False), repo=managed_repo) == []


def test_sg004_accepts_a_plain_git_revert_of_a_retire(managed_repo: Path) -> None:
    git(managed_repo, "mv", "skills/social", "skills_attic/social")
    retire = commit(managed_repo, message("retire", "social", (T.VERSION, "1111111..0000000")))
    git(managed_repo, "revert", "--no-commit", retire)
    change = dataclasses.replace(pending(managed_repo, f'Revert "retire social"\n\nThis reverts commit {retire}.\n'),
                                 revert_of=retire)
    assert check("SG004", change, repo=managed_repo) == []


def test_sg002_refuses_every_skill_when_agent_origin_is_not_set(managed_repo: Path) -> None:
    write(managed_repo, {"skills/social/SKILL.md": with_lines(skill_text(managed_repo, "social"), 1)})
    config = Config.from_text("agent:\n  identities: [yoyo-bot@example.com]\n")
    found = check("SG002", pending(managed_repo, refine_message("social")), config)
    assert [v.message for v in found] == ["`agent.origin` is not set in skillgit.yaml, so an agent commit may change no skill"]
