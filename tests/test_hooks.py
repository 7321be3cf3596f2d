"""The git hooks end to end: install them, run real `git commit`s, read what they print and commit."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest
from conftest import ROOT, as_agent, git, trailers_of
from hookkit import (
    CASES,
    Case,
    add_lines,
    agent_refine,
    blob,
    commit,
    edit,
    head,
    make_managed,
    skillgit,
)

# -- every rule: the installed hooks refuse a real commit that breaks it ----------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_the_installed_hooks_refuse_a_commit_that_breaks_the_rule(repo: Path, case: Case) -> None:
    text, env = case.stage(repo)
    before = head(repo)
    result = commit(repo, text, env=env)
    assert result.returncode != 0, f"{case.rule} commit was accepted:\n{result.stderr}"
    assert head(repo) == before
    lines = [line for line in result.stderr.splitlines() if line.startswith(f"skillgit: {case.rule}")]
    assert lines, result.stderr
    if case.path:
        assert any(line.startswith(f"skillgit: {case.rule} {case.path}: ") for line in lines), result.stderr
    assert "commit refused" in result.stderr


# -- the commit-msg hook completes trailers ----------------------------------------------------------


def test_a_maintainer_commit_of_one_skill_gets_manual_trailers(repo: Path) -> None:
    old = blob(repo, "HEAD:skills/research/SKILL.md")
    edit(repo, "skills/research/SKILL.md", add_lines(1))
    new = blob(repo, ":skills/research/SKILL.md")
    assert commit(repo, "Clarify the research steps\n").returncode == 0
    assert trailers_of(repo) == [("Skill-Event", "manual"), ("Skill-Name", "research"), ("Skill-Version", f"{old}..{new}")]


def test_a_commit_that_touches_no_skill_gets_no_trailers(repo: Path) -> None:
    (repo / "README.md").write_text("notes\n")
    git(repo, "add", "README.md")
    assert commit(repo, "Add notes\n").returncode == 0
    assert trailers_of(repo) == []


def test_an_agent_commit_gets_no_manual_trailers_and_is_refused(repo: Path) -> None:
    edit(repo, "skills/social/SKILL.md", add_lines(1))
    result = commit(repo, "Tweak social\n", env=as_agent())
    assert result.returncode == 1
    assert "skillgit: SG001: no `Skill-Event` trailer" in result.stderr


def test_a_git_revert_of_an_event_committed_with_git_commit_gets_rollback_trailers(repo: Path) -> None:
    # `git revert` alone runs no commit hooks (verify accepts an exact revert as it is); a revert
    # finished with `git commit` (--no-commit, or after resolving a conflict) gets the trailers.
    edit(repo, "skills/research/SKILL.md", add_lines(2))
    assert commit(repo, "Extend research\n").returncode == 0
    event = head(repo)
    new = blob(repo, "HEAD:skills/research/SKILL.md")
    git(repo, "revert", "--no-commit", "HEAD")
    result = git(repo, "commit", "-q", "--no-edit", check=False)
    assert head(repo) != event, result
    pairs = dict(trailers_of(repo))
    assert pairs["Skill-Event"] == "rollback"
    assert pairs["Skill-Name"] == "research"
    assert pairs["Skill-Rollback-Of"] == event[:12]
    assert pairs["Skill-Version"] == f"{new}..{blob(repo, f'{event}^:skills/research/SKILL.md')}"
    assert pairs["Skill-Reason"].startswith(f"git revert of {event[:12]}")


def test_trailers_go_above_the_scissors_line_of_commit_verbose(repo: Path) -> None:
    edit(repo, "skills/research/SKILL.md", add_lines(1))
    editor = repo.parent / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "Verbose edit\\n\\n# a comment line\\n$(cat "$1")\\n" > "$1.new" && mv "$1.new" "$1"\n')
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    result = git(repo, "commit", "-q", "-v", env={"GIT_EDITOR": str(editor)}, check=False)
    assert head(repo) and git(repo, "log", "-1", "--format=%s").strip() == "Verbose edit", result
    body = git(repo, "log", "-1", "--format=%B")
    assert "# a comment" not in body and "diff --git" not in body
    assert dict(trailers_of(repo))["Skill-Event"] == "manual"


def test_comment_lines_with_a_custom_comment_char_are_ignored(repo: Path) -> None:
    git(repo, "config", "core.commentChar", ";")
    edit(repo, "skills/research/SKILL.md", add_lines(1))
    editor = repo.parent / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "Semicolon comments\\n\\n; Skill-Event: refine\\n" > "$1"\n')
    editor.chmod(0o755)
    result = git(repo, "commit", "-q", env={"GIT_EDITOR": str(editor)}, check=False)
    assert git(repo, "log", "-1", "--format=%s").strip() == "Semicolon comments", result
    assert dict(trailers_of(repo))["Skill-Event"] == "manual"


def test_an_empty_message_is_left_for_git_to_abort(repo: Path) -> None:
    edit(repo, "skills/research/SKILL.md", add_lines(1))
    before = head(repo)
    result = commit(repo, "# only a comment\n", extra=("--cleanup=strip",))
    assert result.returncode != 0 and "empty commit message" in result.stderr.lower()
    assert head(repo) == before


def test_amend_is_checked_against_the_parent_of_head(repo: Path) -> None:
    agent_refine(repo, "social", n=20)
    edit(repo, "skills/social/SKILL.md", add_lines(12, "more"))
    text = git(repo, "log", "-1", "--format=%B")
    from hookkit import refine_message

    parent = git(repo, "rev-parse", "HEAD^").strip()
    git(repo, "update-ref", "refs/tmp/parent", parent)
    amended = refine_message(repo, "social").replace(f"{blob(repo, 'HEAD:skills/social/SKILL.md')}..",
                                                     f"{blob(repo, 'HEAD^:skills/social/SKILL.md')}..")
    assert text
    result = commit(repo, amended, env=as_agent(), extra=("--amend",))
    assert result.returncode == 1, result.stderr
    assert "skillgit: SG006" in result.stderr  # 32 lines added since HEAD^, though only 12 since HEAD


def test_a_merge_is_checked_for_its_message_only(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "side")
    edit(repo, "skills/research/SKILL.md", add_lines(1))
    assert commit(repo, "Research on a branch\n").returncode == 0
    git(repo, "checkout", "-q", "main")
    edit(repo, "skills/family/SKILL.md", add_lines(1))
    assert commit(repo, "Family on main\n").returncode == 0
    result = git(repo, "merge", "--no-ff", "-q", "-m", "Merge side", "side", check=False)
    assert len(git(repo, "log", "-1", "--format=%P").split()) == 2, result
    assert trailers_of(repo) == []


def test_the_first_commit_of_a_new_repository_passes(empty_repo: Path) -> None:
    assert skillgit(empty_repo, "hooks", "install").returncode == 0
    (empty_repo / "README.md").write_text("hello\n")
    git(empty_repo, "add", "README.md")
    result = commit(empty_repo, "First\n")
    assert result.returncode == 0, result.stderr


def test_a_repository_without_skillgit_yaml_is_not_checked(fixture_repo: Path) -> None:
    git(fixture_repo, "rm", "-q", "skillgit.yaml")
    git(fixture_repo, "commit", "-q", "-m", "No config")
    assert skillgit(fixture_repo, "hooks", "install").returncode == 0
    edit(fixture_repo, "skills/family/SKILL.md", add_lines(1))
    edit(fixture_repo, "skills/social/SKILL.md", add_lines(1))
    assert commit(fixture_repo, "Two skills before init\n").returncode == 0


# -- install / uninstall -----------------------------------------------------------------------------


def test_install_writes_marked_executable_shims(repo: Path) -> None:
    for name in ("pre-commit", "commit-msg"):
        path = repo / ".git" / "hooks" / name
        assert "# skillgit-hook" in path.read_text()
        assert os.access(path, os.X_OK)
        assert f'skillgit hook {name} "$@"' in path.read_text()


def test_install_honours_core_hooks_path(empty_repo: Path) -> None:
    git(empty_repo, "config", "core.hooksPath", ".githooks")
    result = skillgit(empty_repo, "hooks", "install")
    assert result.returncode == 0, result.stderr
    assert (empty_repo / ".githooks" / "commit-msg").exists()
    assert not (empty_repo / ".git" / "hooks" / "commit-msg").exists()


def test_install_is_idempotent(repo: Path) -> None:
    first = (repo / ".git/hooks/pre-commit").read_text()
    result = skillgit(repo, "hooks", "install")
    assert result.stdout.splitlines()[0].startswith("updated ")
    assert (repo / ".git/hooks/pre-commit").read_text() == first
    assert not (repo / ".git/hooks/pre-commit.local").exists()


def test_an_existing_hook_is_chained_and_its_failure_fails_the_commit(empty_repo: Path) -> None:
    make_managed(empty_repo, hooks=False)
    mine = empty_repo / ".git/hooks/pre-commit"
    mine.write_text("#!/bin/sh\necho local-hook-ran >&2\n[ ! -e block ]\n")
    mine.chmod(0o755)
    result = skillgit(empty_repo, "hooks", "install")
    assert "chained" in result.stdout
    assert (empty_repo / ".git/hooks/pre-commit.local").read_text().startswith("#!/bin/sh\necho local-hook-ran")
    (empty_repo / "block").write_text("x")
    git(empty_repo, "add", "block")
    blocked = commit(empty_repo, "Blocked by the local hook\n")
    assert blocked.returncode != 0 and "local-hook-ran" in blocked.stderr
    (empty_repo / "block").unlink()
    git(empty_repo, "add", "-A")
    (empty_repo / "notes.txt").write_text("x")
    git(empty_repo, "add", "notes.txt")
    passed = commit(empty_repo, "Passes both hooks\n")
    assert passed.returncode == 0 and "local-hook-ran" in passed.stderr


def test_uninstall_restores_the_chained_hook(empty_repo: Path) -> None:
    make_managed(empty_repo, hooks=False)
    mine = empty_repo / ".git/hooks/commit-msg"
    mine.write_text("#!/bin/sh\nexit 0\n")
    mine.chmod(0o755)
    skillgit(empty_repo, "hooks", "install")
    result = skillgit(empty_repo, "hooks", "uninstall")
    assert result.returncode == 0
    assert mine.read_text() == "#!/bin/sh\nexit 0\n"
    assert not (empty_repo / ".git/hooks/pre-commit").exists()
    assert not (empty_repo / ".git/hooks/commit-msg.local").exists()


def test_uninstall_leaves_a_foreign_hook_alone(empty_repo: Path) -> None:
    mine = empty_repo / ".git/hooks/pre-commit"
    mine.write_text("#!/bin/sh\nexit 0\n")
    result = skillgit(empty_repo, "hooks", "uninstall")
    assert "kept" in result.stdout and mine.exists()


def test_install_refuses_when_a_local_hook_already_exists(empty_repo: Path) -> None:
    hooks = empty_repo / ".git/hooks"
    (hooks / "pre-commit").write_text("#!/bin/sh\n")
    (hooks / "pre-commit.local").write_text("#!/bin/sh\n")
    result = skillgit(empty_repo, "hooks", "install")
    assert result.returncode == 2
    assert "pre-commit.local both exist" in result.stderr


def test_the_shipped_shims_match_what_install_writes() -> None:
    from skillgit.policy.install import shim_text

    for name in ("pre-commit", "prepare-commit-msg", "commit-msg"):
        shipped = ROOT / "hooks" / name
        assert shipped.read_text() == shim_text(name)
        assert os.access(shipped, os.X_OK)


def test_the_shim_falls_back_to_the_installing_python_without_skillgit_on_path(repo: Path) -> None:
    edit(repo, "skills/research/SKILL.md", add_lines(1))
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if not (Path(p) / "skillgit").exists())
    assert commit(repo, "Without skillgit on PATH\n", env={"PATH": path}).returncode == 0
    assert dict(trailers_of(repo))["Skill-Event"] == "manual"


def test_the_shim_falls_back_to_skillgit_on_path_when_the_installing_python_is_gone(repo: Path) -> None:
    from skillgit.policy.install import install

    install(repo, python="/nonexistent/it's gone/python")
    assert "/nonexistent/it'\\''s gone/python" in (repo / ".git/hooks/commit-msg").read_text()
    edit(repo, "skills/research/SKILL.md", add_lines(1))
    env = {"PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]}
    assert commit(repo, "Through PATH\n", env=env).returncode == 0
    assert dict(trailers_of(repo))["Skill-Event"] == "manual"


def test_the_fast_hook_entry_rejects_a_bad_call() -> None:
    from skillgit.policy.hookmain import main

    assert main([]) == 2
    assert main(["commit-msg"]) == 2
    assert main(["post-commit"]) == 2


def test_hook_commit_msg_without_a_file_is_a_usage_error(repo: Path) -> None:
    result = skillgit(repo, "hook", "commit-msg")
    assert result.returncode == 2
