"""Skill roots: several folders and globs, category folders, and `init` finding the layout by itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import git, trailers_of
from layoutkit import SHAPES, Shape, append, build, commit, skill_text, skillgit

from skillgit.adopt import detect_roots
from skillgit.config import Config
from skillgit.errors import ConfigError
from skillgit.model.layout import Layout


@pytest.mark.parametrize(("path", "expected"), [
    ("skills/foo/SKILL.md", ("foo", "skills/foo")),
    ("skills/foo/scripts/run.sh", ("foo", "skills/foo")),
    ("skills/.curated/bar/SKILL.md", ("bar", "skills/.curated/bar")),
    ("skills/.curated/bar/scripts/run.sh", None),  # which folder is the skill: only the tree says
    ("skills/README.md", None),
    ("plugins/docs/skills/baz/notes/a.md", ("baz", "plugins/docs/skills/baz")),
    ("plugins/docs/agents/a.md", None),
    ("skills_attic/old/SKILL.md", ("old", "skills_attic/old")),
    ("elsewhere/foo/SKILL.md", None),
])
def test_a_path_names_its_skill_where_the_path_alone_says(path: str, expected: tuple[str, str] | None) -> None:
    layout = Layout(["skills", "plugins/*/skills"], "skills_attic")
    found = layout.place(path)
    assert ((found.name, found.dir) if found else None) == expected


def test_the_tree_says_which_folder_of_a_category_is_the_skill() -> None:
    layout = Layout("skills", "skills_attic")
    found = layout.place("skills/.curated/bar/scripts/run.sh", {"skills/.curated/bar"}.__contains__)
    assert found is not None and (found.name, found.dir, found.category) == ("bar", "skills/.curated/bar", ".curated")


def test_a_skill_md_inside_a_skill_is_one_of_its_files() -> None:
    layout = Layout("skills", "skills_attic")
    found = layout.skill_files(["skills/foo/SKILL.md", "skills/foo/templates/SKILL.md", "skills/.system/bar/SKILL.md"])
    assert sorted(p.name for p in found.values()) == ["bar", "foo"]


def test_the_deepest_of_overlapping_roots_decides() -> None:
    layout = Layout(["skills", "skills/.curated"], "skills_attic")
    found = layout.place("skills/.curated/bar/x.md")
    assert found is not None and found.root == "skills/.curated" and found.name == "bar"
    assert layout.scan_roots == ("skills", "skills_attic")


def test_a_folder_matching_a_glob_root_that_is_a_skill_is_not_a_root() -> None:
    layout = Layout(["skills", "skills/*"], "skills_attic")
    found = layout.place("skills/foo/scripts/run.sh", {"skills/foo"}.__contains__)
    assert found is not None and found.name == "foo"


@pytest.mark.parametrize("value", [["skills", "../x"], "plugins/**/skills", "/abs", ["*"]])
def test_a_root_outside_the_repository_or_with_a_double_star_is_a_config_error(value: object) -> None:
    text = f"paths:\n  skills: {json.dumps(value)}\n"
    with pytest.raises(ConfigError, match="paths.skills"):
        Config.from_text(text)


def test_a_list_of_roots_and_globs_is_a_valid_config() -> None:
    config = Config.from_text('paths:\n  skills: [skills, "plugins/*/skills", skills/.curated]\n')
    assert config.layout.patterns == ("skills", "plugins/*/skills", "skills/.curated")
    assert config.layout.primary == "skills"


@pytest.mark.parametrize(("files", "roots", "outside"), [
    (["skills/a/SKILL.md", "skills/b/SKILL.md", "template/SKILL.md", "README.md"], ("skills",), ("template/SKILL.md",)),
    (["skills/.curated/a/SKILL.md", "skills/.system/b/SKILL.md", "skills/.experimental/c/SKILL.md"], ("skills",), ()),
    (["plugins/p/skills/a/SKILL.md", "plugins/q/skills/b/SKILL.md", "plugins/q/agents/x.md"], ("plugins/*/skills",), ()),
    ([".claude/skills/a/SKILL.md", ".claude/skills/a/sub/SKILL.md"], (".claude/skills",), ()),
])
def test_init_finds_the_roots_from_where_the_skill_files_are(files: list[str], roots: tuple[str, ...],
                                                               outside: tuple[str, ...]) -> None:
    found = detect_roots(files)
    assert found.roots == roots and found.outside == outside


@pytest.fixture(params=SHAPES, ids=[s.id for s in SHAPES])
def shaped(request: pytest.FixtureRequest, empty_repo: Path) -> tuple[Path, Shape]:
    return build(empty_repo, request.param), request.param


def test_init_writes_the_layout_it_found_and_status_lists_every_skill(shaped: tuple[Path, Shape]) -> None:
    repo, shape = shaped
    result = skillgit(repo, "init")
    assert result.returncode == 0, result.stderr
    config = Config.load(repo)
    assert config.layout.patterns == shape.roots
    status = json.loads(skillgit(repo, "status", "--json").stdout)
    assert {s["name"]: s["path"] for s in status["skills"]} == {n: f"{d}/SKILL.md" for n, d in shape.dirs.items()}


def test_the_history_from_before_init_is_no_journal_but_holds_the_versions(shaped: tuple[Path, Shape]) -> None:
    repo, shape = shaped  # the upstream history has an edit of alpha and a `git revert` of it
    assert skillgit(repo, "init").returncode == 0
    journal = json.loads(skillgit(repo, "journal", "--json").stdout)
    assert [e["event"] for e in journal] == ["init"]
    assert json.loads(skillgit(repo, "status", "--json").stdout)["events"] == 1
    versions = json.loads(skillgit(repo, "versions", "alpha", "--json").stdout)
    assert [(v["version"], v["same_as"], v["adopted"]) for v in versions] == [("v1", None, False), ("v2", None, False),
                                                                              ("v3", "v1", False)]
    assert [v["event"] for v in versions] == ["commit", "commit", "commit"]


def test_a_plain_commit_of_one_skill_in_any_layout_gets_manual_trailers(shaped: tuple[Path, Shape]) -> None:
    repo, shape = shaped
    assert skillgit(repo, "init").returncode == 0
    assert skillgit(repo, "hooks", "install").returncode == 0
    append(repo / shape.dirs["beta"] / "scripts" / "run.sh", "echo done\n")
    git(repo, "add", "-A")
    result = commit(repo, "beta: say when done\n")
    assert result.returncode == 0, result.stderr
    assert trailers_of(repo)[:2] == [("Skill-Event", "manual"), ("Skill-Name", "beta")]


def test_init_refuses_a_skills_dir_that_holds_no_skill_and_names_where_they_are(empty_repo: Path) -> None:
    build(empty_repo, SHAPES[2])
    result = skillgit(empty_repo, "init", "--skills-dir", "skills")
    assert result.returncode == 2
    assert "holds no skill" in result.stderr and "--skills-dir plugins/*/skills" in result.stderr
    assert git(empty_repo, "log", "-1", "--format=%s").strip() == "Describe the collection"


def test_init_takes_skills_dirs_identities_and_origin(empty_repo: Path) -> None:
    build(empty_repo, SHAPES[1])
    result = skillgit(empty_repo, "init", "--skills-dir", "skills/.curated", "--skills-dir", "skills/.system",
                      "--identities", "bot@example.com", "--origin", "bot")
    assert result.returncode == 0, result.stderr
    config = Config.load(empty_repo)
    assert config.layout.patterns == ("skills/.curated", "skills/.system")
    assert config.agent.identities == ["bot@example.com"] and config.agent.origin == "bot"
    assert "skills/.experimental/beta/SKILL.md" in result.stderr  # left out, and said so


def test_init_stamps_origin_on_every_skill_in_the_init_commit(empty_repo: Path) -> None:
    shape = SHAPES[2]
    build(empty_repo, shape)
    before = git(empty_repo, "rev-parse", "HEAD").strip()
    result = skillgit(empty_repo, "init", "--stamp-origin", "creator")
    assert result.returncode == 0, result.stderr
    assert git(empty_repo, "rev-list", "--count", f"{before}..HEAD").strip() == "1"
    changed = sorted(git(empty_repo, "show", "--name-only", "--format=", "HEAD").split())
    assert changed == sorted(["skillgit.yaml", *(f"{d}/SKILL.md" for d in shape.dirs.values())])
    for name, folder in shape.dirs.items():
        text = (empty_repo / folder / "SKILL.md").read_text()
        assert text == skill_text(name).replace("---\n\n", "origin: creator\n---\n\n", 1)
    assert git(empty_repo, "status", "--porcelain") == ""
    assert skillgit(empty_repo, "verify").returncode == 0


def test_init_on_an_initialised_repository_says_so_and_exits_0(empty_repo: Path) -> None:
    build(empty_repo, SHAPES[0])
    assert skillgit(empty_repo, "init").returncode == 0
    head = git(empty_repo, "rev-parse", "HEAD")
    again = skillgit(empty_repo, "init", "--origin", "x")
    assert again.returncode == 0
    assert "already initialised" in again.stdout and "--origin not applied" in again.stderr
    assert git(empty_repo, "rev-parse", "HEAD") == head


# -- baseline ------------------------------------------------------------------------------------


LONG = "Use when " + "the task is long " * 70


def adopted_with_a_long_description(repo: Path) -> Path:
    """The flat layout, `alpha` given a description over the limit, then `skillgit init` (which records it
    as alpha's baseline); the path of alpha's SKILL.md."""
    shape = SHAPES[0]
    build(repo, shape)
    path = repo / shape.dirs["alpha"] / "SKILL.md"
    path.write_text(skill_text("alpha", LONG))
    git(repo, "commit", "-qam", "Longer description")
    assert skillgit(repo, "init").returncode == 0
    return path


def test_init_records_existing_problems_and_an_edit_that_keeps_them_passes(empty_repo: Path) -> None:
    shape = SHAPES[0]
    build(empty_repo, shape)
    path = empty_repo / shape.dirs["alpha"] / "SKILL.md"
    path.write_text(skill_text("alpha", LONG).replace("name: alpha", "name: alpha-skill"))
    git(empty_repo, "commit", "-qam", "Longer description")
    result = skillgit(empty_repo, "init")
    assert result.returncode == 0, result.stderr
    assert "2 problem(s) in 1 skill(s) exist already" in result.stderr
    assert Config.load(empty_repo).baseline["alpha"] == ["SG007/length:description", "SG007/name-dir-mismatch:name"]
    assert skillgit(empty_repo, "hooks", "install").returncode == 0
    append(path, "4. Report.\n")
    git(empty_repo, "add", "-A")
    assert commit(empty_repo, "alpha: report\n").returncode == 0


def long_alpha_adopted(repo: Path) -> Path:
    """The first layout, its skill alpha's description over the limit when `init` records the baseline, hooks
    installed: the path of alpha's SKILL.md."""
    shape = SHAPES[0]
    build(repo, shape)
    path = repo / shape.dirs["alpha"] / "SKILL.md"
    path.write_text(skill_text("alpha", LONG))
    git(repo, "commit", "-qam", "Longer description")
    assert skillgit(repo, "init").returncode == 0
    assert skillgit(repo, "hooks", "install").returncode == 0
    return path


def test_a_skill_with_a_baseline_problem_can_be_renamed_with_git_mv(empty_repo: Path) -> None:
    """The baseline follows the rename: the pre-commit hook (no message yet) sees the folder moved whole."""
    long_alpha_adopted(empty_repo)
    git(empty_repo, "mv", "skills/alpha", "skills/alpha-two")
    moved = empty_repo / "skills" / "alpha-two" / "SKILL.md"
    moved.write_text(moved.read_text().replace("name: alpha", "name: alpha-two", 1))
    git(empty_repo, "add", "-A")
    result = commit(empty_repo, "Rename alpha to alpha-two\n")
    assert result.returncode == 0, result.stderr
    assert "Skill-Renamed-From: alpha" in git(empty_repo, "log", "-1", "--format=%B")
    assert skillgit(empty_repo, "verify").returncode == 0


def test_an_edit_that_makes_a_baseline_problem_worse_is_refused(empty_repo: Path) -> None:
    path = long_alpha_adopted(empty_repo)
    path.write_text(skill_text("alpha", LONG + "and longer"))
    git(empty_repo, "add", "-A")
    result = commit(empty_repo, "alpha: longer still\n")
    assert result.returncode == 1 and "SG007" in result.stderr and "description" in result.stderr
    path.write_text(skill_text("alpha", LONG[:-40]))
    git(empty_repo, "add", "-A")
    assert commit(empty_repo, "alpha: shorter\n").returncode == 0


def test_a_new_problem_is_refused_even_in_a_skill_with_a_baseline(empty_repo: Path) -> None:
    path = long_alpha_adopted(empty_repo)
    path.write_text(skill_text("alpha", LONG).replace("name: alpha", "name: renamed"))
    git(empty_repo, "add", "-A")
    result = commit(empty_repo, "alpha: new name\n")
    assert result.returncode == 1 and "name" in result.stderr


def test_one_check_of_sg007_can_be_turned_off_alone(empty_repo: Path) -> None:
    shape = SHAPES[0]
    build(empty_repo, shape)
    assert skillgit(empty_repo, "init").returncode == 0
    config = empty_repo / "skillgit.yaml"
    config.write_text(config.read_text() + "policy:\n  disabled: [SG007/name-dir-mismatch]\n")
    git(empty_repo, "commit", "-qam", "Names may differ from folders")
    assert skillgit(empty_repo, "hooks", "install").returncode == 0
    path = empty_repo / shape.dirs["beta"] / "SKILL.md"
    path.write_text(path.read_text().replace("name: beta", "name: beta-two"))
    git(empty_repo, "add", "-A")
    assert commit(empty_repo, "beta: other name\n").returncode == 0
    path.write_text(path.read_text().replace("description: Use", "description: " + "x" * 1100))
    git(empty_repo, "add", "-A")
    result = commit(empty_repo, "beta: too long\n")
    assert result.returncode == 1 and "SG007" in result.stderr


def test_import_journal_finds_the_journal_under_the_skill_roots(empty_repo: Path) -> None:
    shape = SHAPES[2]
    build(empty_repo, shape)
    assert skillgit(empty_repo, "init").returncode == 0
    journal = empty_repo / "plugins" / "docs" / "skills" / "_journal.md"
    journal.write_text("## 2026-01-02T10:00:00Z refine alpha\n\nTightened the steps.\n")
    result = skillgit(empty_repo, "import-journal", "--json")
    assert result.returncode == 0, result.stderr
    assert isinstance(json.loads(result.stdout), list)


def test_skillgit_mv_moves_the_baseline_entry_so_later_edits_may_keep_the_problem(empty_repo: Path) -> None:
    adopted_with_a_long_description(empty_repo)
    config = empty_repo / "skillgit.yaml"
    config.write_text(config.read_text().replace("baseline:\n", "baseline:  # kept by hand\n", 1))
    git(empty_repo, "commit", "-qam", "skillgit.yaml: a comment of the maintainer's")
    assert skillgit(empty_repo, "hooks", "install").returncode == 0
    result = skillgit(empty_repo, "mv", "alpha", "alpha-two")
    assert result.returncode == 0, result.stderr
    text = config.read_text()
    assert "  alpha-two: [" in text and "  alpha: [" not in text and "baseline:  # kept by hand\n" in text
    assert Config.load(empty_repo).baseline["alpha-two"] == ["SG007/length:description"]
    assert git(empty_repo, "status", "--porcelain") == ""
    append(empty_repo / "skills" / "alpha-two" / "SKILL.md", "4. Report.\n")
    git(empty_repo, "add", "-A")
    assert commit(empty_repo, "alpha-two: report\n").returncode == 0
    assert git(empty_repo, "diff", "HEAD~2", "HEAD~1", "--", "skillgit.yaml").count("\n-  ") == 1
    assert skillgit(empty_repo, "verify", "HEAD~1..HEAD").returncode == 0  # a later range, its base's config


def test_skillgit_mv_refuses_while_skillgit_yaml_has_uncommitted_changes_to_move_the_baseline(empty_repo: Path) -> None:
    adopted_with_a_long_description(empty_repo)
    config = empty_repo / "skillgit.yaml"
    config.write_text(config.read_text() + "# mine\n")
    head = git(empty_repo, "rev-parse", "HEAD")
    result = skillgit(empty_repo, "mv", "alpha", "alpha-two")
    assert result.returncode != 0 and "skillgit.yaml" in result.stderr and "Traceback" not in result.stderr
    assert git(empty_repo, "rev-parse", "HEAD") == head and config.read_text().endswith("# mine\n")
