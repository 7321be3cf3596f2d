"""Trailers that lie: a `Skill-Version` that names other blobs than the change has, and values that the
commands would refuse (over 500 characters, or broken by a line separator some readers split on)."""

from __future__ import annotations

from pathlib import Path

import pytest
from attackkit import Attacker, commit_refine, head, refine, verify, violations
from conftest import git

INVENTED = "1111111111111111111111111111111111111111..2222222222222222222222222222222222222222"


def test_an_invented_skill_version_is_refused_by_the_hook_and_reported_by_verify(repo: Path, agent: Attacker) -> None:
    base = head(repo)
    result = agent.run(refine("check the category id before posting", version=INVENTED))
    assert result.returncode != 0
    assert f"SG001 skills/social/SKILL.md: `Skill-Version: {INVENTED}` does not match the change" in result.stderr
    assert head(repo) == base
    agent.run(commit_refine(flags="--no-verify", version=INVENTED))
    code, report, _ = verify(repo, f"{base}..HEAD")
    assert code == 1 and violations(report) == [("SG001", "skills/social/SKILL.md")]


def test_a_true_skill_version_passes(repo: Path, agent: Attacker) -> None:
    base = head(repo)
    result = agent.run(refine("check the category id before posting"))
    assert result.returncode == 0, result.stderr
    code, report, _ = verify(repo, f"{base}..HEAD")
    assert (code, violations(report)) == (0, [])


def test_the_commit_msg_hook_rewrites_a_stale_skill_version_on_amend(repo: Path, agent: Attacker) -> None:
    base = head(repo)
    assert agent.run(refine("check the category id before posting")).returncode == 0
    first = git(repo, "log", "-1", "--format=%(trailers:key=Skill-Version,valueonly)").strip()
    result = agent.run("""
echo "- and read the pinned post first" >> skills/social/SKILL.md
git add skills/social/SKILL.md
git commit -q --amend --no-edit
""")
    assert result.returncode == 0, result.stderr
    amended = git(repo, "log", "-1", "--format=%(trailers:key=Skill-Version,valueonly)").strip()
    blob_before = git(repo, "rev-parse", f"{base}:skills/social/SKILL.md").strip()
    blob_after = git(repo, "rev-parse", "HEAD:skills/social/SKILL.md").strip()
    assert amended == f"{blob_before}..{blob_after}" != first
    code, report, _ = verify(repo, f"{base}..HEAD")
    assert (code, violations(report)) == (0, [])


@pytest.mark.parametrize(("label", "extra"), [
    ("over 500 characters", "\nSkill-Score-Delta: 0.4 -> 0.5\nSkill-Reason: " + "x" * 501),
    ("a U+2028 line separator", "\nSkill-Reason: fine\u2028Skill-Event: manual"),
    ("a NEL", "\nSkill-Reason: fine\u0085Skill-Event: manual"),
])
def test_verify_refuses_trailer_values_the_commands_would_not_write(
    repo: Path, agent: Attacker, label: str, extra: str
) -> None:
    base = head(repo)
    result = agent.run(refine("check the category id before posting", flags="--no-verify", extra=extra))
    assert result.returncode == 0, result.stderr
    code, report, _ = verify(repo, f"{base}..HEAD")
    assert code == 1, label
    messages = [v["message"] for v in report["violations"]]  # type: ignore[union-attr]
    assert any(m.startswith("`Skill-Reason`: the value") for m in messages), messages
