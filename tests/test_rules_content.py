"""Policy rules SG005–SG008 on real repositories: each rule has a failing and a passing case."""

from __future__ import annotations

import dataclasses
import random
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
    rule_ids,
    skill_text,
    with_lines,
    write,
)

from skillgit import trailers as T
from skillgit.model.skill import parse_skill
from skillgit.policy.rules import content

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


def test_sg006_is_told_within_its_limits_only_when_difflib_counts_within_them() -> None:
    # texts with repeated lines (where difflib's counts differ from a minimal diff): whenever `within`
    # skips difflib, difflib's own counts are within both limits; otherwise it gives them
    rng = random.Random(11)
    lines = [b"---\n", b"\n", b"- step\n", b"name: x\n", b"Check the log.\n", b"\n"]
    skipped = 0
    for _ in range(4000):
        old = [rng.choice(lines) for _ in range(rng.randint(0, 14))]
        new = list(old)
        for _ in range(rng.randint(0, 3)):
            at = rng.randint(0, len(new))
            if rng.random() < 0.5:
                new[at:at] = [rng.choice(lines) for _ in range(rng.randint(1, 4))]
            else:
                del new[at : at + rng.randint(1, 3)]
        a, b = b"".join(old), b"".join(new)
        max_added, max_removed = rng.randint(0, 5), rng.randint(0, 5)
        counted, exact = content.within(a, b, max_added, max_removed), content.line_counts(a, b)
        if counted is None:
            skipped += 1
            assert exact[0] <= max_added and exact[1] <= max_removed, (old, new)
        else:
            assert counted == exact
    assert 500 < skipped < 3500


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


def test_sg008_takes_the_facts_of_a_frontmatter_seen_before_and_they_are_the_files_own() -> None:
    from skillgit.policy.model import Change

    first = b'---\nname: a\ndescription: d\nkeywords: ["X  y", z, ""]\nstatus: retired\n---\nbody one\n'
    blobs = {"1": first, "2": first.replace(b"body one", b"body two")}
    change = Change(commit=None, parent=None, author_name="", author_email="", message=None, files=(), agent=True,
                    read_blob=blobs.__getitem__)
    facts = []
    for oid in ("1", "2"):
        content._FACTS.items.clear()
        content._BY_FRONTMATTER.items.clear()
        facts.append(content._facts(change, oid, "skills/a/SKILL.md"))
    content._FACTS.items.clear()
    assert content._facts(change, "1", "skills/a/SKILL.md") is facts[1]  # the second file's frontmatter, seen
    assert facts[0] == facts[1] == content._Facts(False, False, frozenset({"x y", "z"}))
