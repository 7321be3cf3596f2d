"""skillgit's hooks beside husky, the real one: husky 9 from the npm registry, set up by its own `husky`
command (`core.hooksPath=.husky/_`, a generated folder git ignores, whose stubs run the tracked
`.husky/<name>` scripts), and a tracked `.husky` hooks folder as older husky versions and hand-made
setups keep it. Both sets of hooks run on a real `git commit`; no tracked file is rewritten; uninstall
leaves husky's files byte for byte as they were. CI installs npm (.ci/run); without it, or without the
registry, these tests fail in CI and skip elsewhere, saying so."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import git, require
from layoutkit import append, commit, skillgit

SKILL = "---\nname: alpha\ndescription: Use when the task needs alpha.\n---\n\n# alpha\n\n1. Do it.\n"


@pytest.fixture(scope="session")
def husky_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """husky 9's command, installed once from the npm registry."""
    npm = shutil.which("npm")
    require(npm and shutil.which("node"), "npm and node (apt-get install npm)")
    where = tmp_path_factory.mktemp("husky")
    result = subprocess.run([str(npm), "install", "--prefix", str(where), "--no-audit", "--no-fund", "husky@9"],
                            capture_output=True, text=True, timeout=300, check=False)
    found = where / "node_modules" / "husky" / "bin.js"
    require(result.returncode == 0 and found.is_file(), f"husky 9 from the npm registry (npm said: {result.stderr[-300:]})")
    return found


def digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() + oct(p.stat().st_mode)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def repo_with_skill(repo: Path) -> Path:
    (repo / "skills" / "alpha").mkdir(parents=True)
    (repo / "skills" / "alpha" / "SKILL.md").write_text(SKILL)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "Import skills")
    assert skillgit(repo, "init").returncode == 0
    return repo


@pytest.fixture
def husky_repo(empty_repo: Path, husky_bin: Path) -> Path:
    """A managed repository where husky 9 is set up as its docs say, with two tracked husky scripts."""
    repo = repo_with_skill(empty_repo)
    result = subprocess.run(["node", str(husky_bin)], cwd=repo, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert git(repo, "config", "core.hooksPath").strip() == ".husky/_"
    (repo / ".husky" / "pre-commit").write_text('echo "husky pre-commit ran"\n')
    (repo / ".husky" / "commit-msg").write_text('echo "husky commit-msg ran on $1"\n')
    git(repo, "add", ".husky")
    git(repo, "commit", "-qm", "husky hooks", "--no-verify")
    assert git(repo, "status", "--porcelain") == ""  # .husky/_ is ignored: husky's own .gitignore
    return repo


def test_with_husky_9_both_sets_of_hooks_run_and_uninstall_puts_husky_back(husky_repo: Path) -> None:
    repo = husky_repo
    generated, tracked = repo / ".husky" / "_", {p: p.read_bytes() for p in (repo / ".husky").glob("*-*") if p.is_file()}
    before = digest(generated)

    installed = skillgit(repo, "hooks", "install")
    assert installed.returncode == 0, installed.stderr
    assert "husky's" in installed.stderr and "skillgit hooks install" in installed.stderr  # says husky rewrites it
    assert git(repo, "status", "--porcelain") == ""  # no tracked file touched

    append(repo / "skills" / "alpha" / "SKILL.md", "2. Check it.\n")
    git(repo, "add", "-A")
    made = commit(repo, "alpha: check it\n")
    assert made.returncode == 0, made.stderr
    assert "husky pre-commit ran" in made.stderr and "husky commit-msg ran on .git/COMMIT_EDITMSG" in made.stderr
    assert "Skill-Event: manual" in git(repo, "log", "-1", "--format=%B")  # skillgit's hooks ran too

    (repo / ".husky" / "pre-commit").write_text("echo 'husky says no'; exit 3\n")  # husky's hook fails the commit
    append(repo / "skills" / "alpha" / "SKILL.md", "3. Again.\n")
    git(repo, "add", "-A")
    refused = commit(repo, "alpha: again\n")
    assert refused.returncode != 0 and "husky says no" in refused.stderr
    (repo / ".husky" / "pre-commit").write_bytes(tracked[repo / ".husky" / "pre-commit"])
    (repo / "skills" / "alpha" / "SKILL.md").write_text(SKILL.replace("name: alpha", "name: Alpha Bad"))
    git(repo, "add", "-A")
    refused = commit(repo, "alpha: a bad name\n")  # skillgit's checks fail it
    assert refused.returncode != 0 and "SG007" in refused.stderr
    git(repo, "reset", "-q", "--hard")

    assert skillgit(repo, "hooks", "uninstall").returncode == 0
    assert digest(generated) == before
    assert {p: p.read_bytes() for p in tracked} == tracked
    assert git(repo, "status", "--porcelain") == ""


def test_husky_writing_its_folder_again_is_followed_by_a_clean_install(husky_repo: Path, husky_bin: Path) -> None:
    repo = husky_repo
    before = digest(repo / ".husky" / "_")
    assert skillgit(repo, "hooks", "install").returncode == 0
    assert subprocess.run(["node", str(husky_bin)], cwd=repo, capture_output=True, check=False).returncode == 0
    again = skillgit(repo, "hooks", "install")  # husky's stubs are back over the shims: kept again, no error
    assert again.returncode == 0, again.stderr
    append(repo / "skills" / "alpha" / "SKILL.md", "2. Check it.\n")
    git(repo, "add", "-A")
    made = commit(repo, "alpha: check it\n")
    assert made.returncode == 0 and "husky pre-commit ran" in made.stderr
    assert "Skill-Event: manual" in git(repo, "log", "-1", "--format=%B")
    assert skillgit(repo, "hooks", "uninstall").returncode == 0
    assert digest(repo / ".husky" / "_") == before


def test_a_tracked_hook_file_is_never_rewritten_and_install_says_what_to_add(empty_repo: Path) -> None:
    """`core.hooksPath=.husky` with the hook scripts committed (husky before v9, or by hand)."""
    repo = repo_with_skill(empty_repo)
    (repo / ".husky").mkdir()
    (repo / ".husky" / "pre-commit").write_text('#!/bin/sh\necho "team pre-commit ran"\n')
    (repo / ".husky" / "pre-commit").chmod(0o755)
    git(repo, "add", ".husky")
    git(repo, "commit", "-qm", "Team hooks")
    git(repo, "config", "core.hooksPath", ".husky")
    before = (repo / ".husky" / "pre-commit").read_bytes()

    installed = skillgit(repo, "hooks", "install")
    assert installed.returncode == 0, installed.stderr
    assert "tracked" in installed.stdout and "skillgit hook pre-commit" in installed.stderr
    assert (repo / ".husky" / "pre-commit").read_bytes() == before and not (repo / ".husky" / "pre-commit.local").exists()
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""

    append(repo / "skills" / "alpha" / "SKILL.md", "2. Check it.\n")
    git(repo, "add", "skills")
    made = commit(repo, "alpha: check it\n")
    assert made.returncode == 0 and "team pre-commit ran" in made.stderr
    assert "Skill-Event: manual" in git(repo, "log", "-1", "--format=%B")  # commit-msg: skillgit's, new and untracked

    assert skillgit(repo, "hooks", "uninstall").returncode == 0
    assert (repo / ".husky" / "pre-commit").read_bytes() == before
    assert sorted(p.name for p in (repo / ".husky").iterdir()) == ["pre-commit"]
