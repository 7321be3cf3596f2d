"""`skillgit validate`: agreement with the corpus' EXPECTED.md, exact messages, policy, exit codes."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from conftest import CORPUS, CORPUS_FIX, SAMPLES, git, needs

from skillgit.config import Config
from skillgit.errors import UsageError
from skillgit.model.validate import Problem, validate_paths, validate_report, validate_skill_bytes

CORPUS_DIR = CORPUS / "skills"
CORPUS_FILES = sorted(CORPUS_DIR.rglob("SKILL.md")) if CORPUS_DIR.is_dir() else []
needs_corpus = needs(CORPUS_FILES, f"skills/ of {CORPUS_FIX}")

# EXPECTED.md's rule names -> (key, rule) as skillgit reports them
RULES = {"description-length": ("description", "length"), "name-dir-mismatch": ("name", "name-dir-mismatch")}


def expected_failures() -> dict[str, str]:
    """Path -> rule kind, read from the table in the corpus' EXPECTED.md."""
    rows = re.findall(r"^\| `([^`]+/SKILL\.md)` \| ([a-z-]+) \|", (CORPUS_DIR / "EXPECTED.md").read_text(), re.MULTILINE)
    return dict(rows)


def rel(file: Path) -> str:
    return file.relative_to(CORPUS_DIR).as_posix()


def sample(name: str) -> bytes:
    return (SAMPLES / "skills" / name).read_bytes()


def write_skill(repo: Path, name: str, data: bytes, skills: str = "skills") -> Path:
    directory = repo / skills / name
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "SKILL.md").write_bytes(data)
    return directory / "SKILL.md"


GOOD = b"---\nname: social\ndescription: Talk to people\n---\nBody\n"


# -- the corpus ----------------------------------------------------------------------------------


@needs_corpus
def test_expected_md_lists_five_failing_files_of_the_two_known_kinds() -> None:
    failures = expected_failures()
    assert len(failures) == 5 and set(failures.values()) == set(RULES)


@needs_corpus
@pytest.mark.parametrize("file", CORPUS_FILES, ids=rel)
def test_validate_agrees_with_expected_md_on_every_public_skill_file(file: Path) -> None:
    problems = validate_skill_bytes(file.read_bytes(), rel(file))
    errors = {(p.key, p.rule) for p in problems if p.severity == "error"}
    kind = expected_failures().get(rel(file))
    assert errors == ({RULES[kind]} if kind else set())
    assert not [p for p in problems if p.severity == "warning"]


@needs_corpus
def test_validating_the_corpus_directory_finds_43_files_and_the_5_expected_errors() -> None:
    report = validate_report([CORPUS_DIR], CORPUS_DIR)
    assert len(report.files) == 43
    assert {p.path for p in report.problems} == set(expected_failures())
    assert (report.errors, report.warnings, report.exit_code) == (5, 0, 1)


@needs_corpus
def test_the_cli_over_the_corpus_exits_1_with_the_summary(sg, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = sg(tmp_path, "validate", str(CORPUS_DIR))
    assert result.code == 1
    assert result.out.splitlines()[-1] == "43 files, 5 errors, 0 warnings"
    assert len(result.out.splitlines()) == 6


@needs((CORPUS / "yoyo").is_dir(), f"yoyo/ of {CORPUS_FIX}")
@pytest.mark.parametrize("file", sorted((CORPUS / "yoyo").glob("*SKILL.md")), ids=lambda p: p.name)
def test_yoyo_skill_files_validate_without_problems(file: Path) -> None:
    path = "/".join(file.name.split("__")[1:])  # yoyo-gasp__skills__social__SKILL.md -> skills/social/SKILL.md
    assert validate_skill_bytes(file.read_bytes(), path) == []


# -- exact messages ------------------------------------------------------------------------------


def test_a_long_description_is_reported_with_its_length_in_code_points() -> None:
    raw = ("---\nname: x\ndescription: " + "é" * 1025 + "\n---\n").encode()
    [problem] = validate_skill_bytes(raw, "skills/x/SKILL.md")
    assert str(problem) == (
        "skills/x/SKILL.md:3: error: description: 1025 characters, over the limit of 1024. "
        "Shorten it to 1024 characters or fewer."
    )


def test_a_description_of_1024_multibyte_characters_is_accepted() -> None:
    raw = ("---\nname: x\ndescription: " + "é" * 1024 + "\n---\n").encode()
    assert validate_skill_bytes(raw, "skills/x/SKILL.md") == []


def test_a_name_that_differs_from_its_directory_is_reported_with_both_fixes() -> None:
    [problem] = validate_skill_bytes(GOOD, "skills/social-media/SKILL.md")
    assert str(problem) == (
        "skills/social-media/SKILL.md:2: error: name: 'social' does not match the directory name 'social-media'. "
        "Rename the directory to `social` or set `name: social-media`."
    )


def test_every_schema_problem_names_its_key_path_line_and_fix() -> None:
    problems = validate_skill_bytes(sample("invalid_fields.md"), "skills/social/SKILL.md")
    assert [str(p) for p in problems] == [
        "skills/social/SKILL.md:3: error: description: empty. Write a value or remove the key.",
        "skills/social/SKILL.md:4: error: core: 'yes' is a string, expected true or false. Write `true` or `false` without quotes.",
        "skills/social/SKILL.md:5: error: status: 'live' is not one of dormant, candidate, active, refined, deprecated. "
        "Use one of those values.",
        "skills/social/SKILL.md:6: error: uses: -1 is below 0. Use 0 or more.",
        "skills/social/SKILL.md:7: error: keywords: 'gh, discussion' is a string, expected a list. "
        "Write a list, e.g. `keywords: [a, b]`.",
        "skills/social/SKILL.md:9: error: metadata.version: 1.0 is a number, expected a string. Quote it: `version: \"1.0\"`.",
    ]


def test_a_path_traversal_name_is_a_pattern_error_with_a_safe_suggestion() -> None:
    [problem] = validate_skill_bytes(sample("path_traversal_name.md"), "skills/evil/SKILL.md")
    assert (problem.key, problem.rule, problem.line) == ("name", "pattern", 2)
    assert problem.message == "'../evil' is not a valid skill name"
    assert "e.g. `name: evil`" in problem.fix


def test_missing_required_fields_are_errors_without_a_line() -> None:
    problems = validate_skill_bytes(b"---\nlicense: MIT\n---\n", "skills/x/SKILL.md")
    assert [(p.key, p.rule, p.line, p.fix) for p in problems] == [
        ("name", "required", None, "add `name: x`."),
        ("description", "required", None, "add `description:` saying what the skill does and when to use it."),
    ]


@pytest.mark.parametrize(("value", "ok"), [("Read Grep", True), ("[Read, Grep]", True), ("[Read, 3]", False), ("3", False)])
def test_allowed_tools_is_a_string_or_a_list_of_strings(value: str, ok: bool) -> None:
    raw = f"---\nname: x\ndescription: y\nallowed-tools: {value}\n---\n".encode()
    problems = validate_skill_bytes(raw, "skills/x/SKILL.md")
    assert (problems == []) is ok
    if not ok:
        assert problems[0].message.endswith("expected a string or a list of strings")


# -- unknown fields and policy -------------------------------------------------------------------


def test_unknown_fields_are_warnings_with_a_did_you_mean() -> None:
    problems = validate_skill_bytes(sample("unknown_fields.md"), "skills/social/SKILL.md")
    assert [(p.key, p.severity, p.rule, p.line) for p in problems] == [
        ("descripton", "warning", "unknown-field", 4),
        ("author", "warning", "unknown-field", 5),
    ]
    assert problems[0].fix.startswith("did you mean `description`? Otherwise remove it")


@pytest.mark.parametrize(("policy", "severities"), [("warn", ["warning"] * 2), ("error", ["error"] * 2), ("ignore", [])])
def test_policy_decides_how_unknown_fields_are_reported(policy: str, severities: list[str]) -> None:
    problems = validate_skill_bytes(sample("unknown_fields.md"), "skills/social/SKILL.md", unknown_fields=policy)  # type: ignore[arg-type]
    assert [p.severity for p in problems] == severities


def test_governance_and_yoyo_bookkeeping_fields_are_known() -> None:
    assert validate_skill_bytes(sample("yoyo_bookkeeping.md"), "skills/blindspot/SKILL.md") == []


def test_a_file_that_does_not_parse_is_one_file_problem() -> None:
    [problem] = validate_skill_bytes(sample("duplicate_keys.md"), "skills/x/SKILL.md")
    assert problem == Problem("skills/x/SKILL.md", None, 'duplicate key "description"', "keep one of them.", "error", "file", 4)


# -- paths ---------------------------------------------------------------------------------------


def test_a_path_may_be_a_file_a_skill_dir_or_a_dir_of_skills(tmp_path: Path) -> None:
    write_skill(tmp_path, "social", GOOD)
    write_skill(tmp_path, "other", GOOD)
    write_skill(tmp_path / "skills" / "social" / "templates", "nested", b"not a skill")
    config = Config.defaults()
    assert [p.path for p in validate_paths([Path("skills/social/SKILL.md")], tmp_path, config)] == []
    assert validate_report([Path("skills/social")], tmp_path, config).files == ("skills/social/SKILL.md",)
    report = validate_report([tmp_path / "skills"], tmp_path, config)
    assert report.files == ("skills/other/SKILL.md", "skills/social/SKILL.md")
    assert [(p.path, p.rule) for p in report.problems] == [("skills/other/SKILL.md", "name-dir-mismatch")]


def test_hidden_directories_are_searched_but_git_internals_are_not(tmp_path: Path) -> None:
    write_skill(tmp_path, ".curated/social", GOOD)
    write_skill(tmp_path, ".git/social", b"broken")
    assert validate_report([tmp_path / "skills"], tmp_path).files == ("skills/.curated/social/SKILL.md",)


def test_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"^skills/nope: no such file or directory; pass a SKILL.md"):
        validate_paths([Path("skills/nope")], tmp_path, Config.defaults())


def test_a_symlinked_skill_dir_leaving_the_repo_is_a_file_problem(empty_repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "social"
    outside.mkdir(parents=True)
    (outside / "SKILL.md").write_bytes(GOOD)
    (empty_repo / "skills").mkdir()
    os.symlink(outside, empty_repo / "skills" / "social")
    [problem] = validate_paths([], empty_repo, Config.defaults())
    assert (problem.path, problem.rule, problem.severity) == ("skills/social/SKILL.md", "file", "error")
    assert problem.message == f"skills/social is a symlink to {outside.resolve()}, outside the repository"


# -- the command ---------------------------------------------------------------------------------


def test_validate_defaults_to_the_configured_skills_dir(sg, empty_repo: Path) -> None:  # type: ignore[no-untyped-def]
    (empty_repo / "skillgit.yaml").write_text("paths:\n  skills: agent_skills\n")
    write_skill(empty_repo, "social", GOOD, skills="agent_skills")
    write_skill(empty_repo, "ignored", b"broken")
    result = sg(empty_repo, "validate")
    assert (result.code, result.out) == (0, "1 file, 0 errors, 0 warnings\n")


def test_warnings_alone_exit_0_and_are_labelled(sg, empty_repo: Path) -> None:  # type: ignore[no-untyped-def]
    write_skill(empty_repo, "social", sample("unknown_fields.md"))
    result = sg(empty_repo, "validate")
    assert result.code == 0
    assert result.out.splitlines()[0].startswith("skills/social/SKILL.md:4: warning: descripton: unknown field")
    assert result.out.splitlines()[-1] == "1 file, 0 errors, 2 warnings"


def test_policy_unknown_fields_error_in_skillgit_yaml_makes_them_fail(sg, empty_repo: Path) -> None:  # type: ignore[no-untyped-def]
    (empty_repo / "skillgit.yaml").write_text("policy:\n  unknown_fields: error\n")
    write_skill(empty_repo, "social", sample("unknown_fields.md"))
    result = sg(empty_repo, "validate")
    assert result.code == 1
    assert result.out.splitlines()[-1] == "1 file, 2 errors, 0 warnings"


def test_relative_paths_are_taken_from_the_C_directory(sg, empty_repo: Path) -> None:  # type: ignore[no-untyped-def]
    write_skill(empty_repo, "social", GOOD)
    result = sg(empty_repo / "skills", "validate", "social")
    assert (result.code, result.out) == (0, "1 file, 0 errors, 0 warnings\n")


def test_json_output_lists_problems_and_a_summary(sg, empty_repo: Path) -> None:  # type: ignore[no-untyped-def]
    write_skill(empty_repo, "social-media", GOOD)
    result = sg(empty_repo, "validate", "--json")
    assert result.code == 1
    data = json.loads(result.out)
    assert data["summary"] == {"files": 1, "errors": 1, "warnings": 0}
    assert data["problems"] == [{
        "path": "skills/social-media/SKILL.md", "key": "name", "line": 2, "severity": "error", "rule": "name-dir-mismatch",
        "message": "'social' does not match the directory name 'social-media'",
        "fix": "rename the directory to `social` or set `name: social-media`.",
    }]


def test_a_broken_file_exits_2_but_the_other_files_are_still_checked(sg, empty_repo: Path) -> None:  # type: ignore[no-untyped-def]
    write_skill(empty_repo, "broken", sample("bom.md"))
    write_skill(empty_repo, "social-media", GOOD)
    result = sg(empty_repo, "validate")
    assert result.code == 2
    assert result.out.splitlines() == [
        "skills/broken/SKILL.md:1: error: file starts with a UTF-8 byte order mark (BOM). Save it as UTF-8 without BOM.",
        "skills/social-media/SKILL.md:2: error: name: 'social' does not match the directory name 'social-media'. "
        "Rename the directory to `social` or set `name: social-media`.",
        "2 files, 2 errors, 0 warnings",
    ]


def test_a_missing_path_exits_2_with_the_fix(sg, empty_repo: Path) -> None:  # type: ignore[no-untyped-def]
    result = sg(empty_repo, "validate", "skills/nope")
    assert result.code == 2
    assert result.err == (
        "skillgit: skills/nope: no such file or directory; pass a SKILL.md, a skill directory or a directory of skills.\n"
    )


def test_outside_a_repository_paths_are_required(sg, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = sg(tmp_path, "validate")
    assert result.code == 2 and "not inside a git repository and no PATH given" in result.err


def test_outside_a_repository_given_paths_are_checked_with_default_policy(sg, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write_skill(tmp_path, "social", sample("unknown_fields.md"))
    result = sg(tmp_path, "validate", "skills")
    assert result.code == 0 and result.out.endswith("1 file, 0 errors, 2 warnings\n")


def test_a_committed_repo_with_a_symlink_escape_exits_2(sg, empty_repo: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    outside = tmp_path / "secret.md"
    outside.write_bytes(GOOD)
    (empty_repo / "skills" / "social").mkdir(parents=True)
    os.symlink(outside, empty_repo / "skills" / "social" / "SKILL.md")
    git(empty_repo, "add", ".")
    git(empty_repo, "commit", "-q", "-m", "symlink")
    result = sg(empty_repo, "validate")
    assert result.code == 2
    assert "outside the repository. Replace the symlink" in result.out
