"""Merge commits are checked for their own change: what the merge's tree holds that a clean re-merge of
its parents would not. An agent cannot hide an edit inside a merge; an honest merge passes."""

from __future__ import annotations

from pathlib import Path

from attackkit import Attacker, head, maintainer, refine, verify, violations
from conftest import git

HARMLESS_BRANCH = """
git checkout -q -b harmless
echo "meeting notes" > notes.txt
git add notes.txt
git commit -q -m "Add notes"
git checkout -q main
"""


def test_an_agent_merge_that_flips_origin_inside_the_merge_is_refused_by_the_hooks(repo: Path, agent: Attacker) -> None:
    before = head(repo)
    result = agent.run(HARMLESS_BRANCH + """
git merge -q --no-ff --no-commit harmless
sed -i 's/^origin: creator/origin: yoyo/' skills/family/SKILL.md
git add skills/family/SKILL.md
git commit -q --no-edit
""")
    assert result.returncode != 0
    assert "SG002 skills/family/SKILL.md: frontmatter key `origin` changed from `creator` to `yoyo`" in result.stderr
    assert head(repo) == before


def test_verify_reports_a_merge_that_changes_a_skill_by_itself_with_its_paths(repo: Path, agent: Attacker) -> None:
    base = head(repo)
    result = agent.run(HARMLESS_BRANCH + """
git merge -q --no-ff --no-commit harmless
sed -i 's/^origin: creator/origin: yoyo/' skills/family/SKILL.md
git add skills/family/SKILL.md
git commit -q --no-edit --no-verify
echo "- keep replies short" >> skills/family/SKILL.md
""")
    assert result.returncode == 0, result.stderr
    code, report, _ = verify(repo, f"{base}..HEAD")
    assert code == 1
    merge = head(repo)
    found = {(v["rule"], v["path"], v["commit"]) for v in report["violations"]}  # type: ignore[union-attr]
    assert ("SG002", "skills/family/SKILL.md", merge) in found
    note = next(v["message"] for v in report["violations"] if v["rule"] == "SG001")  # type: ignore[union-attr]
    assert note.startswith("the merge changes skills/family/SKILL.md by itself")
    assert report["checked"] == 2


def test_an_agent_merge_that_loosens_skillgit_yaml_inside_the_merge_is_refused(repo: Path, agent: Attacker) -> None:
    base = head(repo)
    result = agent.run(HARMLESS_BRANCH + """
git merge -q --no-ff --no-commit harmless
printf 'policy:\\n  refine_max_added: 500\\n' >> skillgit.yaml
git add skillgit.yaml
git commit -q --no-edit
""")
    assert result.returncode != 0
    assert "SG003 skillgit.yaml" in result.stderr
    agent.run("git commit -q --no-edit --no-verify")
    code, report, _ = verify(repo, f"{base}..HEAD")
    assert code == 1 and ("SG003", "skillgit.yaml") in violations(report)


def test_an_amended_merge_is_checked_for_the_edit_the_amend_adds(repo: Path, agent: Attacker) -> None:
    assert agent.run(HARMLESS_BRANCH + "git merge -q --no-ff --no-edit harmless\n").returncode == 0
    merged = head(repo)
    result = agent.run("""
sed -i 's/^origin: creator/origin: yoyo/' skills/family/SKILL.md
git add skills/family/SKILL.md
git commit -q --amend --no-edit
""")
    assert result.returncode != 0
    assert "SG002 skills/family/SKILL.md" in result.stderr
    assert head(repo) == merged


def test_a_clean_merge_of_an_agent_refine_and_a_maintainer_edit_passes_hooks_and_verify(
    repo: Path, agent: Attacker, tmp_path: Path
) -> None:
    base = head(repo)
    person = maintainer(repo, tmp_path / "scripts-m")
    assert person.run("git checkout -q -b agent-work\n").returncode == 0
    assert agent.run(refine("check the category id before posting")).returncode == 0
    result = person.run("""
git checkout -q main
echo "- ask before sharing private details" >> skills/family/SKILL.md
git commit -q -am "Family: ask first"
git merge -q --no-ff --no-edit agent-work
""")
    assert result.returncode == 0, result.stderr
    assert len(git(repo, "log", "-1", "--format=%P").split()) == 2
    code, report, _ = verify(repo, f"{base}..HEAD")
    assert (code, violations(report)) == (0, [])


def test_a_maintainer_conflict_resolution_in_a_skill_is_recorded_as_a_manual_event(
    repo: Path, tmp_path: Path
) -> None:
    base = head(repo)
    person = maintainer(repo, tmp_path / "scripts")
    result = person.run("""
git checkout -q -b wording
sed -i 's/^description: .*/description: Talk with family members, kindly/' skills/family/SKILL.md
git commit -q -am "Family: kinder wording"
git checkout -q main
sed -i 's/^description: .*/description: Talk with family members, briefly/' skills/family/SKILL.md
git commit -q -am "Family: shorter wording"
git merge -q --no-edit wording || true
git checkout --theirs -- skills/family/SKILL.md
sed -i 's/^description: .*/description: Talk with family members, kindly and briefly/' skills/family/SKILL.md
git add skills/family/SKILL.md
git commit -q --no-edit
""")
    assert result.returncode == 0, result.stderr
    message = git(repo, "log", "-1", "--format=%B")
    assert "Skill-Event: manual" in message and "Skill-Name: family" in message
    code, report, _ = verify(repo, f"{base}..HEAD")
    assert (code, violations(report)) == (0, [])


def test_verify_checks_an_octopus_merge_for_its_own_change(repo: Path, agent: Attacker, tmp_path: Path) -> None:
    base = head(repo)
    person = maintainer(repo, tmp_path / "scripts-m")
    assert person.run("""
for b in one two three; do
  git checkout -q -b $b main
  echo $b > $b.txt
  git add $b.txt
  git commit -q -m "Add $b"
done
git checkout -q main
""").returncode == 0
    result = agent.run("""
git merge -q --no-ff --no-commit one two three
sed -i 's/^origin: creator/origin: yoyo/' skills/family/SKILL.md
git add skills/family/SKILL.md
git commit -q --no-verify -m "Merge three branches"
""")
    assert result.returncode == 0, result.stderr
    assert len(git(repo, "log", "-1", "--format=%P").split()) == 4
    code, report, _ = verify(repo, f"{base}..HEAD")
    assert code == 1 and ("SG002", "skills/family/SKILL.md") in violations(report)
