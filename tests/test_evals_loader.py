"""Loading evals.yaml and holdout.jsonl: real peer samples, exact error messages, can't-fail graders."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import CORPUS, CORPUS_FIX, SAMPLES, needs, not_applicable

from skillgit.errors import EXIT_USAGE, UsageError
from skillgit.evals.judge import JudgeGrader, load_rubric
from skillgit.evals.loader import EvalsFileError, load_evals, load_holdout

EVALS = SAMPLES / "evals"
PEERS = CORPUS / "peers"
QVR_BEHAVIORAL = PEERS / "astra-sh__qvr__cmd__acceptance_behavioral_test.go__evals.yaml"
QVR_LOOP = PEERS / "astra-sh__qvr__cmd__acceptance_loop_test.go__evals.yaml"
ORK_HOLDOUT = PEERS / "yonatangross__orchestkit__src__skills__assess__evals__holdout.jsonl"
ORK_RUBRIC = PEERS / "yonatangross__orchestkit__src__skills__assess__rubric.json"
QVR_SCENARIOS = PEERS / "astra-sh__qvr__skills__create-skill-eval__templates__scenarios.jsonl"
QVR_RUBRIC = PEERS / "astra-sh__qvr__skills__create-skill-eval__templates__rubric.yaml"

needs_corpus = needs(PEERS.is_dir(), f"peers/ of {CORPUS_FIX}")


def load_error(path: Path, name: str | None = None) -> str:
    loader = load_holdout if path.suffix == ".jsonl" else load_evals
    with pytest.raises(EvalsFileError) as info:
        loader(path, name=name or path.name)
    assert info.value.exit_code == EXIT_USAGE
    return str(info.value)


# -- the real qvr and OrchestKit files -------------------------------------------------------------


@needs_corpus
def test_qvr_behavioral_evals_yaml_loads_with_its_four_graders() -> None:
    evals = load_evals(QVR_BEHAVIORAL)
    assert [c.id for c in evals.cases] == ["edits-then-runs-tests"]
    case = evals.cases[0]
    assert case.suite == "verifies-changes"
    assert case.prompt is None
    assert [g.kind for g in case.graders] == ["skill_invocation", "tool_sequence", "tool_constraint", "behavior"]
    assert evals.suite("verifies-changes") is not None


@needs_corpus
def test_qvr_loop_evals_yaml_loads_with_outcome_and_text_graders() -> None:
    evals = load_evals(QVR_LOOP)
    case = evals.case("ambiguous-feature-needs-info")
    assert case is not None
    assert [g.kind for g in case.graders] == ["outcome", "text"]
    assert case.source == f"{QVR_LOOP}: suites[0].cases[0]"


@needs_corpus
def test_orchestkit_holdout_loads_as_judge_only_cases_with_their_data() -> None:
    cases = load_holdout(ORK_HOLDOUT)
    assert [c.id for c in cases] == ["h1", "h2", "h3", "h4", "h5", "h6", "h7"]
    h2 = cases[1]
    assert h2.graders == ()
    assert h2.source == f"{ORK_HOLDOUT}:2"
    assert h2.data["difficulty"] == "easy"
    assert "expected" in h2.judge_payload()


@needs_corpus
def test_a_runner_never_sees_the_expected_answer_of_a_holdout_case() -> None:
    payload = load_holdout(ORK_HOLDOUT)[0].runner_payload()
    assert "expected" not in payload
    assert "graders" not in payload
    assert payload["target"].startswith("def add(")
    assert payload["id"] == "h1"


@needs_corpus
def test_qvr_scenarios_jsonl_loads_as_a_holdout_with_input_as_the_prompt() -> None:
    cases = load_holdout(QVR_SCENARIOS)
    assert [c.id for c in cases][:2] == ["s1_basic", "s2_tricky"]
    assert cases[0].prompt == "<a normal, easy case>"


@needs_corpus
def test_orchestkit_rubric_json_loads_with_weights_blockers_and_composite_floor() -> None:
    rubric = load_rubric(ORK_RUBRIC)
    security = next(d for d in rubric.dimensions if d.name == "security")
    assert (security.weight, security.min_blocker) == (0.20, 4.0)
    assert rubric.min_pass == 5.5
    assert len(rubric.names) == 7


@needs_corpus
def test_qvr_rubric_yaml_loads_with_dimension_ids_as_names() -> None:
    assert load_rubric(QVR_RUBRIC).names == ("correctness_method", "robustness", "economy")


# -- a full sample ---------------------------------------------------------------------------------


def test_a_file_with_every_grader_loads_and_keeps_extra_case_fields_as_data() -> None:
    evals = load_evals(EVALS / "all_graders.yaml")
    case = evals.cases[0]
    assert case.id == "fix-failing-test"
    assert case.prompt == "The test in tests/test_app.py fails; fix it."
    assert [g.kind for g in case.graders] == [
        "outcome", "text", "tool_sequence", "tool_constraint", "skill_invocation", "behavior", "judge"
    ]
    assert case.data["difficulty"] == "easy"
    judge = case.graders[-1]
    assert isinstance(judge, JudgeGrader)
    assert judge.rubric.names == ("correctness", "security")
    assert judge.threshold == 6


def test_a_yaml_bom_and_crlf_line_endings_are_accepted(tmp_path: Path) -> None:
    text = (EVALS / "all_graders.yaml").read_text().replace("\n", "\r\n")
    shutil.copy(EVALS / "rubric.json", tmp_path)
    (tmp_path / "evals.yaml").write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert load_evals(tmp_path / "evals.yaml").cases[0].id == "fix-failing-test"


# -- a grader that cannot fail is refused, with the path to it --------------------------------------


@pytest.mark.parametrize(
    ("sample", "message"),
    [
        ("cannot_fail_outcome.yaml",
         "this outcome grader cannot fail: it needs `expect: success` or `expect: failure`"),
        ("cannot_fail_text.yaml", "this text grader cannot fail: it needs `contains` or `reject` (non-empty)"),
        ("cannot_fail_tool_sequence.yaml", "this tool_sequence grader cannot fail: it needs a non-empty `sequence`"),
        ("cannot_fail_tool_constraint.yaml",
         "this tool_constraint grader cannot fail: it needs `expectTools`, `rejectTools` or `maxTools`"),
        ("cannot_fail_skill_invocation.yaml",
         "this skill_invocation grader cannot fail: it needs `expectSkills` or `rejectSkills` (non-empty)"),
        ("cannot_fail_behavior.yaml",
         "this behavior grader cannot fail: it needs `maxTools`, `maxTurns` or `maxDurationMs`"),
    ],
)
def test_a_grader_that_cannot_fail_is_rejected_at_load_with_its_path(sample: str, message: str) -> None:
    assert load_error(EVALS / sample, "evals.yaml") == (
        f"evals.yaml: suites[0].cases[1].graders[1]: {message}; add one, or remove the grader."
    )


@pytest.mark.parametrize(
    ("sample", "message"),
    [
        ("never_passes_tool_constraint.yaml",
         "this tool_constraint grader can never pass: Bash is in both expectTools and rejectTools"),
        ("never_passes_text.yaml",
         "this text grader can never pass: contains 'ready-to-implement' includes rejected 'ready'"),
    ],
)
def test_a_grader_that_can_never_pass_is_rejected_at_load(sample: str, message: str) -> None:
    assert load_error(EVALS / sample, "evals.yaml") == (
        f"evals.yaml: suites[0].cases[1].graders[1]: {message}; remove one of them."
    )


def test_a_holdout_line_with_a_grader_that_cannot_fail_names_the_line_and_grader() -> None:
    assert load_error(EVALS / "holdout_cannot_fail.jsonl", "holdout.jsonl") == (
        "holdout.jsonl:1: graders[1]: this behavior grader cannot fail: it needs `maxTools`, `maxTurns` "
        "or `maxDurationMs`; add one, or remove the grader."
    )


# -- schema errors name the file and the path to the bad value ------------------------------------

FIX = "\nFix the values above; the evals.yaml format is in docs/evals.md."


@pytest.mark.parametrize(
    ("sample", "message"),
    [
        ("expect_tools_not_a_list.yaml", "suites[0].cases[2].graders[1].expectTools: 'Bash' is not a list"),
        ("outcome_expect_blocked.yaml",
         "suites[0].cases[1].graders[1].expect: 'blocked' is not one of 'success', 'failure'"),
        ("unknown_grader_type.yaml",
         "suites[0].cases[1].graders[1].type: 'prompt' is not one of 'outcome', 'text', 'tool_sequence', "
         "'tool_constraint', 'skill_invocation', 'behavior', 'judge'"),
        ("typo_in_grader_key.yaml",
         "suites[0].cases[1].graders[1]: unknown key 'expectTool'; allowed keys here: expectTools, maxTools, "
         "name, rejectTools, type"),
        ("version_missing.yaml", "(top level): 'version' is required"),
    ],
)
def test_a_schema_error_names_the_file_and_the_path_to_the_bad_value(sample: str, message: str) -> None:
    assert load_error(EVALS / sample, "evals.yaml") == f"evals.yaml: {message}{FIX}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version: 2\nsuites: []\n",
         "evals.yaml: suites: must not be empty\nevals.yaml: version: 2 is not supported; use 1"),
        ("version: 1\nsuites:\n  - name: s\n    cases: []\n", "evals.yaml: suites[0].cases: must not be empty"),
        ("version: 1\nsuites:\n  - cases: [{name: a, graders: [{type: outcome, expect: success}]}]\n",
         "evals.yaml: suites[0]: 'name' is required"),
        ("version: 1\nsuites:\n  - name: s\n    cases: [{name: a, prompt: 3}]\n",
         "evals.yaml: suites[0].cases[0].prompt: 3 is not a string"),
        ("version: 1\nsuites:\n  - name: s\n    cases: [{name: a, graders: [{type: tool_sequence, "
         "sequence: [Edit, {tool: Bash, contain: pytest}]}]}]\n",
         "evals.yaml: suites[0].cases[0].graders[0].sequence[1]: unknown key 'contain'; allowed keys here: "
         "contains, tool"),
        ("version: 1\nsuites:\n  - name: s\n    cases: [{name: a, graders: [{type: behavior, maxTurns: 0}]}]\n",
         "evals.yaml: suites[0].cases[0].graders[0].maxTurns: 0 is less than the minimum of 1"),
        ("version: 1\nsuites:\n  - name: s\n    cases: [{name: a, graders: [{type: text, contains: ['']}]}]\n",
         "evals.yaml: suites[0].cases[0].graders[0].contains[0]: must not be an empty string"),
        ("version: 1\nsuites:\n  - name: s\n    cases: [{name: a, graders: [{type: text, on: tool_output, "
         "contains: [x]}]}]\n",
         "evals.yaml: suites[0].cases[0].graders[0].on: 'tool_output' is not one of 'final_message'"),
        ("version: 1\nsuites:\n  - name: s\n    cases: [{name: a, graders: [{type: judge}]}]\n",
         "evals.yaml: suites[0].cases[0].graders[0]: 'rubric' is required"),
    ],
)
def test_structural_errors_are_reported_with_paths(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "evals.yaml").write_text(text)
    assert load_error(tmp_path / "evals.yaml", "evals.yaml") == message + FIX


def test_every_problem_in_a_file_is_reported_at_once(tmp_path: Path) -> None:
    (tmp_path / "evals.yaml").write_text(
        "version: 1\nsuites:\n  - name: s\n    cases:\n"
        "      - {name: a, graders: [{type: behavior}]}\n"
        "      - {name: b, graders: [{type: tool_constraint}]}\n"
    )
    assert load_error(tmp_path / "evals.yaml", "evals.yaml").splitlines() == [
        "evals.yaml: suites[0].cases[0].graders[0]: this behavior grader cannot fail: it needs `maxTools`, "
        "`maxTurns` or `maxDurationMs`; add one, or remove the grader.",
        "evals.yaml: suites[0].cases[1].graders[0]: this tool_constraint grader cannot fail: it needs "
        "`expectTools`, `rejectTools` or `maxTools`; add one, or remove the grader.",
    ]


def test_duplicate_case_ids_across_suites_are_refused_naming_both() -> None:
    assert load_error(EVALS / "duplicate_case_ids.yaml", "evals.yaml") == (
        "evals.yaml: suites[1].cases[0]: case id 'same' is already used at evals.yaml: suites[0].cases[0]; "
        "give each case a unique id."
    )


def test_a_case_without_id_or_name_is_refused(tmp_path: Path) -> None:
    (tmp_path / "evals.yaml").write_text(
        "version: 1\nsuites:\n  - name: s\n    cases: [{prompt: hi, graders: [{type: outcome, expect: success}]}]\n"
    )
    assert load_error(tmp_path / "evals.yaml", "evals.yaml") == (
        "evals.yaml: suites[0].cases[0]: a case needs `id` or `name`; give it a unique one."
    )


def test_a_missing_judge_rubric_file_is_a_load_error_naming_the_grader() -> None:
    assert load_error(EVALS / "judge_rubric_file_missing.yaml", "evals.yaml") == (
        "evals.yaml: suites[0].cases[1].graders[1].rubric: no-such-rubric.json: no such rubric file; "
        "create it or fix the path."
    )


def test_an_inline_rubric_with_a_duplicate_dimension_is_refused(tmp_path: Path) -> None:
    (tmp_path / "evals.yaml").write_text(
        "version: 1\nsuites:\n  - name: s\n    cases:\n      - name: a\n        graders:\n"
        "          - type: judge\n            rubric: {dimensions: [{name: x}, {id: x}]}\n"
    )
    assert load_error(tmp_path / "evals.yaml", "evals.yaml") == (
        "evals.yaml: suites[0].cases[0].graders[0].rubric: dimensions[1]: dimension 'x' appears twice; keep one."
    )


def test_a_rubric_file_with_a_duplicate_dimension_is_refused() -> None:
    with pytest.raises(UsageError, match=r"rubric_duplicate_dimension.yaml: dimensions\[1\]: dimension 'clarity'"):
        load_rubric(EVALS / "rubric_duplicate_dimension.yaml")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"version: 1\nversion: 1\n", 'evals.yaml:2: duplicate key "version"; keep one of them.'),
        (b"a: &x [1]\nb: *x\n", "evals.yaml:1: YAML anchors and aliases are not allowed"),
        (b"version: [1\n", "evals.yaml:2: invalid YAML"),
        (b"- 1\n- 2\n", "evals.yaml: the top level must be a mapping with `version: 1` and `suites`; see docs/evals.md."),
        (b"version: \xff\n", "evals.yaml: not valid UTF-8 at byte 9; save it as UTF-8."),
    ],
)
def test_bad_yaml_is_a_usage_error_not_a_traceback(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "evals.yaml").write_bytes(content)
    assert message in load_error(tmp_path / "evals.yaml", "evals.yaml")


def test_a_missing_evals_file_says_so(tmp_path: Path) -> None:
    assert load_error(tmp_path / "evals.yaml", "evals.yaml") == "evals.yaml: no such file; create it or fix the path."


# -- holdout lines -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "message"),
    [
        ("holdout_bad_json_line.jsonl",
         "holdout.jsonl:2: not valid JSON (Expecting property name enclosed in double quotes: line 1 column 44 "
         "(char 43)); each line must be one JSON case object."),
        ("holdout_missing_id.jsonl", "holdout.jsonl:3: a case needs `id`; give it a unique one."),
        ("holdout_duplicate_id.jsonl",
         "holdout.jsonl:2: case id 'h1' is already used at holdout.jsonl:1; give each case a unique id."),
        ("holdout_schema_error.jsonl", f"holdout.jsonl:1: graders[0].contains: 'done' is not a list{FIX}"),
        ("holdout_line_not_object.jsonl",
         "holdout.jsonl:1: a holdout line must be a JSON object with an `id`; found list."),
    ],
)
def test_a_bad_holdout_line_is_named_by_its_line_number(sample: str, message: str) -> None:
    assert load_error(EVALS / sample, "holdout.jsonl") == message


def test_holdout_graders_load_like_evals_yaml_graders(tmp_path: Path) -> None:
    (tmp_path / "holdout.jsonl").write_text(
        '{"id": "h1", "prompt": "p", "graders": [{"type": "tool_constraint", "expectTools": ["Bash"]}]}\n\n'
    )
    [case] = load_holdout(tmp_path / "holdout.jsonl")
    assert (case.id, case.suite, [g.kind for g in case.graders]) == ("h1", None, ["tool_constraint"])


@not_applicable(os.geteuid() == 0, "root can read unreadable files")
def test_an_unreadable_holdout_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "holdout.jsonl"
    path.write_text("{}\n")
    path.chmod(0)
    assert load_error(path, "holdout.jsonl") == "holdout.jsonl: cannot read it (Permission denied)."
