"""Deterministic graders over one session, and `grade_case`.

Each grader is a frozen dataclass built by `from_spec` from its `evals.yaml` mapping. `from_spec`
refuses a grader that cannot fail (a gate that asserts nothing reads as evidence while proving
nothing) and one that can never pass (contradictory expectations). Adding a grader is one class
and one line in `GRADERS`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import ClassVar, Protocol

from skillgit.errors import UsageError
from skillgit.evals.judge import Judge, JudgeGrader
from skillgit.evals.model import CaseResult, EvalCase, GradeContext, Grader, GradeResult, GraderSpec
from skillgit.evidence.session import Session, ToolCall

#: Skill evidence that counts as "the skill fired" (keyword matches are too weak to count).
FIRED = frozenset({"invoked", "stamped", "read"})


class GraderConfigError(UsageError):
    """A grader in an eval file that cannot work: it cannot fail, or it can never pass."""


class GraderType(Protocol):
    """A grader class: builds a grader from its eval-file mapping, refusing one that cannot fail.
    `where` names the grader in errors (`evals.yaml: suites[0].cases[1].graders[0]`); relative
    paths in the spec resolve against `base` (the eval file's directory)."""

    def from_spec(self, spec: GraderSpec, where: str, base: Path) -> Grader: ...


def _label(grader: Grader) -> str:
    return grader.name or grader.kind


def _result(grader: Grader, passed: bool, detail: str) -> GradeResult:
    return GradeResult(_label(grader), passed, detail, kind=grader.kind)


def _names(values: list[str] | None) -> tuple[str, ...]:
    return tuple(str(v) for v in values or ())


def _cannot_fail(where: str, kind: str, needs: str) -> GraderConfigError:
    return GraderConfigError(
        f"{where}: this {kind} grader cannot fail: it needs {needs}; add one, or remove the grader."
    )


def _never_passes(where: str, kind: str, what: str) -> GraderConfigError:
    return GraderConfigError(f"{where}: this {kind} grader can never pass: {what}; remove one of them.")


@dataclass(frozen=True)
class OutcomeGrader:
    """The session's outcome equals `expect` (`success` or `failure`); unknown outcome fails."""

    kind: ClassVar[str] = "outcome"
    expect: str
    name: str | None = None

    @classmethod
    def from_spec(cls, spec: GraderSpec, where: str, base: Path) -> OutcomeGrader:
        if spec.get("expect") not in ("success", "failure"):
            raise _cannot_fail(where, cls.kind, "`expect: success` or `expect: failure`")
        return cls(str(spec["expect"]), spec.get("name"))

    def grade(self, session: Session, ctx: GradeContext | None = None) -> GradeResult:
        got = session.outcome or "unknown"
        return _result(self, session.outcome == self.expect, f"outcome {got}, want {self.expect}")


@dataclass(frozen=True)
class TextGrader:
    """Every `contains` string appears in the final message and no `reject` string does."""

    kind: ClassVar[str] = "text"
    contains: tuple[str, ...] = ()
    reject: tuple[str, ...] = ()
    ignore_case: bool = False
    name: str | None = None

    @classmethod
    def from_spec(cls, spec: GraderSpec, where: str, base: Path) -> TextGrader:
        grader = cls(_names(spec.get("contains")), _names(spec.get("reject")), bool(spec.get("ignoreCase")), spec.get("name"))
        if not grader.contains and not grader.reject:
            raise _cannot_fail(where, cls.kind, "`contains` or `reject` (non-empty)")
        for want in grader.contains:
            for bad in grader.reject:
                if grader._fold(bad) in grader._fold(want):
                    raise _never_passes(where, cls.kind, f"contains {want!r} includes rejected {bad!r}")
        return grader

    def _fold(self, text: str) -> str:
        return text.casefold() if self.ignore_case else text

    def grade(self, session: Session, ctx: GradeContext | None = None) -> GradeResult:
        hay = self._fold(session.final_message or "")
        for want in self.contains:
            if self._fold(want) not in hay:
                return _result(self, False, f"final message is missing {want!r}")
        for bad in self.reject:
            if self._fold(bad) in hay:
                return _result(self, False, f"final message contains rejected {bad!r}")
        return _result(self, True, "final message matches")


@dataclass(frozen=True)
class Step:
    """One step of a tool sequence: a tool name, optionally with a substring of one of its args."""

    tool: str
    contains: str | None = None

    def matches(self, call: ToolCall) -> bool:
        if call.name != self.tool:
            return False
        return self.contains is None or any(self.contains in s for s in _strings(call.args))

    def __str__(self) -> str:
        return self.tool if self.contains is None else f"{self.tool}({self.contains!r})"


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


@dataclass(frozen=True)
class ToolSequenceGrader:
    """`sequence` appears in order (not necessarily adjacent) among the session's tool calls."""

    kind: ClassVar[str] = "tool_sequence"
    sequence: tuple[Step, ...]
    name: str | None = None

    @classmethod
    def from_spec(cls, spec: GraderSpec, where: str, base: Path) -> ToolSequenceGrader:
        steps = tuple(
            Step(item) if isinstance(item, str) else Step(item["tool"], item.get("contains"))
            for item in spec.get("sequence") or ()
        )
        if not steps:
            raise _cannot_fail(where, cls.kind, "a non-empty `sequence`")
        return cls(steps, spec.get("name"))

    def grade(self, session: Session, ctx: GradeContext | None = None) -> GradeResult:
        i = 0
        for call in session.tool_calls:
            if i < len(self.sequence) and self.sequence[i].matches(call):
                i += 1
        want = " → ".join(map(str, self.sequence))
        if i == len(self.sequence):
            return _result(self, True, f"found {want}")
        seen = " → ".join(c.name for c in session.tool_calls[:20]) or "no tool calls"
        more = " …" if len(session.tool_calls) > 20 else ""
        return _result(self, False, f"{want} not found in order (stopped at {self.sequence[i]}); calls: {seen}{more}")


@dataclass(frozen=True)
class ToolConstraintGrader:
    """Every `expectTools` tool was called, no `rejectTools` tool was, at most `maxTools` calls."""

    kind: ClassVar[str] = "tool_constraint"
    expect: tuple[str, ...] = ()
    reject: tuple[str, ...] = ()
    max_tools: int | None = None
    name: str | None = None

    @classmethod
    def from_spec(cls, spec: GraderSpec, where: str, base: Path) -> ToolConstraintGrader:
        grader = cls(_names(spec.get("expectTools")), _names(spec.get("rejectTools")), spec.get("maxTools"), spec.get("name"))
        if not grader.expect and not grader.reject and grader.max_tools is None:
            raise _cannot_fail(where, cls.kind, "`expectTools`, `rejectTools` or `maxTools`")
        both = sorted(set(grader.expect) & set(grader.reject))
        if both:
            raise _never_passes(where, cls.kind, f"{', '.join(both)} is in both expectTools and rejectTools")
        return grader

    def grade(self, session: Session, ctx: GradeContext | None = None) -> GradeResult:
        used = {c.name for c in session.tool_calls}
        for want in self.expect:
            if want not in used:
                return _result(self, False, f"expected tool {want!r} was never called")
        for bad in self.reject:
            if bad in used:
                return _result(self, False, f"rejected tool {bad!r} was called")
        n = len(session.tool_calls)
        if self.max_tools is not None and n > self.max_tools:
            return _result(self, False, f"{n} tool calls exceed maxTools {self.max_tools}")
        return _result(self, True, f"{n} tool calls within constraints")


@dataclass(frozen=True)
class SkillInvocationGrader:
    """Every `expectSkills` skill fired and no `rejectSkills` skill did (keyword matches don't count)."""

    kind: ClassVar[str] = "skill_invocation"
    expect: tuple[str, ...] = ()
    reject: tuple[str, ...] = ()
    name: str | None = None

    @classmethod
    def from_spec(cls, spec: GraderSpec, where: str, base: Path) -> SkillInvocationGrader:
        grader = cls(_names(spec.get("expectSkills")), _names(spec.get("rejectSkills")), spec.get("name"))
        if not grader.expect and not grader.reject:
            raise _cannot_fail(where, cls.kind, "`expectSkills` or `rejectSkills` (non-empty)")
        both = sorted(set(grader.expect) & set(grader.reject))
        if both:
            raise _never_passes(where, cls.kind, f"{', '.join(both)} is in both expectSkills and rejectSkills")
        return grader

    def grade(self, session: Session, ctx: GradeContext | None = None) -> GradeResult:
        fired = {s.name for s in session.skills if s.how in FIRED}
        fired |= {full for s in session.skills if s.how in FIRED and (full := getattr(s, "full_name", None))}
        for want in self.expect:
            if want not in fired:
                return _result(self, False, f"expected skill {want!r} never fired")
        for bad in self.reject:
            if bad in fired:
                return _result(self, False, f"rejected skill {bad!r} fired")
        return _result(self, True, f"skills fired: {', '.join(sorted(fired)) or 'none'}")


@dataclass(frozen=True)
class BehaviorGrader:
    """Efficiency ceilings: tool calls, turns, wall time. An unknown duration fails `maxDurationMs`."""

    kind: ClassVar[str] = "behavior"
    max_tools: int | None = None
    max_turns: int | None = None
    max_duration_ms: int | None = None
    name: str | None = None

    @classmethod
    def from_spec(cls, spec: GraderSpec, where: str, base: Path) -> BehaviorGrader:
        grader = cls(spec.get("maxTools"), spec.get("maxTurns"), spec.get("maxDurationMs"), spec.get("name"))
        if grader.max_tools is None and grader.max_turns is None and grader.max_duration_ms is None:
            raise _cannot_fail(where, cls.kind, "`maxTools`, `maxTurns` or `maxDurationMs`")
        return grader

    def grade(self, session: Session, ctx: GradeContext | None = None) -> GradeResult:
        n = len(session.tool_calls)
        if self.max_tools is not None and n > self.max_tools:
            return _result(self, False, f"{n} tool calls exceed maxTools {self.max_tools}")
        if self.max_turns is not None and session.turns > self.max_turns:
            return _result(self, False, f"{session.turns} turns exceed maxTurns {self.max_turns}")
        if self.max_duration_ms is not None:
            ms = session_duration_ms(session)
            if ms is None:
                return _result(self, False, "session duration is unknown (no start/end or tool timestamps)")
            if ms > self.max_duration_ms:
                return _result(self, False, f"{ms}ms exceeds maxDurationMs {self.max_duration_ms}")
        return _result(self, True, f"{n} tool calls, {session.turns} turns")


def session_duration_ms(session: Session) -> int | None:
    """Wall time of a session: `ended - started`, else the span of its timed tool calls."""
    if session.started and session.ended:
        return _ms(session.ended - session.started)
    timed = [c for c in session.tool_calls if c.ts is not None]
    if not timed:
        return None
    try:
        start = min(c.ts for c in timed if c.ts)
        end = max(c.ts + timedelta(milliseconds=c.duration_ms or 0) for c in timed if c.ts)
    except TypeError:  # naive and aware timestamps mixed: no meaningful span
        return None
    return _ms(end - start)


def _ms(delta: timedelta) -> int:
    return max(0, round(delta.total_seconds() * 1000))


GRADERS: dict[str, GraderType] = {
    "outcome": OutcomeGrader,
    "text": TextGrader,
    "tool_sequence": ToolSequenceGrader,
    "tool_constraint": ToolConstraintGrader,
    "skill_invocation": SkillInvocationGrader,
    "behavior": BehaviorGrader,
    "judge": JudgeGrader,
}


def case_graders(case: EvalCase, judge: Judge | None = None) -> tuple[Grader, ...]:
    """The graders that judge `case`: its own, plus the judge's default rubric when the case has no judge."""
    graders: tuple[Grader, ...] = case.graders
    if judge is not None and judge.rubric is not None and not any(g.kind == "judge" for g in graders):
        return (*graders, judge.default_grader())
    return graders


def is_judged(case: EvalCase, judge: Judge | None = None) -> bool:
    return any(g.kind == "judge" for g in case_graders(case, judge))


def grade_case(case: EvalCase, session: Session, judge: Judge | None = None) -> CaseResult:
    """Run every grader of `case` over `session`. The case passes when all of them pass.

    `judge` supplies the judge command and timeout for `judge` graders that name none, and its
    rubric (if any) grades every case that has no judge grader of its own. A case with no graders
    at all and no judge rubric is an error result (it could never fail).
    """
    graders = case_graders(case, judge)
    if not graders:
        return CaseResult(
            case.id,
            False,
            error=f"{case.source}: case {case.id!r} has no graders and no judge rubric is configured; "
            "add graders to the case or grade it with a judge rubric",
        )
    ctx = GradeContext(case=case, judge=judge)
    results = tuple(g.grade(session, ctx) for g in graders)
    return CaseResult(case.id, all(r.passed for r in results), results, judged=is_judged(case, judge))
