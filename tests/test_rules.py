"""Policy rules SG001–SG008 on real repositories: each rule has a failing and a passing case.

The change is built with the git CLI (files written and staged, `git write-tree`), then turned into
the Change the rules see with `Workspace.pending_change`, as commands and hooks do.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from conftest import git
from rulekit import (
    EXPECTED,
    check,
    commit,
    config_with,
    message,
    new_skill,
    pending,
    refine_message,
    skill_text,
    with_lines,
    write,
)

from skillgit import trailers as T
from skillgit.model.skill import parse_skill
from skillgit.policy.engine import check as check_all
from skillgit.workspace import Workspace


def rule_ids(violations) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted({v.rule for v in violations})


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


def test_sg004_refuses_two_skills_even_before_the_message_is_known(managed_repo: Path) -> None:
    write(managed_repo, {"skills/social/a.md": "a\n", "skills/release/b.md": "b\n"})
    assert rule_ids(check("SG004", pending(managed_repo, None, agent=False), repo=managed_repo)) == ["SG004"]


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
    found = check("SG004", pending(managed_repo, message("init")), repo=managed_repo)
    assert [v.message for v in found] == ["the `init` event changes README.md; it may only add skillgit.yaml"]


def test_sg004_accepts_a_manual_event_anywhere_in_its_one_skill(managed_repo: Path) -> None:
    write(managed_repo, {"skills/family/SKILL.md": None, "skills/family/README.md": "moved\n"})
    assert check("SG004", pending(managed_repo, message("manual", "family"), agent=False), repo=managed_repo) == []


# -- SG005 expected-prediction -------------------------------------------------------------------


def test_sg005_refuses_skill_expected_on_a_retire(managed_repo: Path) -> None:
    git(managed_repo, "mv", "skills/social", "skills_attic/social")
    msg = message("retire", "social", (T.VERSION, "1111111..0000000"), (T.EXPECTED, EXPECTED))
    found = check("SG005", pending(managed_repo, msg), repo=managed_repo)
    assert [v.message for v in found] == ["`Skill-Expected` is only for refine and create, not `retire`; remove it"]


def test_sg005_accepts_a_retire_without_a_prediction(managed_repo: Path) -> None:
    git(managed_repo, "mv", "skills/social", "skills_attic/social")
    msg = message("retire", "social", (T.VERSION, "1111111..0000000"))
    assert check("SG005", pending(managed_repo, msg), repo=managed_repo) == []


# -- SG006 refine-size ---------------------------------------------------------------------------


def test_sg006_refuses_a_refine_adding_more_than_30_lines(managed_repo: Path) -> None:
    write(managed_repo, {"skills/social/SKILL.md": with_lines(skill_text(managed_repo, "social"), 31)})
    found = check("SG006", pending(managed_repo, refine_message("social")), repo=managed_repo)
    assert [v.message for v in found] == ["the refine adds 31 lines (limit 30, policy.refine_max_added)"]


def test_sg006_accepts_a_refine_of_exactly_30_added_lines(managed_repo: Path) -> None:
    write(managed_repo, {"skills/social/SKILL.md": with_lines(skill_text(managed_repo, "social"), 30)})
    assert check("SG006", pending(managed_repo, refine_message("social")), repo=managed_repo) == []


def test_sg006_refuses_a_refine_removing_more_than_15_lines(managed_repo: Path) -> None:
    lines = skill_text(managed_repo, "social").splitlines(keepends=True)
    write(managed_repo, {"skills/social/SKILL.md": "".join(lines[:-16])})
    found = check("SG006", pending(managed_repo, refine_message("social")), repo=managed_repo)
    assert [v.message for v in found] == ["the refine removes 16 lines (limit 15, policy.refine_max_removed)"]


@pytest.mark.parametrize(("old", "new", "key"), [
    ("description: Interact", "description: Talk", "description"),
    ("origin: yoyo", "origin: yoyo\ncore: false", None),
    ("status: active", "status: refined", None),
])
def test_sg006_refuses_changing_frozen_frontmatter_keys(managed_repo: Path, old: str, new: str, key: str | None) -> None:
    write(managed_repo, {"skills/social/SKILL.md": skill_text(managed_repo, "social").replace(old, new)})
    found = check("SG006", pending(managed_repo, refine_message("social")), repo=managed_repo)
    assert [v.message.split(" from ")[0] for v in found] == ([f"the refine changes frontmatter key `{key}`"] if key else [])


def test_sg006_counts_lines_with_a_configured_limit(managed_repo: Path) -> None:
    write(managed_repo, {"skills/social/SKILL.md": with_lines(skill_text(managed_repo, "social"), 3)})
    change = pending(managed_repo, refine_message("social"))
    assert rule_ids(check("SG006", change, config_with(managed_repo, "policy:\n  refine_max_added: 2\n"))) == ["SG006"]


# -- SG007 skill-file-valid ----------------------------------------------------------------------


def test_sg007_refuses_an_invalid_skill_file_from_a_maintainer(managed_repo: Path) -> None:
    text = skill_text(managed_repo, "family").replace("name: family", "name: relatives")
    write(managed_repo, {"skills/family/SKILL.md": text})
    found = check("SG007", pending(managed_repo, message("manual", "family"), agent=False), repo=managed_repo)
    assert [(v.path, v.message) for v in found] == [
        ("skills/family/SKILL.md", "line 2: `name`: 'relatives' does not match the directory name 'family'")
    ]


def test_sg007_refuses_an_agent_create_without_the_candidate_prefix(managed_repo: Path) -> None:
    write(managed_repo, {"skills/lint/SKILL.md": new_skill("lint", description="Lint the code" + " x" * 100)})
    found = check("SG007", pending(managed_repo, message("create", "lint")), repo=managed_repo)
    assert [v.message for v in found] == [
        "the description of an agent-created skill is 213 characters (limit 200, policy.agent_description_max)",
        "the description of an agent-created skill does not start with `[CANDIDATE — unreviewed]`",
    ]


def test_sg007_accepts_an_agent_create_with_a_short_candidate_description(managed_repo: Path) -> None:
    write(managed_repo, {"skills/lint/SKILL.md": new_skill("lint")})
    assert check("SG007", pending(managed_repo, message("create", "lint")), repo=managed_repo) == []


def test_sg007_holds_agent_commits_to_the_size_limits_but_not_maintainers(managed_repo: Path) -> None:
    body = "word " * 60
    write(managed_repo, {"skills/social/SKILL.md": skill_text(managed_repo, "social") + body + "\n"})
    config = config_with(managed_repo, "policy:\n  body_max_words: 100\n  frontmatter_max_chars: 50\n")
    skill = parse_skill((managed_repo / "skills/social/SKILL.md").read_bytes(), "skills/social/SKILL.md")
    found = check("SG007", pending(managed_repo, refine_message("social")), config)
    assert [v.message for v in found] == [
        f"the frontmatter is {len(skill.frontmatter_text)} characters (limit 50, policy.frontmatter_max_chars)",
        f"the body is {len(skill.body.split())} words (limit 100, policy.body_max_words)",
    ]
    assert check("SG007", pending(managed_repo, message("manual", "social"), agent=False), config) == []


def test_sg007_does_not_revalidate_a_skill_moved_unchanged(managed_repo: Path) -> None:
    bad = skill_text(managed_repo, "social").replace("name: social", "name: Social")
    write(managed_repo, {"skills/social/SKILL.md": bad})
    commit(managed_repo, "Import a skill as it was\n")
    git(managed_repo, "mv", "skills/social", "skills_attic/social")
    assert check("SG007", pending(managed_repo, message("retire", "social"), agent=False), repo=managed_repo) == []


# -- SG008 anti-bloat ----------------------------------------------------------------------------


def test_sg008_refuses_a_create_overlapping_an_existing_skills_keywords(managed_repo: Path) -> None:
    keywords = ["discussion", "gh api graphql", "Category-ID", "comment"]
    write(managed_repo, {"skills/discuss/SKILL.md": new_skill("discuss", keywords=keywords)})
    found = check("SG008", pending(managed_repo, message("create", "discuss")), repo=managed_repo)
    assert [v.message for v in found] == [
        ("the new skill shares 3 keywords with `social` (category-id, discussion, gh api graphql; "
        "policy.keyword_overlap is 3)")
    ]


def test_sg008_accepts_a_create_with_distinct_keywords(managed_repo: Path) -> None:
    write(managed_repo, {"skills/lint/SKILL.md": new_skill("lint", keywords=["ruff", "discussion", "lint"])})
    assert check("SG008", pending(managed_repo, message("create", "lint")), repo=managed_repo) == []


def test_sg008_counts_active_and_non_core_skills_after_the_create(managed_repo: Path) -> None:
    write(managed_repo, {"skills/lint/SKILL.md": new_skill("lint")})
    change = pending(managed_repo, message("create", "lint"))
    # active: explore-codebase, family, release, research, social, skill-evolve (no status) + lint;
    # blindspot is a candidate. Non-core: all but skill-evolve, lint included.
    found = check("SG008", change, config_with(managed_repo, "policy:\n  max_active: 6\n  max_non_core: 6\n"))
    assert [v.message for v in found] == [
        "after this create there would be 7 active skills (limit 6, policy.max_active)",
        "after this create there would be 7 non-core skills (limit 6, policy.max_non_core)",
    ]
    assert check("SG008", change, config_with(managed_repo, "policy:\n  max_active: 7\n  max_non_core: 7\n")) == []


def test_sg008_fails_closed_without_a_tree_lookup(managed_repo: Path) -> None:
    write(managed_repo, {"skills/lint/SKILL.md": new_skill("lint")})
    change = dataclasses.replace(pending(managed_repo, message("create", "lint")), tree_files=None)
    assert "no tree lookup" in check("SG008", change, repo=managed_repo)[0].message
