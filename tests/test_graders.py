"""Every grader passes and fails; grade_case; the judge protocol with scripted judges."""

from __future__ import annotations

import shlex
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS, CORPUS_FIX, SAMPLES, needs

from skillgit.evals.graders import GRADERS, grade_case, session_duration_ms
from skillgit.evals.judge import Judge, JudgeGrader, load_rubric, rubric_from_data
from skillgit.evals.loader import load_evals, load_holdout
from skillgit.evals.model import EvalCase, GradeContext
from skillgit.evidence.session import Session, SkillUse, ToolCall

EVALS = SAMPLES / "evals"
PEERS = CORPUS / "peers"
T0 = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)


def session(
    tools: tuple[str | tuple[str, dict[str, Any]], ...] = (),
    *,
    outcome: str | None = "success",
    final: str | None = "done",
    skills: tuple[tuple[str, str], ...] = (),
    turns: int = 1,
    seconds: float | None = None,
) -> Session:
    calls = tuple(ToolCall(t) if isinstance(t, str) else ToolCall(t[0], t[1]) for t in tools)
    return Session(
        id="s1",
        source="test",
        origin="test:1",
        started=T0 if seconds is not None else None,
        ended=T0 + timedelta(seconds=seconds) if seconds is not None else None,
        outcome=outcome,  # type: ignore[arg-type]
        tool_calls=calls,
        skills=tuple(SkillUse(n, h) for n, h in skills),  # type: ignore[arg-type]
        final_message=final,
        turns=turns,
    )


def grader(spec: dict[str, Any]) -> Any:
    return GRADERS[spec["type"]].from_spec(spec, "test", EVALS)


CASES: list[tuple[str, dict[str, Any], Session, bool, str | None]] = [
    # (id, spec, session, passes, detail of the failure or None)
    ("outcome-success-pass", {"type": "outcome", "expect": "success"}, session(), True, None),
    ("outcome-success-fail", {"type": "outcome", "expect": "success"}, session(outcome="failure"), False,
     "outcome failure, want success"),
    ("outcome-failure-pass", {"type": "outcome", "expect": "failure"}, session(outcome="failure"), True, None),
    ("outcome-unknown-fail", {"type": "outcome", "expect": "success"}, session(outcome=None), False,
     "outcome unknown, want success"),
    ("text-contains-pass", {"type": "text", "contains": ["needs-info"]}, session(final="label: needs-info"), True, None),
    ("text-contains-fail", {"type": "text", "contains": ["needs-info"]}, session(final="label: ready"), False,
     "final message is missing 'needs-info'"),
    ("text-reject-fail", {"type": "text", "reject": ["ready-to-implement"]}, session(final="ready-to-implement"),
     False, "final message contains rejected 'ready-to-implement'"),
    ("text-reject-pass-no-message", {"type": "text", "reject": ["x"]}, session(final=None), True, None),
    ("text-case-sensitive-fail", {"type": "text", "contains": ["Needs-Info"]}, session(final="needs-info"), False,
     "final message is missing 'Needs-Info'"),
    ("text-ignore-case-pass", {"type": "text", "contains": ["Needs-Info"], "ignoreCase": True},
     session(final="NEEDS-INFO"), True, None),
    ("text-ignore-case-reject-fail", {"type": "text", "reject": ["error"], "ignoreCase": True},
     session(final="ERROR: nope"), False, "final message contains rejected 'error'"),
    ("sequence-pass", {"type": "tool_sequence", "sequence": ["Edit", "Bash"]},
     session(("Read", "Edit", "Grep", "Bash")), True, None),
    ("sequence-wrong-order-fail", {"type": "tool_sequence", "sequence": ["Edit", "Bash"]},
     session(("Bash", "Edit")), False,
     "Edit → Bash not found in order (stopped at Bash); calls: Bash → Edit"),
    ("sequence-args-pass", {"type": "tool_sequence", "sequence": ["Edit", {"tool": "Bash", "contains": "pytest"}]},
     session(("Edit", ("Bash", {"command": "ls"}), ("Bash", {"command": "pytest -q"}))), True, None),
    ("sequence-args-fail", {"type": "tool_sequence", "sequence": [{"tool": "Bash", "contains": "pytest"}]},
     session((("Bash", {"command": "ls"}),)), False,
     "Bash('pytest') not found in order (stopped at Bash('pytest')); calls: Bash"),
    ("sequence-nested-args-pass", {"type": "tool_sequence", "sequence": [{"tool": "exec", "contains": "cargo"}]},
     session((("exec", {"argv": ["cargo", "test"]}),)), True, None),
    ("constraint-pass", {"type": "tool_constraint", "expectTools": ["Bash"], "rejectTools": ["WebFetch"],
                         "maxTools": 3}, session(("Edit", "Bash")), True, None),
    ("constraint-expect-fail", {"type": "tool_constraint", "expectTools": ["Bash"]}, session(("Edit",)), False,
     "expected tool 'Bash' was never called"),
    ("constraint-reject-fail", {"type": "tool_constraint", "rejectTools": ["WebFetch"]},
     session(("WebFetch",)), False, "rejected tool 'WebFetch' was called"),
    ("constraint-max-fail", {"type": "tool_constraint", "maxTools": 1}, session(("Edit", "Bash")), False,
     "2 tool calls exceed maxTools 1"),
    ("constraint-max-zero-pass", {"type": "tool_constraint", "maxTools": 0}, session(()), True, None),
    ("skills-pass", {"type": "skill_invocation", "expectSkills": ["guard-tests"], "rejectSkills": ["deploy"]},
     session(skills=(("guard-tests", "invoked"),)), True, None),
    ("skills-expect-fail", {"type": "skill_invocation", "expectSkills": ["guard-tests"]}, session(), False,
     "expected skill 'guard-tests' never fired"),
    ("skills-keyword-only-fail", {"type": "skill_invocation", "expectSkills": ["guard-tests"]},
     session(skills=(("guard-tests", "keyword"),)), False, "expected skill 'guard-tests' never fired"),
    ("skills-read-pass", {"type": "skill_invocation", "expectSkills": ["guard-tests"]},
     session(skills=(("guard-tests", "read"),)), True, None),
    ("skills-reject-fail", {"type": "skill_invocation", "rejectSkills": ["deploy"]},
     session(skills=(("deploy", "stamped"),)), False, "rejected skill 'deploy' fired"),
    ("behavior-pass", {"type": "behavior", "maxTools": 2, "maxTurns": 3, "maxDurationMs": 5000},
     session(("Edit",), turns=3, seconds=4.5), True, None),
    ("behavior-tools-fail", {"type": "behavior", "maxTools": 1}, session(("Edit", "Bash")), False,
     "2 tool calls exceed maxTools 1"),
    ("behavior-turns-fail", {"type": "behavior", "maxTurns": 3}, session(turns=4), False,
     "4 turns exceed maxTurns 3"),
    ("behavior-duration-fail", {"type": "behavior", "maxDurationMs": 1000}, session(seconds=1.5), False,
     "1500ms exceeds maxDurationMs 1000"),
    ("behavior-duration-unknown-fail", {"type": "behavior", "maxDurationMs": 1000}, session(), False,
     "session duration is unknown (no start/end or tool timestamps)"),
]


@pytest.mark.parametrize(("spec", "sess", "passes", "detail"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_grader_passes_and_fails_as_specified(spec: dict[str, Any], sess: Session, passes: bool,
                                                    detail: str | None) -> None:
    result = grader(spec).grade(sess)
    assert result.passed is passes
    assert result.kind == spec["type"]
    if detail is not None:
        assert result.detail == detail


def test_every_registered_grader_kind_has_a_pass_and_a_fail_case() -> None:
    kinds: dict[str, set[bool]] = {}
    for _, spec, _, passes, _ in CASES:
        kinds.setdefault(spec["type"], set()).add(passes)
    assert set(kinds) | {"judge"} == set(GRADERS)
    assert all(outcomes == {True, False} for outcomes in kinds.values())


def test_a_named_grader_reports_under_its_name() -> None:
    result = grader({"type": "text", "name": "labels", "contains": ["x"]}).grade(session(final="y"))
    assert (result.grader, result.kind) == ("labels", "text")


def test_duration_falls_back_to_the_span_of_timed_tool_calls() -> None:
    calls = (ToolCall("a", ts=T0, duration_ms=200), ToolCall("b", ts=T0 + timedelta(seconds=2), duration_ms=500))
    sess = Session(id="s", source="t", origin="t", tool_calls=calls)
    assert session_duration_ms(sess) == 2500


# -- grade_case ----------------------------------------------------------------------------------


def case_of(*specs: dict[str, Any], data: dict[str, Any] | None = None) -> EvalCase:
    return EvalCase("c1", "do it", tuple(grader(s) for s in specs), "suite", "test: case", data or {})


def test_a_case_passes_only_when_every_grader_passes() -> None:
    case = case_of({"type": "outcome", "expect": "success"}, {"type": "text", "contains": ["done"]})
    assert grade_case(case, session()).passed
    failed = grade_case(case, session(final="gave up"))
    assert not failed.passed
    assert [r.passed for r in failed.results] == [True, False]
    assert failed.summary() == "c1: FAIL (text: final message is missing 'done')"
    assert failed.score is None


def test_a_case_with_no_graders_and_no_judge_rubric_is_an_error_never_a_pass() -> None:
    result = grade_case(EvalCase("h1", "p", (), None, "holdout.jsonl:1"), session())
    assert not result.passed
    assert result.error == (
        "holdout.jsonl:1: case 'h1' has no graders and no judge rubric is configured; "
        "add graders to the case or grade it with a judge rubric"
    )


@needs(PEERS.is_dir(), f"peers/ of {CORPUS_FIX}")
@pytest.mark.parametrize(
    ("sample", "good", "bad", "failing"),
    [
        (
            "astra-sh__qvr__cmd__acceptance_behavioral_test.go__evals.yaml",
            session(("Read", "Edit", "Bash"), skills=(("guard-tests", "invoked"),)),
            session(("Edit", "WebFetch"), skills=(("guard-tests", "invoked"),)),
            ["tool_sequence", "tool_constraint"],
        ),
        (
            "astra-sh__qvr__cmd__acceptance_loop_test.go__evals.yaml",
            session(final="Labelled needs-info: the scope is unclear."),
            session(outcome="failure", final="ready-to-implement"),
            ["outcome", "text"],
        ),
    ],
)
def test_qvr_samples_grade_hand_built_sessions(sample: str, good: Session, bad: Session, failing: list[str]) -> None:
    [case] = load_evals(PEERS / sample).cases
    assert grade_case(case, good).passed
    result = grade_case(case, bad)
    assert not result.passed
    assert [r.grader for r in result.failures] == failing


# -- the judge -----------------------------------------------------------------------------------


def cmd(script: str) -> str:
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(EVALS / script))}"


RUBRIC = rubric_from_data(
    {"composite": {"min_pass": 5.5},
     "dimensions": [{"name": "correctness", "weight": 0.6}, {"name": "security", "weight": 0.4, "min_blocker": 4}]},
    "rubric",
)


def judged(scores: Any, script: str = "judge_echo.py", **kw: Any) -> Any:
    case = EvalCase("c1", "p", (), None, "t", {"judge_scores": scores, "expected": "secret"})
    return JudgeGrader(RUBRIC, **kw).grade(session(), GradeContext(case, Judge(cmd(script), timeout=5)))


def test_a_judge_score_is_the_weighted_mean_and_passes_above_the_floor() -> None:
    result = judged({"correctness": 8, "security": 6, "style": 1})
    assert result.passed
    assert result.scores == {"correctness": 8.0, "security": 6.0}
    assert result.score == pytest.approx(7.2)
    assert result.detail == "score 7.20 (correctness 8, security 6)"


def test_a_dimension_under_its_min_blocker_fails_the_judge_whatever_the_score() -> None:
    result = judged({"correctness": 10, "security": 3})
    assert not result.passed
    assert result.detail == "score 7.20 (correctness 10, security 3); security 3 < min_blocker 4"


def test_a_judge_score_under_min_score_fails() -> None:
    result = judged({"correctness": 5, "security": 5})
    assert not result.passed
    assert result.detail.endswith("score 5.00 < minScore 5.5")
    assert judged({"correctness": 5, "security": 5}, min_score=4).passed


@pytest.mark.parametrize(
    ("script", "scores", "error"),
    [
        ("judge_garbage.py", None,
         "judge output is not {\"scores\": {...}} JSON (starts with 'I would give this a solid seven out of ten.'); "
         "fix the judge"),
        ("judge_crash.py", None, "judge exited with status 1: Traceback: KeyError: 'ANTHROPIC_API_KEY'"),
        ("judge_echo.py", {"correctness": 8}, "judge gave no numeric score for dimension 'security'; it must score "
         "every dimension 0-10"),
        ("judge_echo.py", {"correctness": 8, "security": 11}, "judge scored 'security' 11, outside 0-10; scores "
         "are on a 0-10 scale"),
        ("judge_echo.py", {"correctness": 8, "security": True}, "judge gave no numeric score for dimension "
         "'security'; it must score every dimension 0-10"),
    ],
)
def test_a_broken_judge_gives_an_error_result_not_a_crash(script: str, scores: Any, error: str) -> None:
    result = judged(scores, script)
    assert (result.passed, result.error, result.scores) == (False, error, None)


def test_a_hanging_judge_times_out_as_an_error_result() -> None:
    result = judged(None, "judge_hang.py", timeout=0.5)
    assert result.error == "judge timed out after 0.5s and was killed (with its process group)"


def test_a_judge_without_any_command_is_an_error_result() -> None:
    result = JudgeGrader(RUBRIC).grade(session(), GradeContext(None, Judge()))
    assert result.error == "no judge command: set eval.judge in skillgit.yaml or `command:` on the grader"


def test_a_grader_level_judge_command_runs_in_the_eval_files_directory(tmp_path: Path) -> None:
    (tmp_path / "evals.yaml").write_text(
        "version: 1\nsuites:\n  - name: s\n    cases:\n      - name: a\n        judge_scores: {x: 9}\n"
        f"        graders:\n          - type: judge\n            command: {sys.executable} judge.py\n"
        "            rubric: {dimensions: [{name: x}]}\n"
    )
    (tmp_path / "judge.py").write_text((EVALS / "judge_echo.py").read_text())
    [case] = load_evals(tmp_path / "evals.yaml").cases
    result = grade_case(case, session())
    assert result.passed and result.score == 9.0


def test_a_judge_rubric_grades_cases_without_graders_and_scores_them() -> None:
    rubric = load_rubric(EVALS / "rubric.json")
    judge = Judge(cmd("judge_echo.py"), timeout=5, rubric=rubric)
    case = EvalCase("h1", "p", (), None, "h:1", {"judge_scores": {"correctness": 4, "security": 9}})
    result = grade_case(case, session(), judge)
    assert result.judged and result.passed
    assert result.score == pytest.approx(6.0)


def test_a_case_whose_judge_errored_scores_zero() -> None:
    judge = Judge(cmd("judge_crash.py"), timeout=5, rubric=load_rubric(EVALS / "rubric.json"))
    result = grade_case(EvalCase("h1", "p", (), None, "h:1"), session(), judge)
    assert not result.passed
    assert result.score == 0.0


@needs(PEERS.is_dir(), f"peers/ of {CORPUS_FIX}")
def test_the_orchestkit_holdout_is_judged_with_its_rubric_and_blocker() -> None:
    rubric = load_rubric(PEERS / "yonatangross__orchestkit__src__skills__assess__rubric.json")
    script = (
        "import json,sys; r=json.load(sys.stdin); "
        "s={d: 8 for d in r['dimensions']}; "
        "s['security'] = 2 if 'password' in r['case']['target'] else 8; "
        "print(json.dumps({'scores': s}))"
    )
    judge = Judge(f"{shlex.quote(sys.executable)} -c {shlex.quote(script)}", timeout=10, rubric=rubric)
    cases = load_holdout(PEERS / "yonatangross__orchestkit__src__skills__assess__evals__holdout.jsonl")
    results = {c.id: grade_case(c, session(), judge) for c in cases[:2]}
    assert results["h1"].passed and results["h1"].score == pytest.approx(8.0)
    assert not results["h2"].passed
    assert "security 2 < min_blocker 4" in results["h2"].results[0].detail
