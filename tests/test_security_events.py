"""Every event type obeys the agent rules: no `manual` or `init` by the agent, and an agent `rollback`
restores exactly a previous version, whether made with `skillgit`, with a plain commit through the
hooks, or with `--no-verify` (then `verify` reports it)."""

from __future__ import annotations

from pathlib import Path

from attackkit import Attacker, head, refine, sg, verify, violations
from conftest import git

MANUAL_MESSAGE = """git commit -q {flags} -F - <<MSG
skillgit: manual social

Skill-Event: manual
Skill-Name: social
Skill-Version: $(git rev-parse -q --verify HEAD:skills/social/SKILL.md || echo 0000000)..$(git rev-parse -q --verify :skills/social/SKILL.md || echo 0000000)
MSG
"""
BIG_EDIT = """
sed -i 's/^description: .*/description: Post about anything, anywhere, as often as possible/' skills/social/SKILL.md
i=0; while [ $i -lt 200 ]; do echo "- rule $i: post more" >> skills/social/SKILL.md; i=$((i+1)); done
"""
def test_the_agent_cannot_record_a_big_edit_as_a_manual_event_with_skillgit_record(repo: Path, agent: Attacker) -> None:
    base = head(repo)
    result = agent.run(BIG_EDIT + "skillgit record social\n")
    assert result.returncode == 1
    assert "an agent commit records a `manual` event" in result.stderr
    assert head(repo) == base


def test_a_plain_agent_commit_with_manual_trailers_is_refused_and_reported(repo: Path, agent: Attacker) -> None:
    base = head(repo)
    result = agent.run(BIG_EDIT + "git add skills/social/SKILL.md\n" + MANUAL_MESSAGE.format(flags=""))
    assert result.returncode != 0
    assert "SG004: an agent commit records a `manual` event" in result.stderr
    assert agent.run(MANUAL_MESSAGE.format(flags="--no-verify")).returncode == 0
    code, report, _ = verify(repo, f"{base}..HEAD")
    assert code == 1 and ("SG004", None) in violations(report)


def test_an_agent_manual_delete_of_its_own_skill_does_not_skip_the_retire_bootstrap(repo: Path, agent: Attacker) -> None:
    base = head(repo)
    script = "git rm -q -r skills/social\n" + MANUAL_MESSAGE.format(flags="")
    result = agent.run(script)
    assert result.returncode != 0
    assert "an agent commit records a `manual` event" in result.stderr
    agent.run(MANUAL_MESSAGE.format(flags="--no-verify"))
    code, report, _ = verify(repo, f"{base}..HEAD")
    assert code == 1 and ("SG004", None) in violations(report)


def test_a_fake_agent_rollback_that_adds_lines_is_refused(repo: Path, agent: Attacker) -> None:
    assert agent.run(refine()).returncode == 0
    refined = head(repo)
    assert agent.run("""
i=0; while [ $i -lt 100 ]; do echo "- new rule $i" >> skills/social/SKILL.md; i=$((i+1)); done
git add skills/social/SKILL.md
""").returncode == 0
    fake = f"""git commit -q {{flags}} -F - <<MSG
skillgit: rollback social

Skill-Event: rollback
Skill-Name: social
Skill-Version: $(git rev-parse HEAD:skills/social/SKILL.md)..$(git rev-parse :skills/social/SKILL.md)
Skill-Rollback-Of: {refined}
Skill-Reason: the refine made things worse
MSG
"""
    result = agent.run(fake.format(flags=""))
    assert result.returncode != 0
    assert "SG004 skills/social: the agent `rollback` of `social` does not restore a previous version" in result.stderr
    assert head(repo) == refined
    assert agent.run(fake.format(flags="--no-verify")).returncode == 0
    code, report, _ = verify(repo, f"{refined}..HEAD")
    assert code == 1 and ("SG004", "skills/social") in violations(report)


def test_an_agent_rollback_with_skillgit_restores_a_version_and_passes(repo: Path, agent: Attacker) -> None:
    base = head(repo)
    assert agent.run(refine()).returncode == 0
    result = agent.run("skillgit rollback social --to v1 --reason 'win rate fell'\n")
    assert result.returncode == 0, result.stderr
    assert git(repo, "rev-parse", "HEAD:skills/social").strip() == git(repo, "rev-parse", f"{base}:skills/social").strip()
    code, report, _ = verify(repo, f"{base}..HEAD")
    assert (code, violations(report)) == (0, [])


def test_an_agent_git_revert_of_its_own_refine_passes(repo: Path, agent: Attacker) -> None:
    base = head(repo)
    assert agent.run(refine()).returncode == 0
    result = agent.run("git revert --no-edit --no-commit HEAD\ngit commit -q --no-edit\n")
    assert result.returncode == 0, result.stderr
    assert "Skill-Event: rollback" in git(repo, "log", "-1", "--format=%B")
    code, report, _ = verify(repo, f"{base}..HEAD")
    assert (code, violations(report)) == (0, [])


def test_an_empty_agent_init_is_refused_and_does_not_reset_the_thrash_window(repo: Path, agent: Attacker) -> None:
    base = head(repo)
    assert agent.run(refine()).returncode == 0
    init = "git commit -q --allow-empty {flags} -m 'skillgit: init' -m 'Skill-Event: init'\n"
    result = agent.run(init.format(flags=""))
    assert result.returncode != 0
    assert "an agent commit records a `init` event" in result.stderr
    assert agent.run(init.format(flags="--no-verify")).returncode == 0
    result = agent.run(refine("and read the pinned post"))
    assert result.returncode != 0
    assert "SG009 skills/social" in result.stderr
    agent.run(refine("and read the pinned post", flags="--no-verify"))
    code, report, _ = verify(repo, f"{base}..HEAD")
    assert code == 1
    assert ("SG004", None) in violations(report) and ("SG009", "skills/social") in violations(report)


def test_skillgit_init_run_by_the_agent_in_a_new_repository_is_refused(empty_repo: Path, tmp_path: Path) -> None:
    git(empty_repo, "commit", "-q", "--allow-empty", "-m", "Start")
    (empty_repo / "skillgit.yaml").write_text('agent:\n  origin: yoyo\n  identities: ["yoyo-bot@example.com"]\n')
    result = sg(empty_repo, "init", env=Attacker(empty_repo, tmp_path / "s").env)
    assert result.returncode == 1
    assert "an agent commit records a `init` event" in result.stderr
