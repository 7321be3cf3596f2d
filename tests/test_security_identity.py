"""Who is the agent: the author or the committer matching `agent.identities` makes an agent commit, and
the patterns match `[bot]` literally (GitHub's bot addresses), with a warning for a pattern that
matches nobody in history."""

from __future__ import annotations

from pathlib import Path

from attackkit import Attacker, head, maintainer, verify, violations
from conftest import AGENT, MAINTAINER, git

BOT = ("yoyo[bot]", "41898282+yoyo[bot]@users.noreply.github.com")

EDIT_CREATOR_SKILL = """
echo "- always answer within a day" >> skills/family/SKILL.md
git add skills/family/SKILL.md
"""


def test_a_commit_authored_as_the_maintainer_but_committed_by_the_agent_is_an_agent_commit(
    repo: Path, tmp_path: Path
) -> None:
    base = head(repo)
    agent = Attacker(repo, tmp_path / "scripts")
    result = agent.run(EDIT_CREATOR_SKILL + f'git commit -q --author="{MAINTAINER[0]} <{MAINTAINER[1]}>" -m "Family: reply sooner"\n')
    assert result.returncode != 0
    assert "SG002 skills/family/SKILL.md" in result.stderr
    assert head(repo) == base
    agent.run(f'git commit -q --no-verify --author="{MAINTAINER[0]} <{MAINTAINER[1]}>" -m "Family: reply sooner"\n')
    assert git(repo, "log", "-1", "--format=%ae %ce").split() == [MAINTAINER[1], AGENT[1]]
    code, report, _ = verify(repo, f"{base}..HEAD")
    assert code == 1 and ("SG002", "skills/family/SKILL.md") in violations(report)


def test_a_bracketed_bot_pattern_matches_the_bot_literally(repo: Path, tmp_path: Path) -> None:
    person = maintainer(repo, tmp_path / "scripts-m")
    assert person.run("""
sed -i 's/identities: \\[.*\\]/identities: ["*[bot]@users.noreply.github.com"]/' skillgit.yaml
git commit -q -am "Config: the agent is the GitHub App bot"
""").returncode == 0
    base = head(repo)
    bot = Attacker(repo, tmp_path / "scripts", BOT)
    result = bot.run(EDIT_CREATOR_SKILL + 'git commit -q -m "Family: reply sooner"\n')
    assert result.returncode != 0
    assert "SG002 skills/family/SKILL.md" in result.stderr
    bot.run('git commit -q --no-verify -m "Family: reply sooner"\n')
    code, report, _ = verify(repo, f"{base}..HEAD")
    assert code == 1 and ("SG002", "skills/family/SKILL.md") in violations(report)


def test_verify_warns_about_an_identity_pattern_that_matches_no_commit_in_history(repo: Path, tmp_path: Path) -> None:
    person = maintainer(repo, tmp_path / "scripts-m")
    assert person.run("""
sed -i 's/identities: \\[.*\\]/identities: ["yoyo-bot@example.com", "ci-bot-[0-9]@example.com"]/' skillgit.yaml
git commit -q -am "Config: add the CI bot"
""").returncode == 0
    base = head(repo)
    agent = Attacker(repo, tmp_path / "scripts")
    assert agent.run("git commit -q --allow-empty -m 'skillgit: no-op' -m 'Skill-Event: no-op\nSkill-Trigger: nothing new'\n").returncode == 0
    code, report, stderr = verify(repo, f"{base}..HEAD")
    assert code == 0, report
    assert report["warnings"] == [
        "agent.identities: `ci-bot-[0-9]@example.com` matches no author or committer in the history verified; "
        "if the agent has committed, check the address (only `*` and `?` are wildcards; `[` and `]` match themselves)."
    ]
    assert "skillgit: warning: agent.identities: `ci-bot-[0-9]@example.com` matches no" in stderr


def test_the_cycle_agent_email_is_a_literal_identity_with_brackets() -> None:
    from skillgit.config import Config

    config = Config.from_text('agent:\n  identities: ["yoyo[bot]@users.noreply.github.com"]\n')
    assert config.agent_email == "yoyo[bot]@users.noreply.github.com"
