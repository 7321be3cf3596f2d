"""Protected inputs: the agent cannot rewrite what judges it (the eval runner and judge, the evidence it
is measured by, the config, hooks and CI), with any event type or none; and symlinks cannot lead out
of a skill, whoever commits them."""

from __future__ import annotations

from pathlib import Path

import pytest
from attackkit import Attacker, commit_refine, head, maintainer, sg, verify, violations
from conftest import MAINTAINER, git

NO_OP = "git commit -q {flags} -m 'skillgit: no-op' -m 'Nothing crossed a threshold.' -m 'Skill-Event: no-op\nSkill-Trigger: 4 new sessions'\n"
def refused_then_reported(repo: Path, agent: Attacker, stage: str, commit: str, rule: str, path: str) -> str:
    """Stage with `stage`, commit through the hooks (refused), then with --no-verify (reported by verify)."""
    base = head(repo)
    assert agent.run(stage).returncode == 0
    result = agent.run(commit.format(flags=""))
    assert result.returncode != 0, "the hooks let it through"
    assert f"{rule} {path}" in result.stderr, result.stderr
    assert head(repo) == base
    assert agent.run(commit.format(flags="--no-verify")).returncode == 0
    code, report, _ = verify(repo, f"{base}..HEAD")
    assert code == 1 and (rule, path) in violations(report), report
    return result.stderr


def test_a_no_op_event_cannot_rewrite_the_eval_runner(repo: Path, agent: Attacker) -> None:
    stderr = refused_then_reported(
        repo, agent, "printf 'print(\"{}\")\\n' > tools/eval_runner.py\ngit add tools/eval_runner.py\n", NO_OP,
        "SG003", "tools/eval_runner.py",
    )
    assert "a file of the eval runner (eval.runner)" in stderr


def test_a_plain_agent_commit_cannot_add_a_helper_next_to_the_eval_runner(repo: Path, agent: Attacker) -> None:
    refused_then_reported(
        repo, agent, "echo 'PASS = True' > tools/grading.py\ngit add tools/grading.py\n",
        "git commit -q {flags} -m 'Add a grading helper'\n", "SG003", "tools/grading.py",
    )


def test_the_agent_cannot_rewrite_the_judge_command_files(repo: Path, agent: Attacker, tmp_path: Path) -> None:
    assert maintainer(repo, tmp_path / "m").run("""
mkdir -p judges && echo 'print(10)' > judges/score.py
printf 'eval:\\n  runner: python3 tools/eval_runner.py\\n  judge: "python3 -m judges.score --strict"\\n' > eval.part
sed -i '/^eval:/,$d' skillgit.yaml && cat eval.part >> skillgit.yaml && rm eval.part
git add -A && git commit -q -m 'Add a judge'
""").returncode == 0
    refused_then_reported(
        repo, agent, "echo 'print(10) # always' > judges/score.py\ngit add judges/score.py\n", NO_OP,
        "SG003", "judges/score.py",
    )


def test_the_agent_may_append_learnings_but_not_rewrite_them(repo: Path, agent: Attacker) -> None:
    base = head(repo)
    appended = agent.run("""
echo '{"type":"lesson","title":"retry with --verbose","pattern_key":"build.retry"}' >> memory/learnings.jsonl
git add memory/learnings.jsonl
git commit -q -m 'Record a learning'
""")
    assert appended.returncode == 0, appended.stderr
    stderr = refused_then_reported(
        repo, agent, "sed -i '1d' memory/learnings.jsonl\ngit add memory/learnings.jsonl\n",
        "git commit -q {flags} -m 'Tidy learnings'\n", "SG003", "memory/learnings.jsonl",
    )
    assert "evidence the metrics are computed from (paths.learnings): it changes or removes what was already written" in stderr
    code, report, _ = verify(repo, f"{base}..HEAD~1")
    assert (code, violations(report)) == (0, [])


def test_ci_workflows_stay_protected_when_the_config_empties_protected_paths(repo: Path, agent: Attacker, tmp_path: Path) -> None:
    assert maintainer(repo, tmp_path / "m").run("""
printf 'policy:\\n  protected_paths: []\\n' >> skillgit.yaml
git commit -q -am 'No extra protected paths'
""").returncode == 0
    refused_then_reported(
        repo, agent, "mkdir -p .github/workflows && echo 'on: push' > .github/workflows/skills.yml\ngit add .github\n",
        NO_OP, "SG003", ".github/workflows/skills.yml",
    )


@pytest.mark.parametrize(("link", "target"), [
    ("skills/social/passwd", "/etc/passwd"),
    ("skills/social/ci", "../../.github"),
    ("skills/social/config", "../../.git/config"),
])
def test_a_symlink_out_of_a_skill_is_refused_by_the_hooks_and_verify(repo: Path, agent: Attacker, link: str, target: str) -> None:
    stage = f"echo '- see the linked notes' >> skills/social/SKILL.md\nln -s {target} {link}\ngit add skills/social\n"
    stderr = refused_then_reported(repo, agent, stage, commit_refine(flags="{flags}"), "SG007", link)
    assert f"a symlink to `{target}`, outside the skill's folder skills/social/" in stderr


def test_a_maintainer_symlink_out_of_a_skill_is_refused_too(repo: Path, tmp_path: Path) -> None:
    person = maintainer(repo, tmp_path / "m")
    refused_then_reported(repo, person, "ln -s /etc/passwd skills/family/passwd\ngit add skills/family\n",
                          "git commit -q {flags} -m 'Link the passwd file'\n", "SG007", "skills/family/passwd")


def test_a_symlink_inside_the_skill_passes(repo: Path, agent: Attacker) -> None:
    base = head(repo)
    result = agent.run("echo '- see notes' >> skills/social/SKILL.md\nmkdir -p skills/social/docs\necho notes > skills/social/docs/a.md\n"
                       "ln -s docs/a.md skills/social/notes.md\ngit add skills/social\n" + commit_refine())
    assert result.returncode == 0, result.stderr
    code, report, _ = verify(repo, f"{base}..HEAD")
    assert (code, violations(report)) == (0, [])


def test_refine_refuses_a_symlink_to_the_git_config(repo: Path, agent: Attacker) -> None:
    base = head(repo)
    result = agent.run("echo '- more' >> skills/social/SKILL.md\nln -s ../../.git/config skills/social/config\n"
                       "skillgit refine social --expected 'win_rate >= 0.6 within 5 sessions; else revert'\n")
    assert result.returncode == 2
    assert result.stderr == ("skillgit: skills/social/config is a symlink to ../../.git/config, outside the skill's folder "
                             "skills/social/; nothing was committed. Replace it with the file itself.\n")
    assert head(repo) == base


def test_record_by_the_maintainer_refuses_a_symlink_out_of_the_skill(repo: Path) -> None:
    (repo / "skills/family/hosts").symlink_to("/etc/hosts")
    result = sg(repo, "record", "family", env={"GIT_AUTHOR_EMAIL": MAINTAINER[1]})
    assert result.returncode == 2
    assert "outside the repository" in result.stderr
    assert git(repo, "status", "--porcelain").strip() == "?? skills/family/hosts"
