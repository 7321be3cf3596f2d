"""Eval records: cases, suites, eval sets, and the results of grading one session.

These are plain frozen dataclasses. Graders live in `skillgit.evals.graders` (deterministic) and
`skillgit.evals.judge` (the external judge); `skillgit.evals.loader` builds these records from
`evals.yaml` and `holdout.jsonl`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Protocol, Required, TypedDict

from skillgit.jsontypes import JSON, JSONObject

if TYPE_CHECKING:
    from skillgit.evidence.session import Session
    from skillgit.sandbox import Sandbox

#: Case keys that carry the expected answer: given to graders and the judge, never to a runner.
HIDDEN_FROM_RUNNER = ("graders", "expected")


class StepSpec(TypedDict, total=False):
    """One step of a `tool_sequence` grader, as `evals.schema.json` allows it."""

    tool: Required[str]
    contains: str


class DimensionSpec(TypedDict, total=False):
    """A rubric dimension, as `evals.schema.json` allows it (snake_case and camelCase both load)."""

    name: str
    id: str
    weight: float
    min_blocker: float
    minBlocker: float
    min_pass: float
    minPass: float


class CompositeSpec(TypedDict, total=False):
    min_pass: float


class RubricSpec(TypedDict, total=False):
    """A judge rubric, as `evals.schema.json` allows it; other keys pass through to the judge."""

    dimensions: Required[list[DimensionSpec]]
    composite: CompositeSpec


class GraderSpec(TypedDict, total=False):
    """A grader's mapping in an eval file, checked against `evals.schema.json` (each kind uses its keys)."""

    type: Required[str]
    name: str
    expect: str
    on: str
    contains: list[str]
    reject: list[str]
    ignoreCase: bool
    sequence: list[str | StepSpec]
    expectTools: list[str]
    rejectTools: list[str]
    maxTools: int
    expectSkills: list[str]
    rejectSkills: list[str]
    maxTurns: int
    maxDurationMs: int
    rubric: str | RubricSpec
    command: str
    timeout: float
    minScore: float


@dataclass(frozen=True)
class EvalCase:
    """One case: an optional prompt for a runner and the graders that judge a session.

    `data` is the case exactly as written (minus `graders`), so fields skillgit does not grade
    (`difficulty`, `target`, `expected`, …) still reach the runner and the judge. `source` names
    where the case was written: `evals.yaml: suites[0].cases[2]` or `holdout.jsonl:3`.
    """

    id: str
    prompt: str | None
    graders: tuple[Grader, ...]
    suite: str | None
    source: str
    data: Mapping[str, JSON] = field(default_factory=dict)

    def runner_payload(self) -> JSONObject:
        """The case as a runner sees it: everything but the graders and the expected answer."""
        out = {k: v for k, v in self.data.items() if k not in HIDDEN_FROM_RUNNER}
        out.update({"id": self.id, "prompt": self.prompt})
        if self.suite is not None:
            out["suite"] = self.suite
        return out

    def judge_payload(self) -> JSONObject:
        """The case as the judge sees it: everything but the graders (the expected answer included)."""
        out = {k: v for k, v in self.data.items() if k != "graders"}
        out.update({"id": self.id, "prompt": self.prompt})
        if self.suite is not None:
            out["suite"] = self.suite
        return out


@dataclass(frozen=True)
class EvalSuite:
    name: str
    cases: tuple[EvalCase, ...]


@dataclass(frozen=True)
class EvalSet:
    """Every case of one `evals.yaml`, in file order. Case ids are unique within the set."""

    cases: tuple[EvalCase, ...]
    path: Path
    suites: tuple[EvalSuite, ...] = ()

    def suite(self, name: str) -> EvalSuite | None:
        return next((s for s in self.suites if s.name == name), None)

    def case(self, case_id: str) -> EvalCase | None:
        return next((c for c in self.cases if c.id == case_id), None)


class JudgeSettings(Protocol):
    """What a judge grader reads of the run-wide judge settings (`skillgit.evals.judge.Judge`)."""

    @property
    def command(self) -> str | None: ...

    @property
    def timeout(self) -> float: ...

    @property
    def cwd(self) -> Path | None: ...

    @property
    def sandbox(self) -> Sandbox | None: ...


@dataclass(frozen=True)
class GradeContext:
    """What a grader may need beyond the session: the case (for the judge) and the judge settings."""

    case: EvalCase | None = None
    judge: JudgeSettings | None = None


class Grader(Protocol):
    """A check over one session. `name` is the optional label from the eval file (`skillgit.evals.graders`
    has the deterministic ones, `skillgit.evals.judge` the external judge)."""

    kind: ClassVar[str]

    @property
    def name(self) -> str | None: ...

    def grade(self, session: Session, ctx: GradeContext | None = None) -> GradeResult: ...


@dataclass(frozen=True)
class GradeResult:
    """One grader's verdict on one session.

    `grader` is the label (`name:` if the grader has one, else its type); `kind` is the type. A
    judge fills `scores` (0–10 per rubric dimension) and `score` (their weighted mean). `error` is
    set when the grader could not judge at all (judge crashed, timed out, printed garbage);
    `passed` is then False.
    """

    grader: str
    passed: bool
    detail: str = ""
    scores: dict[str, float] | None = None
    score: float | None = None
    error: str | None = None
    kind: str = ""


@dataclass(frozen=True)
class CaseResult:
    """All graders of one case over one session.

    `error` is set when there was nothing to grade (the runner timed out, crashed or printed
    garbage) or the case cannot be graded at all. `judged` is True when a judge grades this case.
    """

    case_id: str
    passed: bool
    results: tuple[GradeResult, ...] = ()
    error: str | None = None
    judged: bool = False

    @property
    def score(self) -> float | None:
        """Mean judge score (0–10) of this case, or None when no judge grades it.

        A judge that errored, or a run that produced no session, counts as 0: a broken run can
        never raise a version's score.
        """
        if not self.judged:
            return None
        values = [r.score if r.score is not None and r.error is None else 0.0 for r in self.results if r.kind == "judge"]
        return sum(values) / len(values) if values else 0.0

    @property
    def failures(self) -> tuple[GradeResult, ...]:
        return tuple(r for r in self.results if not r.passed)

    def summary(self) -> str:
        """One line: `case-id: pass` or `case-id: FAIL (text: missing 'x'; …)`."""
        if self.error:
            return f"{self.case_id}: ERROR ({self.error})"
        if self.passed:
            return f"{self.case_id}: pass"
        why = "; ".join(f"{r.grader}: {r.error or r.detail}" for r in self.failures)
        return f"{self.case_id}: FAIL ({why})"
