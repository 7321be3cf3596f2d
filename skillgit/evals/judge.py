"""The `judge` grader: an external command scores a session 0–10 on each rubric dimension.

Protocol (docs/evals.md): the command gets one JSON object on stdin,
`{"rubric": {...as written...}, "dimensions": [names], "scale": [0, 10], "case": {...},
"session": {...}}`, and prints `{"scores": {"<dimension>": <0-10>, ...}}` on stdout. It never
learns which skill version produced the session, so champion and challenger are judged blind.
A judge that times out, exits non-zero or prints anything else gives an error result, not a crash.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, cast

from skillgit.errors import UsageError
from skillgit.evals.model import GradeContext, GradeResult, GraderSpec, RubricSpec
from skillgit.evals.process import exit_error, run_command
from skillgit.evals.schema import problems
from skillgit.evidence.session import Session
from skillgit.jsontypes import JSON, JSONObject

if TYPE_CHECKING:
    from skillgit.config import Config
    from skillgit.sandbox import Sandbox

DEFAULT_TIMEOUT = 120.0
SCALE = (0.0, 10.0)


@dataclass(frozen=True)
class Dimension:
    name: str
    weight: float = 1.0
    min_blocker: float | None = None
    min_pass: float | None = None


@dataclass(frozen=True)
class Rubric:
    """Scoring dimensions. A case's judge score is the weighted mean of its dimension scores
    (a plain mean when no weights are given). `min_pass` is the rubric's `composite.min_pass`."""

    dimensions: tuple[Dimension, ...]
    source: str
    data: Mapping[str, JSON] = field(default_factory=dict)
    min_pass: float | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.dimensions)

    def composite(self, scores: Mapping[str, float]) -> float:
        total = sum(d.weight for d in self.dimensions)
        return sum(d.weight * scores[d.name] for d in self.dimensions) / total

    def blockers(self, scores: Mapping[str, float]) -> list[str]:
        """`security 3 < min_blocker 4` for each dimension under its hard floor."""
        return [
            f"{d.name} {scores[d.name]:g} < min_blocker {d.min_blocker:g}"
            for d in self.dimensions
            if d.min_blocker is not None and d.name in scores and scores[d.name] < d.min_blocker
        ]

    def below_pass(self, scores: Mapping[str, float]) -> list[str]:
        return [
            f"{d.name} {scores[d.name]:g} < min_pass {d.min_pass:g}"
            for d in self.dimensions
            if d.min_pass is not None and d.name in scores and scores[d.name] < d.min_pass
        ]


def rubric_from_data(data: object, source: str) -> Rubric:
    """A Rubric from parsed JSON/YAML (ork-rubric/1.0, qvr rubric.yaml, or inline). `source` names it."""
    found = problems(data, "rubric")
    if found or not isinstance(data, dict):
        raise UsageError("\n".join(f"{source}: {p}" for p in found) + "\nFix the rubric; its format is in docs/evals.md.")
    return _rubric(cast(RubricSpec, data), source)


def _rubric(data: RubricSpec, source: str) -> Rubric:
    """The Rubric of a rubric checked against the schema."""
    dims: list[Dimension] = []
    for i, raw in enumerate(data["dimensions"]):
        name = raw.get("name") or raw.get("id")
        if not name:
            raise UsageError(f"{source}: dimensions[{i}]: a dimension needs a `name` (or `id`); name it.")
        if any(d.name == name for d in dims):
            raise UsageError(f"{source}: dimensions[{i}]: dimension {name!r} appears twice; keep one.")
        blocker = raw.get("min_blocker", raw.get("minBlocker"))
        floor = raw.get("min_pass", raw.get("minPass"))
        dims.append(Dimension(str(name), float(raw.get("weight", 1.0)), blocker, floor))
    if sum(d.weight for d in dims) <= 0:
        raise UsageError(f"{source}: every dimension weight is 0; give at least one a positive weight.")
    composite = data.get("composite") or {}
    return Rubric(tuple(dims), source, cast("dict[str, JSON]", dict(data)), composite.get("min_pass"))


def load_rubric(path: Path, source: str | None = None) -> Rubric:
    """Read a rubric file: `.json` as JSON, anything else as YAML."""
    name = source or str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{name}: no such rubric file; create it or fix the path.") from None
    except OSError as exc:
        raise UsageError(f"{name}: cannot read the rubric ({exc.strerror}).") from None
    return rubric_from_bytes(raw, name, json_file=path.suffix == ".json")


def rubric_from_bytes(raw: bytes, source: str, *, json_file: bool) -> Rubric:
    """A Rubric from a rubric file's bytes: JSON when `json_file`, YAML otherwise. `source` names it."""
    from skillgit.yamlio import load_yaml

    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{source}: not valid UTF-8 at byte {exc.start}; save it as UTF-8.") from None
    if json_file:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise UsageError(f"{source}: not valid JSON ({exc}); fix the syntax.") from None
    else:
        data = load_yaml(text, source)
    return rubric_from_data(data, source)


@dataclass(frozen=True)
class Judge:
    """Run-wide judge settings: the default command (`eval.judge`), its timeout and working
    directory, the sandbox its commands run in, and optionally a rubric that grades every case
    without a judge grader of its own (a holdout judged by a `rubric.json`)."""

    command: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    rubric: Rubric | None = None
    cwd: Path | None = None
    sandbox: Sandbox | None = None

    @classmethod
    def from_config(cls, config: Config, *, rubric: Rubric | None = None, cwd: Path | None = None,
                    sandbox: Sandbox | None = None) -> Judge:
        """From a `skillgit.config.Config`: `eval.judge` and `eval.timeout_seconds`."""
        return cls(config.eval.judge, float(config.eval.timeout_seconds), rubric, cwd, sandbox)

    def default_grader(self) -> JudgeGrader:
        if self.rubric is None:
            raise UsageError("the judge has no rubric to grade with; pass one (load_rubric) or add judge graders.")
        return JudgeGrader(self.rubric)


@dataclass(frozen=True)
class JudgeGrader:
    """`type: judge`: scores from an external command. Passes when no dimension is under its
    `min_blocker` or `min_pass` and the weighted score reaches `minScore` (default: the rubric's
    `composite.min_pass`, if any). A grader-level `command` runs in the eval file's directory."""

    kind: ClassVar[str] = "judge"
    rubric: Rubric
    command: str | None = None
    timeout: float | None = None
    min_score: float | None = None
    name: str | None = None
    base: Path | None = None

    @classmethod
    def from_spec(cls, spec: GraderSpec, where: str, base: Path) -> JudgeGrader:
        raw = spec["rubric"]
        if isinstance(raw, str):
            rubric = load_rubric(base / raw, f"{where}.rubric: {raw}")
        else:
            rubric = _rubric(raw, f"{where}.rubric")
        timeout = spec.get("timeout")
        return cls(rubric, spec.get("command"), None if timeout is None else float(timeout),
                   spec.get("minScore"), spec.get("name"), base)

    @property
    def threshold(self) -> float | None:
        return self.min_score if self.min_score is not None else self.rubric.min_pass

    def grade(self, session: Session, ctx: GradeContext | None = None) -> GradeResult:
        judge = ctx.judge if ctx else None
        command = self.command or (judge.command if judge else None)
        if not command:
            return self._error("no judge command: set eval.judge in skillgit.yaml or `command:` on the grader")
        timeout = self.timeout or (judge.timeout if judge else DEFAULT_TIMEOUT)
        cwd = self.base if self.command else (judge.cwd if judge else None)
        request = {
            "rubric": self.rubric.data,
            "dimensions": list(self.rubric.names),
            "scale": list(SCALE),
            "case": ctx.case.judge_payload() if ctx and ctx.case else None,
            "session": session_payload(session),
        }
        stdin = json.dumps(request, ensure_ascii=False, default=str).encode("utf-8")
        with tempfile.TemporaryDirectory(prefix="skillgit-judge-") as tmp:
            proc = run_command(command, stdin, workdir=Path(tmp), timeout=timeout, what="judge", cwd=cwd,
                               sandbox=judge.sandbox if judge else None)
            if proc.error:
                return self._error(proc.error)
            if proc.returncode:
                return self._error(exit_error("judge", proc.returncode, proc.stderr_tail))
            scores = parse_scores(proc.stdout.read_bytes(), self.rubric)
        if isinstance(scores, str):
            return self._error(scores)
        return self._verdict(scores)

    def _verdict(self, scores: dict[str, float]) -> GradeResult:
        score = self.rubric.composite(scores)
        faults = self.rubric.blockers(scores) + self.rubric.below_pass(scores)
        if self.threshold is not None and score < self.threshold:
            faults.append(f"score {score:.2f} < minScore {self.threshold:g}")
        dims = ", ".join(f"{k} {v:g}" for k, v in scores.items())
        detail = f"score {score:.2f} ({dims})" + (f"; {'; '.join(faults)}" if faults else "")
        return GradeResult(self.name or self.kind, not faults, detail, scores, score, kind=self.kind)

    def _error(self, message: str) -> GradeResult:
        return GradeResult(self.name or self.kind, False, message, error=message, kind=self.kind)


def parse_scores(output: bytes, rubric: Rubric) -> dict[str, float] | str:
    """The judge's scores for every rubric dimension, or a message saying what is wrong with its output."""
    text = output.decode("utf-8", "replace").strip()
    if not text:
        return 'judge printed nothing; it must print {"scores": {"<dimension>": 0-10, ...}}'
    data: object = None
    for candidate in (text, text.splitlines()[-1]):
        try:
            data = json.loads(candidate)
            break
        except ValueError:
            continue
    given = data.get("scores") if isinstance(data, dict) else None
    if not isinstance(given, dict):
        return f'judge output is not {{"scores": {{...}}}} JSON (starts with {text[:60]!r}); fix the judge'
    scores: dict[str, float] = {}
    for name in rubric.names:
        value = given.get(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"judge gave no numeric score for dimension {name!r}; it must score every dimension 0-10"
        if not math.isfinite(value) or not SCALE[0] <= value <= SCALE[1]:
            return f"judge scored {name!r} {value!r}, outside 0-10; scores are on a 0-10 scale"
        scores[name] = float(value)
    return scores


def session_payload(session: Session) -> JSONObject:
    """The JSON view of a session that the judge reads (no `meta`, no version stamps)."""
    return {
        "id": session.id,
        "outcome": session.outcome,
        "final_message": session.final_message,
        "turns": session.turns,
        "started": session.started.isoformat() if session.started else None,
        "ended": session.ended.isoformat() if session.ended else None,
        "tool_calls": [
            {"name": c.name, "args": dict(c.args), "ok": c.ok, "error": c.error,
             "exit_code": c.exit_code, "duration_ms": c.duration_ms}
            for c in session.tool_calls
        ],
        "skills": [{"name": s.name, "how": s.how} for s in session.skills],
    }
