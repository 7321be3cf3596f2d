"""The pre-commit framework runs skillgit's two hooks from `.pre-commit-hooks.yaml`, on real commits.

Offline: the hook repository pre-commit clones is a local git repo holding the project's manifest
with `language: system` and each entry run by the interpreter under test (`python -m skillgit`), so
nothing depends on PATH, instead of `language: python` (which would pip-install skillgit and its
dependencies into pre-commit's own environment).
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, as_agent, git, needs, not_applicable, trailers_of
from hookkit import add_lines, commit, edit, make_managed

pytestmark = needs(importlib.util.find_spec("pre_commit"), "the pre-commit framework (in the test extra: pip install -e '.[test]')")


def manifest() -> list[dict[str, object]]:
    from skillgit.yamlio import load_yaml

    return load_yaml((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"), ".pre-commit-hooks.yaml")  # type: ignore[no-any-return]


def test_the_manifest_declares_both_hooks_with_their_stages() -> None:
    hooks = {h["id"]: h for h in manifest()}
    assert hooks["skillgit-policy"]["stages"] == ["pre-commit"]
    assert hooks["skillgit-policy"]["pass_filenames"] is False
    assert hooks["skillgit-policy"]["always_run"] is True
    assert hooks["skillgit-policy"]["entry"] == "skillgit hook pre-commit"
    assert hooks["skillgit-trailers"]["stages"] == ["commit-msg"]
    assert hooks["skillgit-trailers"]["entry"] == "skillgit hook commit-msg"


def _pre_commit(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=repo, capture_output=True, text=True, check=False)


@pytest.fixture
def framework_repo(empty_repo: Path, tmp_path: Path) -> Path:
    """A managed skills repo whose hooks are pre-commit's, using skillgit's manifest from a hook repo."""
    make_managed(empty_repo, hooks=False)
    hook_repo = tmp_path / "skillgit-hooks"
    hook_repo.mkdir()
    git(hook_repo, "init", "-q", "-b", "main")
    text = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8").replace("language: python", "language: system")
    assert text.count("entry: skillgit hook ") == 3
    text = text.replace("entry: skillgit hook ", f"entry: {shlex.quote(sys.executable)} -m skillgit hook ")
    (hook_repo / ".pre-commit-hooks.yaml").write_text(text, encoding="utf-8")
    git(hook_repo, "add", "-A")
    git(hook_repo, "commit", "-q", "-m", "manifest")
    rev = git(hook_repo, "rev-parse", "HEAD").strip()
    (empty_repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hook_repo}\n    rev: {rev}\n    hooks:\n      - id: skillgit-policy\n      - id: skillgit-trailers\n",
        encoding="utf-8",
    )
    git(empty_repo, "add", ".pre-commit-config.yaml")
    git(empty_repo, "commit", "-q", "-m", "Use pre-commit")
    installed = _pre_commit(empty_repo, "install", "--hook-type", "pre-commit", "--hook-type", "commit-msg")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return empty_repo


def test_pre_commit_installs_both_hook_types(framework_repo: Path) -> None:
    for name in ("pre-commit", "commit-msg"):
        text = (framework_repo / ".git" / "hooks" / name).read_text()
        assert "pre-commit" in text and "# skillgit-hook" not in text


def test_the_trailers_hook_adds_manual_trailers_through_pre_commit(framework_repo: Path) -> None:
    edit(framework_repo, "skills/research/SKILL.md", add_lines(1))
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p and not (Path(p) / "skillgit").exists())
    result = commit(framework_repo, "Clarify research\n", env={"PATH": path})
    assert result.returncode == 0, result.stdout + result.stderr
    assert dict(trailers_of(framework_repo))["Skill-Event"] == "manual"


def test_the_policy_hook_refuses_an_agent_edit_of_a_creator_skill_through_pre_commit(framework_repo: Path) -> None:
    before = git(framework_repo, "rev-parse", "HEAD")
    edit(framework_repo, "skills/family/SKILL.md", add_lines(1))
    result = commit(framework_repo, "Agent edit\n", env=as_agent())
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "skillgit policy" in output and "Failed" in output
    assert "skillgit: SG002 skills/family/SKILL.md:" in output
    assert git(framework_repo, "rev-parse", "HEAD") == before


def test_the_trailers_hook_refuses_a_forged_trailer_through_pre_commit(framework_repo: Path) -> None:
    edit(framework_repo, "skills/research/SKILL.md", add_lines(1))
    result = commit(framework_repo, "Research\n\nSkill-Event: refine\nclaimed in the body.\n")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "skillgit trailers" in output and "skillgit: SG001" in output


def test_the_documented_snippet_names_the_hooks_of_the_manifest() -> None:
    docs = (ROOT / "docs" / "hooks.md").read_text(encoding="utf-8")
    for hook in manifest():
        assert f"id: {hook['id']}" in docs
    assert "pre-commit install --hook-type pre-commit --hook-type commit-msg" in docs


@not_applicable(os.name != "posix", "shell hooks")
def test_pre_commit_run_all_files_passes_on_a_clean_repo(framework_repo: Path) -> None:
    result = _pre_commit(framework_repo, "run", "--all-files", "--hook-stage", "pre-commit")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_validate_hook_lints_skill_files_in_a_repository_skillgit_does_not_manage(empty_repo: Path, tmp_path: Path) -> None:
    hook_repo = tmp_path / "skillgit-hooks"
    hook_repo.mkdir()
    git(hook_repo, "init", "-q", "-b", "main")
    text = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8").replace("language: python", "language: system")
    assert text.count("entry: skillgit validate") == 1
    text = text.replace("entry: skillgit validate", f"entry: {shlex.quote(sys.executable)} -m skillgit validate")
    (hook_repo / ".pre-commit-hooks.yaml").write_text(text, encoding="utf-8")
    git(hook_repo, "add", "-A")
    git(hook_repo, "commit", "-q", "-m", "manifest")
    rev = git(hook_repo, "rev-parse", "HEAD").strip()
    (empty_repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hook_repo}\n    rev: {rev}\n    hooks:\n      - id: skillgit-validate\n", encoding="utf-8")
    skill = empty_repo / "skills" / "notes" / "SKILL.md"
    skill.parent.mkdir(parents=True)
    skill.write_text("---\nname: notes\ndescription: Use when taking notes.\n---\n\n# Notes\n")
    git(empty_repo, "add", "-A")
    assert _pre_commit(empty_repo, "install").returncode == 0
    assert commit(empty_repo, "Add notes\n").returncode == 0
    skill.write_text(skill.read_text().replace("name: notes", "name: other"))
    git(empty_repo, "add", "-A")
    result = commit(empty_repo, "Rename in the file only\n")
    assert result.returncode != 0 and "does not match the directory name" in result.stdout + result.stderr
