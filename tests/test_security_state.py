"""Repository states a command must not commit over: a skillgit commit killed after HEAD moved (the
hooks finish its update or refuse the next plain commit), an unresolved merge, rebase, cherry-pick or
revert (every committing command refuses), and temp indexes left by a kill (cleaned up)."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from attackkit import Attacker, head, maintainer, sg
from conftest import git

EXPECTED = "win_rate >= 0.6 within 5 sessions; else revert the pitfall"


@pytest.fixture
def person(repo: Path, tmp_path: Path) -> Attacker:
    return maintainer(repo, tmp_path / "scripts")


def killed_refine(repo: Path, tmp_path: Path) -> tuple[str, bytes, bytes]:
    """A `skillgit refine social --from FILE` killed right after it moved HEAD: (its commit, old and new bytes)."""
    old = (repo / "skills/social/SKILL.md").read_bytes()
    new = old + b"\n## Pitfall\n\n- Check the category id before posting.\n"
    source = tmp_path / "candidate.md"
    source.write_bytes(new)
    result = sg(repo, "refine", "social", "--from", str(source), "--expected", EXPECTED,
                env={"SKILLGIT_FAULT": "commit:ref"})
    assert result.returncode == -signal.SIGKILL, result
    assert (repo / ".git/skillgit/pending.json").exists()
    assert git(repo, "diff", "--cached", "--name-only").split() == ["skills/social/SKILL.md"]  # the stale index
    return head(repo), old, new


def test_a_plain_commit_after_a_killed_refine_does_not_revert_it(repo: Path, person: Attacker, tmp_path: Path) -> None:
    refine, _old, new = killed_refine(repo, tmp_path)
    result = person.run("echo 'agenda' > notes.md\ngit add notes.md\ngit commit -q -m 'Add notes'\n")
    assert result.returncode == 0, result.stderr
    assert git(repo, "rev-parse", "HEAD~1").strip() == refine
    assert git(repo, "diff", "--name-only", "HEAD~1", "HEAD").split() == ["notes.md"]
    assert "Skill-Event" not in git(repo, "log", "-1", "--format=%B")
    assert (repo / "skills/social/SKILL.md").read_bytes() == new
    assert git(repo, "status", "--porcelain") == ""
    assert not (repo / ".git/skillgit/pending.json").exists()


def test_a_commit_all_after_a_killed_refine_keeps_the_refine(repo: Path, person: Attacker, tmp_path: Path) -> None:
    refine, _old, new = killed_refine(repo, tmp_path)
    result = person.run("echo '- be kind' >> skills/family/SKILL.md\ngit commit -q -am 'Family: be kind'\n")
    assert result.returncode == 0, result.stderr
    assert git(repo, "rev-parse", "HEAD~1").strip() == refine
    assert git(repo, "diff", "--name-only", "HEAD~1", "HEAD").split() == ["skills/family/SKILL.md"]
    assert git(repo, "show", "HEAD:skills/social/SKILL.md").encode() == new


def test_a_commit_of_a_stale_copy_edited_after_the_kill_is_refused_with_the_fix(
    repo: Path, person: Attacker, tmp_path: Path
) -> None:
    refine, old, _new = killed_refine(repo, tmp_path)
    result = person.run("echo '- my own edit' >> skills/social/SKILL.md\ngit commit -q -am 'Social: my edit'\n")
    assert result.returncode != 0
    assert f"skillgit commit {refine[:12]} (HEAD) was interrupted" in result.stderr
    assert "skills/social/SKILL.md" in result.stderr and "git diff HEAD -- PATH" in result.stderr
    assert head(repo) == refine
    assert (repo / "skills/social/SKILL.md").read_bytes() == old + b"- my own edit\n"


def test_a_partial_commit_after_a_killed_refine_is_refused(repo: Path, person: Attacker, tmp_path: Path) -> None:
    refine, _old, _new = killed_refine(repo, tmp_path)
    result = person.run("echo 'agenda' > notes.md\ngit add notes.md\ngit commit -q -m 'Add notes' -- notes.md\n")
    assert result.returncode != 0
    assert "uses a temporary index" in result.stderr and "skillgit status" in result.stderr
    assert head(repo) == refine
    assert sg(repo, "status").returncode == 0
    assert git(repo, "diff", "--cached", "--name-only").split() == ["notes.md"]


def test_any_skillgit_command_finishes_the_update_of_a_killed_commit(repo: Path, tmp_path: Path) -> None:
    _refine, _old, new = killed_refine(repo, tmp_path)
    assert sg(repo, "status").returncode == 0
    assert git(repo, "status", "--porcelain") == ""
    assert (repo / "skills/social/SKILL.md").read_bytes() == new


def test_a_kill_while_building_the_tree_leaves_no_temp_index(repo: Path, tmp_path: Path) -> None:
    source = tmp_path / "candidate.md"
    source.write_bytes((repo / "skills/social/SKILL.md").read_bytes() + b"- one more step\n")
    result = sg(repo, "refine", "social", "--from", str(source), "--expected", EXPECTED, env={"SKILLGIT_FAULT": "tree:index"})
    assert result.returncode == -signal.SIGKILL
    assert list((repo / ".git/skillgit").glob("index-*"))
    assert sg(repo, "status").returncode == 0
    assert list((repo / ".git/skillgit").glob("index-*")) == []


CONFLICT = """
git checkout -q -b side
sed -i 's/^description: .*/description: Talk with family, kindly/' skills/family/SKILL.md
git commit -q -am "Family: kind"
git checkout -q main
sed -i 's/^description: .*/description: Talk with family, briefly/' skills/family/SKILL.md
git commit -q -am "Family: brief"
"""
STATES = {
    "merge": ("git merge -q side || true\n", "a merge is in progress", "git merge --abort"),
    "rebase": ("git checkout -q side && (git rebase -q main || true)\n", "a rebase is in progress", "git rebase --abort"),
    "cherry-pick": ("git cherry-pick side || true\n", "a cherry-pick is in progress", "git cherry-pick --abort"),
    "revert": ("sed -i 's/^description: .*/description: Talk with family/' skills/family/SKILL.md\n"
               "git commit -q -am 'Family: plain'\ngit revert --no-edit HEAD~1 || true\n",
               "a revert is in progress", "git revert --abort"),
}


@pytest.mark.parametrize("state", STATES)
def test_every_committing_command_refuses_during_an_unresolved_operation(
    repo: Path, person: Attacker, tmp_path: Path, state: str
) -> None:
    setup, words, fix = STATES[state]
    assert person.run(CONFLICT + setup).returncode == 0
    assert git(repo, "ls-files", "-u"), "the operation should stop on a conflict"
    before = head(repo)
    unmerged = git(repo, "ls-files", "-u")
    source = tmp_path / "candidate.md"
    source.write_bytes((repo / "skills/social/SKILL.md").read_bytes() + b"- one more step\n")
    for args in (("refine", "social", "--from", str(source), "--expected", EXPECTED), ("record", "family"),
                 ("retire", "research"), ("rollback", "social", "--to", "HEAD~1")):
        result = sg(repo, *args)
        assert result.returncode == 2, (args, result)
        assert words in result.stderr and fix in result.stderr, result.stderr
    assert head(repo) == before
    assert git(repo, "ls-files", "-u") == unmerged
