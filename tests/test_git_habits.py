"""A maintainer's git habits in a managed repository: `git mv`, commits across skills, `git revert` (which
runs only prepare-commit-msg with --no-edit), squash merges (local and GitHub's), and the CLI's answers."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import git, trailers_of
from layoutkit import SHAPES, Shape, append, build, commit, github_squash, skillgit


@pytest.fixture
def hooked(empty_repo: Path) -> tuple[Path, Shape]:
    shape = SHAPES[0]
    build(empty_repo, shape)
    assert skillgit(empty_repo, "init").returncode == 0
    assert skillgit(empty_repo, "hooks", "install").returncode == 0
    return empty_repo, shape


def run_git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)


def test_hooks_install_writes_prepare_commit_msg(hooked: tuple[Path, Shape]) -> None:
    repo, _shape = hooked
    assert (repo / ".git" / "hooks" / "prepare-commit-msg").is_file()


def test_a_plain_commit_across_two_skills_is_one_manual_event(hooked: tuple[Path, Shape]) -> None:
    repo, shape = hooked
    for name in ("alpha", "beta"):
        append(repo / shape.dirs[name] / "SKILL.md", "\nMore.\n")
    git(repo, "add", "-A")
    result = commit(repo, "Standardise two skills\n")
    assert result.returncode == 0, result.stderr
    pairs = trailers_of(repo)
    assert [v for k, v in pairs if k == "Skill-Name"] == ["alpha", "beta"]
    assert len([v for k, v in pairs if k == "Skill-Version"]) == 2
    assert skillgit(repo, "verify").returncode == 0


def test_git_revert_no_edit_of_an_event_gets_rollback_trailers(hooked: tuple[Path, Shape]) -> None:
    repo, shape = hooked
    append(repo / shape.dirs["alpha"] / "SKILL.md", "\nMore.\n")
    git(repo, "add", "-A")
    assert commit(repo, "alpha: more\n").returncode == 0
    event = git(repo, "rev-parse", "HEAD").strip()
    result = run_git(repo, "revert", "--no-edit", "HEAD")
    assert result.returncode == 0, result.stderr
    pairs = dict(trailers_of(repo))
    assert pairs["Skill-Event"] == "rollback" and pairs["Skill-Name"] == "alpha"
    assert event.startswith(pairs["Skill-Rollback-Of"])
    assert skillgit(repo, "verify").returncode == 0


def test_git_revert_of_a_commit_from_before_adoption_is_a_manual_event(hooked: tuple[Path, Shape]) -> None:
    repo, _shape = hooked
    upstream = git(repo, "log", "--format=%H", "--grep=alpha: add a check step").split()[0]
    result = run_git(repo, "revert", "--no-edit", upstream)
    assert result.returncode == 0, result.stderr
    pairs = dict(trailers_of(repo))
    assert (pairs["Skill-Event"], pairs["Skill-Name"]) == ("manual", "alpha")
    assert skillgit(repo, "verify").returncode == 0


def test_a_local_squash_merge_gets_one_trailer_block(hooked: tuple[Path, Shape]) -> None:
    repo, shape = hooked
    git(repo, "checkout", "-q", "-b", "topic")
    for name in ("alpha", "beta"):
        append(repo / shape.dirs[name] / "SKILL.md", f"\n{name} more.\n")
        git(repo, "add", "-A")
        assert commit(repo, f"{name}: more\n").returncode == 0
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--squash", "topic")
    result = run_git(repo, "commit", "-q", "--no-edit")
    assert result.returncode == 0, result.stderr
    message = git(repo, "log", "-1", "--format=%B")
    assert message.count("Skill-Event:") == 1
    assert sorted(v for k, v in trailers_of(repo) if k == "Skill-Name") == ["alpha", "beta"]
    assert skillgit(repo, "verify").returncode == 0


def test_verify_reads_a_github_squash_of_a_maintainers_pull_request(hooked: tuple[Path, Shape]) -> None:
    repo, shape = hooked
    git(repo, "checkout", "-q", "-b", "topic")
    for name in ("alpha", "beta"):
        append(repo / shape.dirs[name] / "SKILL.md", f"\n{name} more.\n")
        git(repo, "add", "-A")
        assert commit(repo, f"{name}: more\n").returncode == 0
    git(repo, "checkout", "-q", "main")
    github_squash(repo, "topic", "More in two skills (#3)")
    result = skillgit(repo, "verify", "--json")
    assert result.returncode == 0, result.stdout
    assert json.loads(result.stdout)["violations"] == []


def test_the_journal_shows_a_github_squash_as_the_one_event_verify_reads(hooked: tuple[Path, Shape]) -> None:
    """GitHub's body repeats each squashed commit (`* subject`, blank line, its trailers): the journal lists
    the squash once, naming every skill of the pull request, as verify reads it; not its last block."""
    repo, shape = hooked
    git(repo, "checkout", "-q", "-b", "topic")
    for name in ("alpha", "beta", "gamma"):
        append(repo / shape.dirs[name] / "SKILL.md", f"\n{name} more.\n")
        git(repo, "add", "-A")
        assert commit(repo, f"{name}: more\n").returncode == 0
    git(repo, "checkout", "-q", "main")
    github_squash(repo, "topic", "More in three skills (#3)")
    body = git(repo, "log", "-1", "--format=%B")
    assert body.count("Skill-Event: manual") == 3 and "* alpha: more\n\nSkill-Event" in body

    squash = git(repo, "rev-parse", "HEAD").strip()
    journal = json.loads(skillgit(repo, "journal", "--json").stdout)
    mine = [e for e in journal if e["commit"] == squash]
    assert len(mine) == 1
    assert (mine[0]["event"], mine[0]["skills"], mine[0]["title"]) == ("manual", ["alpha", "beta", "gamma"],
                                                                        "More in three skills (#3)")
    for name in ("alpha", "gamma"):
        found = json.loads(skillgit(repo, "journal", "--skill", name, "--json").stdout)
        assert found[0]["commit"] == squash
    text = skillgit(repo, "journal", "-n", "1").stdout.splitlines()
    assert "alpha, beta, gamma" in text[1] and "More in three skills (#3)" in text[1] and len(text) == 2
    assert skillgit(repo, "verify").returncode == 0


def test_verify_still_refuses_an_agents_squash_of_two_skills(hooked: tuple[Path, Shape]) -> None:
    from conftest import as_agent

    repo, shape = hooked
    config = repo / "skillgit.yaml"
    config.write_text(config.read_text().replace("identities: []", 'identities: ["agent@example.com"]'))
    git(repo, "commit", "-qam", "Name the agent")
    named = git(repo, "rev-parse", "HEAD").strip()  # verify reads the config as of the range's base
    git(repo, "checkout", "-q", "-b", "topic")
    for name in ("alpha", "beta"):
        append(repo / shape.dirs[name] / "SKILL.md", f"\n{name} more.\n")
        git(repo, "add", "-A")
        assert commit(repo, f"{name}: more\n").returncode == 0
    git(repo, "checkout", "-q", "main")
    base = git(repo, "rev-parse", "HEAD").strip()
    body = "\n\n".join("* " + git(repo, "log", "-1", "--format=%B", c).strip()
                       for c in git(repo, "rev-list", "--reverse", "main..topic").split())
    tree = git(repo, "rev-parse", "topic^{tree}").strip()
    env = {**as_agent(), "GIT_AUTHOR_EMAIL": "agent@example.com", "GIT_COMMITTER_EMAIL": "agent@example.com"}
    made = git(repo, "commit-tree", tree, "-p", base, input=f"Two (#4)\n\n{body}\n", env=env).strip()
    git(repo, "update-ref", "HEAD", made)
    result = skillgit(repo, "verify", f"{named}..HEAD")
    assert result.returncode == 1 and "forged" in result.stdout


# -- CLI consistency ---------------------------------------------------------------------------------


def test_verify_takes_json_like_every_command(hooked: tuple[Path, Shape]) -> None:
    repo, _shape = hooked
    result = skillgit(repo, "verify", "--json")
    assert result.returncode == 0 and json.loads(result.stdout)["violations"] == []


def test_an_unknown_event_type_filter_is_an_error(hooked: tuple[Path, Shape]) -> None:
    repo, _shape = hooked
    result = skillgit(repo, "journal", "--event", "bogus")
    assert result.returncode == 2 and "bogus" in result.stderr and "refine" in result.stderr


def test_verify_of_an_uninitialised_repository_says_so(empty_repo: Path) -> None:
    build(empty_repo, SHAPES[0])
    result = skillgit(empty_repo, "verify")
    assert result.returncode == 2 and "skillgit init" in result.stderr


def test_a_mistyped_range_base_is_named_as_such(hooked: tuple[Path, Shape]) -> None:
    repo, _shape = hooked
    result = skillgit(repo, "verify", "mian..HEAD")
    assert result.returncode == 2 and "mian" in result.stderr and "full history" not in result.stderr


def test_validate_finds_skills_under_glob_roots_and_marks_the_baseline(empty_repo: Path) -> None:
    shape = SHAPES[2]
    build(empty_repo, shape)
    path = empty_repo / shape.dirs["beta"] / "SKILL.md"
    path.write_text(path.read_text().replace("name: beta", "name: beta-ops"))
    git(empty_repo, "commit", "-qam", "Other name")
    assert skillgit(empty_repo, "init").returncode == 0
    result = skillgit(empty_repo, "validate")
    assert result.returncode == 0, result.stdout
    assert "3 files" in result.stdout and "baseline" in result.stdout


# -- hooks next to other hook managers -------------------------------------------------------------


def pre_commit_framework(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    import sys

    config = repo / ".pre-commit-config.yaml"
    if not config.exists():
        config.write_text("repos:\n- repo: local\n  hooks:\n  - id: noop\n    name: noop\n    entry: 'true'\n    language: system\n"
                          "    always_run: true\n")
        git(repo, "add", ".pre-commit-config.yaml")
        git(repo, "commit", "-q", "--no-verify", "-m", "Use pre-commit")
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=repo, capture_output=True, text=True, check=False)


@pytest.mark.parametrize("order", ["skillgit-first", "pre-commit-first"])
def test_the_hooks_coexist_with_the_pre_commit_framework_in_either_order(empty_repo: Path, order: str) -> None:
    shape = SHAPES[0]
    repo = build(empty_repo, shape)
    assert skillgit(repo, "init").returncode == 0
    steps = [lambda: skillgit(repo, "hooks", "install"), lambda: pre_commit_framework(repo, "install")]
    for step in steps if order == "skillgit-first" else steps[::-1]:
        result = step()
        assert result.returncode == 0, result.stdout + result.stderr
    hooks = repo / ".git" / "hooks"
    assert "pre-commit" in (hooks / "pre-commit").read_text()  # the framework's own script stays in place
    append(repo / shape.dirs["alpha"] / "SKILL.md", "\nMore.\n")
    git(repo, "add", "-A")
    result = commit(repo, "alpha: more\n")
    assert result.returncode == 0, result.stderr
    assert dict(trailers_of(repo))["Skill-Event"] == "manual"  # skillgit's commit-msg ran
    path = repo / shape.dirs["beta"] / "SKILL.md"
    path.write_text(path.read_text().replace("name: beta", "name: Beta_Two"))
    git(repo, "add", "-A")
    refused = commit(repo, "beta: bad name\n")
    assert refused.returncode == 1 and "SG007" in refused.stderr  # skillgit's pre-commit ran too
    git(repo, "checkout", "-q", "HEAD", "--", ".")
    assert skillgit(repo, "hooks", "uninstall").returncode == 0
    left = sorted(p.name for p in hooks.iterdir() if not p.name.endswith(".sample"))
    assert not [name for name in left if name.endswith((".legacy", ".local"))], left


def test_a_tracked_hooks_folder_gets_shims_without_an_interpreter_path_and_a_note(empty_repo: Path) -> None:
    repo = build(empty_repo, SHAPES[0])
    (repo / ".githooks").mkdir()
    (repo / ".githooks" / "README").write_text("Team hooks.\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Team hooks folder")
    git(repo, "config", "core.hooksPath", ".githooks")
    assert skillgit(repo, "init").returncode == 0
    result = skillgit(repo, "hooks", "install")
    assert result.returncode == 0 and "lies in the work tree" in result.stderr
    shim = (repo / ".githooks" / "pre-commit").read_text()
    assert "python=" not in shim and "/.venv/" not in shim and "skillgit hook pre-commit" in shim


def test_a_hook_without_skillgit_says_what_is_missing(hooked: tuple[Path, Shape]) -> None:
    from skillgit.policy.install import install

    repo, shape = hooked
    install(repo, python="/nonexistent/python")
    append(repo / shape.dirs["alpha"] / "SKILL.md", "\nMore.\n")
    git(repo, "add", "-A")
    env = {"PATH": "/usr/bin:/bin"}
    result = commit(repo, "alpha: more\n", env=env)
    assert result.returncode != 0
    assert "skillgit is not installed here" in result.stderr and "not found" not in result.stderr


def test_a_title_may_start_with_a_skill_name_that_begins_with_skill(hooked: tuple[Path, Shape]) -> None:
    repo, shape = hooked
    append(repo / shape.dirs["alpha"] / "SKILL.md", "\nMore.\n")
    result = skillgit(repo, "record", "alpha", "-m", "skill-alpha: more detail")
    assert result.returncode == 0, result.stderr
    assert git(repo, "log", "-1", "--format=%s").strip() == "skill-alpha: more detail"


def test_an_event_command_says_that_the_repositorys_own_pre_commit_hook_did_not_run(hooked: tuple[Path, Shape]) -> None:
    repo, shape = hooked
    own = repo / ".git" / "hooks" / "pre-commit.local"
    own.write_text("#!/bin/sh\nexit 0\n")
    own.chmod(0o755)
    append(repo / shape.dirs["alpha"] / "SKILL.md", "\nMore.\n")
    result = skillgit(repo, "record", "alpha", "-m", "alpha: more")
    assert result.returncode == 0, result.stderr
    assert "pre-commit.local) did not run" in result.stderr
    quiet = skillgit(repo, "hooks", "uninstall")
    assert quiet.returncode == 0
    append(repo / shape.dirs["alpha"] / "SKILL.md", "\nAgain.\n")
    assert "did not run" in skillgit(repo, "record", "alpha").stderr  # restored as the repository's pre-commit


def test_an_unknown_skill_filter_is_an_error(hooked: tuple[Path, Shape]) -> None:
    repo, _shape = hooked
    result = skillgit(repo, "journal", "--skill", "alpah")
    assert result.returncode == 2 and "alpah" in result.stderr and "alpha" in result.stderr
    assert skillgit(repo, "journal", "--skill", "alpha").returncode == 0
