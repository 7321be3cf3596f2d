"""The SKILL.md model: parsing, byte-exact edits, bad input, symlinks that leave the repository."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORPUS, CORPUS_FIX, SAMPLES, git, needs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skillgit.errors import SkillFileError, UsageError
from skillgit.model.skill import (
    MAX_FRONTMATTER_BYTES,
    Skill,
    check_name,
    name_is_safe,
    parse_skill,
    read_skill,
    render_skill,
)

SKILLS = SAMPLES / "skills"
CORPUS_SKILLS = sorted((CORPUS / "skills").rglob("SKILL.md")) if (CORPUS / "skills").is_dir() else []
YOYO_SKILLS = sorted((CORPUS / "yoyo").glob("*SKILL.md")) if (CORPUS / "yoyo").is_dir() else []
needs_corpus = needs(CORPUS_SKILLS, f"skills/ of {CORPUS_FIX}")


def sample(name: str) -> bytes:
    return (SKILLS / name).read_bytes()


def yoyo_path(file: Path) -> str:
    """`yoyo-gasp__skills__social__SKILL.md` -> `skills/social/SKILL.md`."""
    return "/".join(file.name.split("__")[1:])


# -- the corpus ----------------------------------------------------------------------------------


@needs_corpus
def test_the_corpus_holds_43_public_skill_files() -> None:
    assert len(CORPUS_SKILLS) == 43


@needs_corpus
@pytest.mark.parametrize("file", CORPUS_SKILLS, ids=lambda p: str(p.relative_to(CORPUS / "skills")))
def test_every_public_skill_file_parses_with_name_and_description(file: Path) -> None:
    skill = parse_skill(file.read_bytes(), str(file.relative_to(CORPUS / "skills")))
    assert skill.name and skill.description
    assert skill.raw[: skill.body_offset] + skill.body.encode() == skill.raw


@needs(YOYO_SKILLS, f"yoyo/ of {CORPUS_FIX}")
@pytest.mark.parametrize("file", YOYO_SKILLS, ids=lambda p: p.name)
def test_every_yoyo_skill_file_parses_with_its_governance_fields(file: Path) -> None:
    skill = parse_skill(file.read_bytes(), yoyo_path(file))
    assert skill.name == skill.dir_name
    assert skill.origin in ("yoyo", "creator")
    assert skill.core == (skill.origin == "creator")


# -- properties ----------------------------------------------------------------------------------


def test_governance_properties_read_the_frontmatter() -> None:
    skill = parse_skill(sample("yoyo_bookkeeping.md"), "skills/blindspot/SKILL.md")
    assert (skill.name, skill.dir_name, skill.origin, skill.core, skill.status) == (
        "blindspot", "blindspot", "yoyo", False, "active")
    assert skill.keywords == ("skills/blindspot", "roast level")
    assert skill.description == "Systematically find blind spots in code — structured critique"
    assert skill.frontmatter["last_used"] == "2026-08-19T23:06:39Z"


def test_missing_governance_fields_mean_unknown_origin_and_not_core() -> None:
    skill = parse_skill(b"---\nname: x\ndescription: y\n---\n", "skills/x/SKILL.md")
    assert (skill.origin, skill.core, skill.status, skill.keywords) == (None, False, None, ())


def test_the_version_is_the_blob_id_git_hash_object_prints(tmp_path: Path) -> None:
    file = tmp_path / "SKILL.md"
    file.write_bytes(sample("crlf_line_endings.md"))
    expected = subprocess.run(["git", "hash-object", str(file)], capture_output=True, text=True, check=True).stdout.strip()
    assert parse_skill(file.read_bytes(), "skills/social/SKILL.md").version == expected


def test_crlf_files_keep_their_newline_style() -> None:
    skill = parse_skill(sample("crlf_line_endings.md"), "skills/social/SKILL.md")
    assert skill.newline == "\r\n"
    assert skill.frontmatter["status"] == "active"
    assert skill.body == "\r\n# Social\r\n\r\nCRLF body.\r\n"


def test_a_dashes_line_in_the_body_is_body_text() -> None:
    skill = parse_skill(sample("body_with_delimiter_lines.md"), "skills/writer/SKILL.md")
    assert set(skill.frontmatter) == {"name", "description", "status"}
    assert "\n---\n\nname: not-frontmatter\n---\n" in skill.body


def test_skills_compare_by_path_and_bytes_and_can_be_hashed() -> None:
    a = parse_skill(sample("no_final_newline.md"), "skills/release/SKILL.md")
    b = parse_skill(sample("no_final_newline.md"), "skills/release/SKILL.md")
    assert a == b and len({a, b}) == 1


# -- byte-exact edits ----------------------------------------------------------------------------

EDITS = [
    ("comments_and_quoting.md", {"status": "refined"},
     b"status: active  # lifecycle\n", b"status: refined  # lifecycle\n"),
    ("comments_and_quoting.md", {"description": "It's new"},
     b"description: 'Reply to GitHub Discussions: it''s the social space'\n", b"description: 'It''s new'\n"),
    ("comments_and_quoting.md", {"license": "Apache-2.0"}, b'license: "MIT"\n', b'license: "Apache-2.0"\n'),
    ("comments_and_quoting.md", {"score": 0.61}, b"score: 0.59\n", b"score: 0.61\n"),
    ("comments_and_quoting.md", {"last_evolved": "2026-09-01"}, b"last_evolved: null\n", b'last_evolved: "2026-09-01"\n'),
    ("comments_and_quoting.md", {"keywords": ["a b", "c"]},
     b'keywords: ["gh api graphql", discussion]   #', b"keywords: [a b, c]   #"),
    ("crlf_line_endings.md", {"uses": 3}, b"uses: 2\r\n", b"uses: 3\r\n"),
    ("crlf_line_endings.md", {"origin": "yoyo"}, b"uses: 2\r\n---", b"uses: 2\r\norigin: yoyo\r\n---"),
    ("no_final_newline.md", {"status": "active"}, b"status: candidate\n", b"status: active\n"),
    ("body_with_delimiter_lines.md", {"status": "deprecated"}, b"status: active\n", b"status: deprecated\n"),
    ("block_values.md", {"description": "Short now"},
     b"description:\n  React Native and Expo best practices for building performant mobile apps.\n"
     b"  Use when building React Native components.\n", b"description: Short now\n"),
    ("block_values.md", {"long": "one line"}, b"long: |\n  first line\n  second line\n", b"long: one line\n"),
    ("block_values.md", {"keywords": ["expo", "metro"]}, b"  - react native\n  - expo\n", b"  - expo\n  - metro\n"),
    ("yoyo_bookkeeping.md", {"uses": 2, "wins": 2},
     b"uses: 1\nwins: 1\n", b"uses: 2\nwins: 2\n"),
]


@pytest.mark.parametrize(("name", "updates", "old", "new"), EDITS, ids=lambda v: v if isinstance(v, str) else None)
def test_with_fields_changes_only_the_bytes_of_the_target_values(name: str, updates: dict, old: bytes, new: bytes) -> None:
    raw = sample(name)
    assert raw.count(old) == 1
    edited = parse_skill(raw, "skills/x/SKILL.md").with_fields(updates)
    assert edited.raw == raw.replace(old, new)
    for key, value in updates.items():
        assert edited.frontmatter[key] == value


def test_an_empty_value_gets_the_new_value_after_its_colon() -> None:
    skill = parse_skill(b"---\nname: x\norigin:   # set by the maintainer\ndescription: y\n---\n", "skills/x/SKILL.md")
    assert skill.with_field("origin", "yoyo").raw == b"---\nname: x\norigin: yoyo   # set by the maintainer\ndescription: y\n---\n"


def test_a_string_another_reader_could_take_for_a_number_or_bool_is_quoted() -> None:
    skill = parse_skill(b"---\nname: x\ndescription: y\n---\n", "skills/x/SKILL.md")
    edited = skill.with_fields(description="yes", license="1.0", compatibility="[CANDIDATE] a: b")
    assert edited.raw == b'---\nname: x\ndescription: "yes"\nlicense: "1.0"\ncompatibility: "[CANDIDATE] a: b"\n---\n'


def test_with_body_keeps_the_frontmatter_bytes() -> None:
    raw = sample("crlf_line_endings.md")
    edited = parse_skill(raw, "skills/social/SKILL.md").with_body("New body\n---\n")
    assert edited.raw == raw[: raw.index(b"---\r\n\r\n# Social") + 5] + b"New body\n---\n"
    assert edited.body == "New body\n---\n"


def test_render_skill_writes_a_file_that_parses_back() -> None:
    skill = render_skill({"name": "new-skill", "description": "[CANDIDATE — unreviewed] Does x", "core": False,
                          "keywords": ["a", "b c"]}, "# New\n")
    assert skill.raw == (
        '---\nname: new-skill\ndescription: "[CANDIDATE — unreviewed] Does x"\ncore: false\nkeywords: [a, b c]\n---\n# New\n'
    ).encode()


def test_a_flow_mapping_frontmatter_is_refused_for_editing() -> None:
    skill = parse_skill(b"---\n{name: x, description: y}\n---\n", "skills/x/SKILL.md")
    with pytest.raises(SkillFileError, match=r"^skills/x/SKILL.md:2: frontmatter is a flow mapping"):
        skill.with_field("status", "active")


FIELD_KEYS = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)
PRINTABLE = st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp", "Cf"))
SCALARS = st.one_of(
    st.text(PRINTABLE, max_size=30), st.integers(-10**6, 10**6), st.booleans(), st.none(),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)
BODY_LINES = st.lists(st.sampled_from(["---", "--- ", "text", "", "# Heading", "name: body", "...", "  ---"]), max_size=8)


def _yaml_text(value: object, style: str) -> str:
    """The test's own writer: one of several quoting styles, independent of the library's."""
    import json

    if isinstance(value, str):
        if style == "single":
            return "'" + value.replace("'", "''") + "'"
        if style == "plain" and value.isalpha() and value.isascii() and value.lower() not in {
            "true", "false", "yes", "no", "on", "off", "y", "n", "null", "nan", "inf"}:
            return value
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fields=st.dictionaries(FIELD_KEYS, st.tuples(SCALARS, st.sampled_from(["plain", "single", "double"]), st.booleans()),
                           min_size=1, max_size=6),
    body=BODY_LINES,
    crlf=st.booleans(),
    final_newline=st.booleans(),
    data=st.data(),
)
def test_with_field_leaves_every_other_line_byte_identical(fields, body, crlf, final_newline, data) -> None:  # type: ignore[no-untyped-def]
    nl = "\r\n" if crlf else "\n"
    lines = [f"{k}: {_yaml_text(v, style)}" + ("  # note" if comment else "") for k, (v, style, comment) in fields.items()]
    text = nl.join(["---", *lines, "---", *body]) + (nl if final_newline else "")
    skill = parse_skill(text.encode(), "skills/x/SKILL.md")
    assert dict(skill.frontmatter) == {k: v for k, (v, _, _) in fields.items()}
    key = data.draw(st.sampled_from(sorted(fields)))
    value = data.draw(SCALARS)
    edited = skill.with_field(key, value)
    assert edited.frontmatter[key] == value
    old, new = skill.raw.split(b"\n"), edited.raw.split(b"\n")
    assert len(old) == len(new)
    changed = [i for i, (a, b) in enumerate(zip(old, new)) if a != b]
    target = 1 + sorted(fields, key=list(fields).index).index(key)
    assert changed in ([], [target])
    assert new[target].startswith(f"{key}: ".encode())
    assert new[target].endswith(b"  # note" + (b"\r" if crlf else b"")) == fields[key][2]


@settings(max_examples=50, deadline=None)
@given(key=FIELD_KEYS, value=SCALARS, crlf=st.booleans())
def test_a_new_key_is_appended_as_one_line_before_the_closing_dashes(key: str, value: object, crlf: bool) -> None:
    nl = "\r\n" if crlf else "\n"
    raw = f"---{nl}name: x{nl}description: y  # c{nl}---{nl}body{nl}".encode()
    skill = parse_skill(raw, "skills/x/SKILL.md")
    if key in skill.frontmatter:
        return
    edited = skill.with_field(key, value)
    head, tail = raw.split(f"---{nl}body".encode())
    assert edited.raw.startswith(head) and edited.raw.endswith(f"---{nl}body{nl}".encode())
    added = edited.raw[len(head) : -len(f"---{nl}body{nl}")]
    assert added.startswith((f"{key}: ".encode(), f'"{key}": '.encode())) and added.endswith(nl.encode()) and added.count(b"\n") == 1
    assert edited.frontmatter[key] == value


# -- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "safe"), [
    ("social", True), ("skill-evolve", True), ("a1-b2", True), ("x" * 64, True),
    ("../x", False), ("a/b", False), ("..", False), ("", False), ("-a", False), ("a-", False), ("a--b", False),
    ("Social", False), ("x" * 65, False), ("a b", False), ("a\n", False), ("é", False),
])
def test_name_is_safe_accepts_only_lowercase_hyphenated_names(name: str, safe: bool) -> None:
    assert name_is_safe(name) is safe


def test_a_path_traversal_name_is_refused_with_the_fix() -> None:
    with pytest.raises(UsageError) as info:
        check_name("../evil")
    assert str(info.value) == (
        "skill name '../evil' is not allowed: use 1-64 lowercase letters, digits and single hyphens "
        "(no `/`, `..`, leading or trailing hyphen); for example `evil`."
    )


def test_setting_an_unsafe_name_through_with_field_is_refused() -> None:
    skill = parse_skill(b"---\nname: x\ndescription: y\n---\n", "skills/x/SKILL.md")
    with pytest.raises(UsageError, match="not allowed"):
        skill.with_field("name", "a/b")


# -- bad input -----------------------------------------------------------------------------------

BAD = [
    ("bom.md", 1, "file starts with a UTF-8 byte order mark (BOM)"),
    ("invalid_utf8.md", 3, "not valid UTF-8 at byte 28"),
    ("no_opening_delimiter.md", 1, "the file does not start with a `---` line"),
    ("no_closing_delimiter.md", 1, "the frontmatter has no closing `---` line"),
    ("frontmatter_is_a_list.md", 2, "the frontmatter must be a mapping of keys, got a list"),
    ("empty_frontmatter.md", 2, "the frontmatter must be a mapping of keys, got nothing"),
    ("duplicate_keys.md", 4, 'duplicate key "description"'),
    ("yaml_bomb.md", 3, "YAML anchors and aliases are not allowed"),
    ("malformed_yaml.md", 4, "invalid YAML"),
    ("tab_indentation.md", 3, "invalid YAML"),
    ("python_tag.md", 2, "invalid YAML: could not determine a constructor"),
    ("non_string_key.md", 4, "frontmatter key 1 is not a string"),
    ("deep_flow_nesting.md", 2, "the frontmatter has 300 `[`/`{` characters, over the limit of 256"),
]


@pytest.mark.parametrize(("name", "line", "problem"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_raises_skill_file_error_naming_file_and_line(name: str, line: int, problem: str) -> None:
    with pytest.raises(SkillFileError) as info:
        parse_skill(sample(name), f"skills/x/{name}")
    message = str(info.value)
    assert message.startswith(f"skills/x/{name}:{line}: {problem}")
    assert "; " in message and message.endswith(".")
    assert (info.value.line, info.value.problem.startswith(problem)) == (line, True)  # type: ignore[attr-defined]


def test_a_frontmatter_over_64_kib_is_refused_before_yaml_parsing() -> None:
    raw = b"---\nname: x\ndescription: " + b"a" * MAX_FRONTMATTER_BYTES + b"\n---\n"
    with pytest.raises(SkillFileError, match=r"^skills/x/SKILL.md:2: the frontmatter is 65558 bytes, over the limit of 65536"):
        parse_skill(raw, "skills/x/SKILL.md")


@pytest.mark.parametrize("name", ["bom.md", "yaml_bomb.md", "invalid_utf8.md", "duplicate_keys.md", "no_closing_delimiter.md"])
def test_the_cli_reports_bad_input_with_exit_2_and_no_traceback(tmp_path: Path, name: str) -> None:
    target = tmp_path / "skills" / "x"
    target.mkdir(parents=True)
    (target / "SKILL.md").write_bytes(sample(name))
    result = subprocess.run([sys.executable, "-m", "skillgit", "validate", "skills"], cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout.startswith(f"skills/x/SKILL.md:{dict((b[0], b[1]) for b in BAD)[name]}: error: ")


# -- reading from a work tree --------------------------------------------------------------------


def test_read_skill_reads_a_file_inside_the_root(empty_repo: Path) -> None:
    (empty_repo / "skills" / "social").mkdir(parents=True)
    (empty_repo / "skills" / "social" / "SKILL.md").write_bytes(sample("comments_and_quoting.md"))
    skill = read_skill(empty_repo, "skills/social/SKILL.md")
    assert (skill.path, skill.name) == ("skills/social/SKILL.md", "social")


def test_a_skill_md_symlink_that_leaves_the_repo_is_refused(empty_repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_bytes(sample("comments_and_quoting.md"))
    (empty_repo / "skills" / "social").mkdir(parents=True)
    os.symlink(outside, empty_repo / "skills" / "social" / "SKILL.md")
    with pytest.raises(SkillFileError) as info:
        read_skill(empty_repo, "skills/social/SKILL.md")
    assert str(info.value) == (
        f"skills/social/SKILL.md: skills/social/SKILL.md is a symlink to {outside.resolve()}, outside the repository; "
        "replace the symlink with the real files or point it inside the repository."
    )


def test_a_skill_dir_symlink_that_leaves_the_repo_is_refused(empty_repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "social"
    outside.mkdir(parents=True)
    (outside / "SKILL.md").write_bytes(sample("comments_and_quoting.md"))
    (empty_repo / "skills").mkdir()
    os.symlink(outside, empty_repo / "skills" / "social")
    with pytest.raises(SkillFileError, match=r"skills/social is a symlink to .*, outside the repository"):
        read_skill(empty_repo, "skills/social/SKILL.md")


def test_a_symlink_inside_the_repo_is_followed(empty_repo: Path) -> None:
    (empty_repo / "shared").mkdir()
    (empty_repo / "shared" / "SKILL.md").write_bytes(sample("comments_and_quoting.md"))
    (empty_repo / "skills" / "social").mkdir(parents=True)
    os.symlink("../../shared/SKILL.md", empty_repo / "skills" / "social" / "SKILL.md")
    assert read_skill(empty_repo, "skills/social/SKILL.md").name == "social"


@pytest.mark.parametrize("rel", ["../outside/SKILL.md", "skills/../../x/SKILL.md", "/etc/SKILL.md"])
def test_a_path_that_climbs_out_of_the_root_is_refused(empty_repo: Path, rel: str) -> None:
    with pytest.raises(SkillFileError, match="the path leaves the repository"):
        read_skill(empty_repo, rel)


def test_read_skill_names_a_missing_file(empty_repo: Path) -> None:
    with pytest.raises(SkillFileError, match=r"^skills/nope/SKILL.md: no such file; "):
        read_skill(empty_repo, "skills/nope/SKILL.md")


def test_a_committed_skill_round_trips_through_git_byte_for_byte(empty_repo: Path) -> None:
    (empty_repo / "skills" / "social").mkdir(parents=True)
    file = empty_repo / "skills" / "social" / "SKILL.md"
    file.write_bytes(sample("crlf_line_endings.md"))
    git(empty_repo, "add", ".")
    git(empty_repo, "commit", "-q", "-m", "add")
    skill = read_skill(empty_repo, "skills/social/SKILL.md")
    file.write_bytes(skill.with_field("uses", 3).raw)
    assert git(empty_repo, "diff", "--numstat").split() == ["1", "1", "skills/social/SKILL.md"]
    assert isinstance(skill, Skill)
