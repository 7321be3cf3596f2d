"""The shape of what `skillgit report` shows (`collect`'s result, `skillgit report --format json`), read by
the HTML and Markdown renderers. The parts other modules write (`Event.to_json`, `Version.to_json`,
`Decision.to_json`, `Grade.to_json`, verify's `Report.to_json`) are described here as they write them;
tests/test_report.py checks a real report against these shapes."""

from collections.abc import Mapping
from typing import NotRequired, Required, TypedDict

from skillgit.history import VersionJSON
from skillgit.jsontypes import JSONObject


class EventData(TypedDict):
    """An event (`Event.to_json`) with its message body."""

    commit: str
    time: str
    author: str
    event: str | None
    skill: str | None
    skills: NotRequired[list[str]]
    renamed_from: NotRequired[str]
    title: str
    trailers: dict[str, str]
    revert_of: NotRequired[str]
    body: str


class VersionData(VersionJSON):
    """A version (`Version.to_json`) with its measures (None without evidence) and whether the range made it."""

    metrics: "JSONObject | None"
    in_range: bool


class Tally(TypedDict, total=False):
    """One side of a case's counts: passes of runs, or a judged case's score sum, runs and sum of squares."""

    passes: int
    sum: float
    squares: float
    runs: Required[int]


class CaseData(TypedDict):
    """A case's counts in a gate decision, champion → candidate."""

    part: str
    suite: str | None
    case: str | None
    scored: bool
    champion: Tally
    candidate: Tally
    candidate_interval: list[float] | None


class DecisionData(TypedDict):
    """A gate decision (`Decision.to_json`) with its trigger, the event's body and the per-case counts."""

    commit: str
    time: str
    author: str
    event: str
    decision: str
    summary: str | None
    figures: "JSONObject | None"
    reason: str | None
    version: str | None
    trigger: str | None
    body: str
    cases: list[CaseData]
    cases_error: str | None


class GradeData(TypedDict):
    """A graded prediction (`Grade.to_json`)."""

    commit: str
    time: str
    event: str
    skill: str | None
    prediction: str
    status: str
    value: float | None
    sessions: int
    until: str | None
    reason: str


class ViolationData(TypedDict, total=False):
    """A violation (`Violation.to_json`)."""

    rule: Required[str]
    name: Required[str]
    check: str
    commit: Required[str | None]
    path: Required[str | None]
    message: Required[str]
    fix: Required[str]


class VerifyData(TypedDict, total=False):
    """Verify's verdict (`Report.to_json`), or the error that stopped it (then only `error` and the lists)."""

    range: Required[str]
    ok: Required[bool]
    violations: Required[list[ViolationData]]
    warnings: Required[list[str]]
    error: str
    base: str | None
    head: str
    commits: int
    checked: int
    config: str


class SkillData(TypedDict, total=False):
    """A skill: its name and gate decisions always; with the page's detail, what status shows of it, its
    versions and its events."""

    name: Required[str]
    decisions: Required[list[DecisionData]]
    location: str
    status: str | None
    origin: str | None
    core: bool
    blob: str
    problem: str | None
    versions: list[VersionData]
    events: list[EventData]


class Proposal(TypedDict):
    branch: str
    commit: str
    time: str


class Inventory(TypedDict):
    active: list[str]
    attic: list[str]
    candidate: list[str]
    proposals: list[Proposal]


class RangeData(TypedDict):
    spec: str
    since: str | None
    base: str | None
    head: str


class EvidenceCounts(TypedDict):
    sessions: int
    learnings: int


class ReportData(TypedDict):
    """Everything the report shows; `summary`, `evidence` and `inventory` only with the page's detail."""

    root: str
    head: str
    branch: str | None
    range: RangeData
    events: list[EventData]
    skills: list[SkillData]
    predictions: list[GradeData]
    verify: VerifyData | None
    summary: NotRequired[str]
    evidence: NotRequired[EvidenceCounts]
    inventory: NotRequired[Inventory]


def figure_parts(figures: Mapping[str, object] | None) -> list[tuple[str, Mapping[str, object], Mapping[str, object]]]:
    """(part, its figures, the inner figures: the gate's `figures` when it has them) of each part a decision
    has figures for, train then holdout."""
    out = []
    for part in ("train", "holdout"):
        f = (figures or {}).get(part)
        if not f or not isinstance(f, Mapping):
            continue
        inner = f.get("figures")
        out.append((part, f, inner if isinstance(inner, dict) else f))
    return out


def pair(value: object) -> tuple[object, object] | None:
    """An interval `[low, high]` as a pair; None when there is none."""
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return value[0], value[1]
    return None


Chart = tuple["list[JSONObject]", "JSONObject"]
"""A plotly figure: its traces and its layout, as plain JSON."""

__all__ = ["CaseData", "Chart", "DecisionData", "EventData", "GradeData", "Inventory", "ReportData", "SkillData",
           "Tally", "VerifyData", "VersionData", "ViolationData", "figure_parts",
           "pair"]
