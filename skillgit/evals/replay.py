"""Replay: per-version pass rates from sessions already attributed to each version — no reruns.

Every ingested session attributed to the skill (explicit, stamped or read evidence; keyword-only
evidence too when `metrics.count_weak` is set) is graded against the skill's `evals.yaml` cases at
HEAD, and the results are grouped by the SKILL.md version the session ran (`skillgit.evidence.attribution`).

Which cases apply to which session: a case applies to every session of the skill, unless it has a
`match` key (a string or a list of strings). Then it applies only to sessions in which one of those
strings occurs, ignoring case, in the session's prompt (`meta.prompt`/`meta.task` when the trace
records one), its final message, or one of its tool calls (`Bash: pytest -q`). A version's pass
rate is the share of graded (session, case) pairs that pass. Holdout cases are never replayed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from skillgit.errors import UsageError
from skillgit.evals.material import NoEvals, SkillMaterial
from skillgit.evals.model import EvalCase
from skillgit.evidence.session import Session
from skillgit.jsontypes import JSONObject

if TYPE_CHECKING:
    from datetime import datetime

    from skillgit.evals.judge import Judge
    from skillgit.workspace import Workspace

UNVERSIONED = "unversioned"
UNKNOWN = "unknown"


class AttributionLike(Protocol):
    """What replay needs of an attribution (skillgit.evidence.attribution.Attribution has it)."""

    @property
    def session_id(self) -> str: ...
    @property
    def skill(self) -> str: ...
    @property
    def version(self) -> str | None: ...
    @property
    def strength(self) -> str: ...
    @property
    def time(self) -> datetime | None: ...


@dataclass(frozen=True)
class VersionRates:
    """Replayed results of one SKILL.md version. `labels` are its v-numbers (a rollback repeats a blob)."""

    labels: tuple[str, ...]
    blob: str | None
    sessions: int
    graded: int
    passed: int
    cases: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    """case id → (passed, graded)."""

    @property
    def label(self) -> str:
        return ",".join(self.labels)

    @property
    def pass_rate(self) -> float | None:
        return round(self.passed / self.graded, 4) if self.graded else None

    def to_json(self) -> JSONObject:
        return {
            "versions": list(self.labels), "blob": self.blob, "sessions": self.sessions, "graded": self.graded,
            "passed": self.passed, "pass_rate": self.pass_rate,
            "cases": {k: {"passed": p, "graded": g} for k, (p, g) in self.cases.items()},
        }


@dataclass(frozen=True)
class ReplayReport:
    skill: str
    eval_file: str
    cases: tuple[str, ...]
    rows: tuple[VersionRates, ...]

    @property
    def sessions(self) -> int:
        return sum(r.sessions for r in self.rows)

    def to_json(self) -> JSONObject:
        return {"skill": self.skill, "eval_file": self.eval_file, "cases": list(self.cases),
                "sessions": self.sessions, "versions": [r.to_json() for r in self.rows]}

    def lines(self) -> list[str]:
        out = [f"{self.skill}: {len(self.cases)} case(s) from {self.eval_file}, {self.sessions} session(s) replayed",
               f"{'version':<12} {'blob':<8} {'sessions':>8} {'graded':>7} {'passed':>7} {'pass rate':>9}"]
        for r in self.rows:
            rate = "-" if r.pass_rate is None else f"{r.pass_rate:.2f}"
            out.append(f"{r.label:<12} {(r.blob or '-')[:7]:<8} {r.sessions:>8} {r.graded:>7} {r.passed:>7} {rate:>9}")
        return out


def applies(case: EvalCase, session: Session) -> bool:
    """Whether `case` grades `session` (the `match` rule in the module doc)."""
    wanted = case.data.get("match")
    if wanted is None:
        return True
    needles = [wanted] if isinstance(wanted, str) else [str(w) for w in wanted] if isinstance(wanted, list) else []
    if not needles:
        raise UsageError(f"{case.source}: `match` must be a string or a list of strings; fix the case.")
    haystack = "\n".join(
        [str(session.meta.get(k) or "") for k in ("prompt", "task")]
        + [session.final_message or ""]
        + [c.command for c in session.tool_calls]
    ).lower()
    return any(n.lower() in haystack for n in needles)


def replay(
    ws: Workspace,
    name: str,
    *,
    sessions: Sequence[Session] | None = None,
    attributions: Iterable[AttributionLike] | None = None,
    judge: Judge | None = None,
) -> ReplayReport:
    """Grade the sessions attributed to each version of skill `name` against its evals.yaml at HEAD.

    `sessions` and `attributions` default to the ingested ones (`skillgit ingest`; only the sessions
    attributed to `name` are read); given `sessions` alone are attributed here.
    """
    from skillgit.evals.judge import Judge
    from skillgit.history import versions

    if ws.locate(name) is None:
        raise UsageError(f"no skill `{name}` at HEAD; see `skillgit status` for the skills there are.")
    eval_file = f"{ws.skill_dir(name)}/evals/evals.yaml"
    if not ws.repo.path_exists("HEAD", eval_file):
        raise NoEvals(f"no {eval_file} at HEAD; replay grades sessions against its cases, so write some first "
                      "(docs/evals.md).")
    if sessions is None:
        from skillgit.evidence.ingested import Ingested

        with Ingested.open(ws) as ev:
            attributions = ev.attributions if attributions is None else attributions
            mine = [a for a in attributions if a.skill == name]
            sessions = list(ev.sessions(a.session_id for a in mine))
    if attributions is None:
        from skillgit.evidence.attribution import attribute

        attributions = attribute(sessions, ws)
    by_id: dict[str, Session] = {s.id: s for s in sessions}
    count_weak = bool(ws.config.metrics.count_weak)
    groups: dict[str | None, list[Session]] = {}
    for a in attributions:
        if a.skill != name or (a.strength == "weak" and not count_weak) or a.session_id not in by_id:
            continue
        groups.setdefault(a.version, []).append(by_id[a.session_id])
    labels: dict[str, list[str]] = {}
    for v in versions(ws, name):
        if v.blob:
            labels.setdefault(v.blob, []).append(v.label)
    order: list[str | None] = [*labels, *sorted(b for b in groups if b and b not in labels)]
    if None in groups:
        order.append(None)
    # Grade inside the checkout: a judge grader's own `command` runs in the eval file's directory.
    with SkillMaterial(ws, name, holdout=False) as material:
        cases = material.train
        judge = judge or Judge.from_config(ws.config, cwd=ws.repo.root)
        rows = [_rates(blob, groups.get(blob, []), cases, judge, labels) for blob in order]
    return ReplayReport(name, eval_file, tuple(c.id for c in cases), tuple(rows))


def _rates(blob: str | None, members: list[Session], cases: Sequence[EvalCase], judge: Judge,
           labels: Mapping[str, list[str]]) -> VersionRates:
    from skillgit.evals.graders import grade_case

    per_case: dict[str, tuple[int, int]] = {}
    for case in cases:
        passed = graded = 0
        for session in members:
            if applies(case, session):
                graded += 1
                passed += grade_case(case, session, judge).passed
        per_case[case.id] = (passed, graded)
    tags = tuple(labels.get(blob, [])) if blob else ()
    tags = tags or ((UNKNOWN,) if blob else (UNVERSIONED,))
    return VersionRates(tags, blob, len(members), sum(g for _, g in per_case.values()),
                        sum(p for p, _ in per_case.values()), per_case)
