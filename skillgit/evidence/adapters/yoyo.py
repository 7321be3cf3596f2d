"""yoyo audit logs: `sessions/<dir>/audit.jsonl` + `outcome.json`, and `memory/learnings.jsonl`.

A session is one `sessions/<dir>/`: every audit line is a tool call (`ts, tool, args, success,
duration_ms`), and `outcome.json` decides the outcome: success when `build_ok` and `test_ok` are
true, `reverted` is not, and `tasks_succeeded > 0` whenever `tasks_attempted > 0`. The raw outcome
goes to `meta["outcome"]`. The audit file is the session's source; its sibling outcome.json is read
with it (an outcome.json with no audit.jsonl beside it is a session without tool calls).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from skillgit.evidence.adapters.lines import (
    ReadReport,
    clip_args,
    iter_json,
    parse_time,
    read_json_file,
    stamp_version,
    tool_call,
)
from skillgit.evidence.session import Learning, Outcome, Session, SkillUse, ToolCall

AUDIT = "audit.jsonl"
OUTCOME = "outcome.json"
LEARNINGS = "learnings.jsonl"
_OUTCOME_KEYS = ("build_ok", "test_ok", "tasks_attempted", "tasks_succeeded", "reverted")


class YoyoAdapter:
    name = "yoyo"

    def sniff(self, path: Path, head: bytes) -> bool:
        name = path.name
        if name == AUDIT:
            return b'"tool"' in head or not head.strip()
        if name == OUTCOME:
            return any(key.encode() in head for key in _OUTCOME_KEYS)
        if name == LEARNINGS:
            return True
        return _is_learnings(head) or _is_audit(head)

    def read(self, path: Path, report: ReadReport) -> Iterator[Session | Learning]:
        if path.name == OUTCOME:
            if not (path.parent / AUDIT).exists():
                yield _session(path, [], [], report, f"{path}:1")
            return
        if path.name == AUDIT or path.name != LEARNINGS and not _is_learnings(_head(path)):
            calls: list[ToolCall] = []
            skills: list[SkillUse] = []
            _read_audit(path, report, calls, skills)
            yield _session(path.parent / OUTCOME, calls, skills, report, f"{path}:1")
            return
        yield from _read_learnings(path, report)


ADAPTER = YoyoAdapter()


def _is_audit(head: bytes) -> bool:
    return b'"tool"' in head and b'"duration_ms"' in head and b'"success"' in head


def _is_learnings(head: bytes) -> bool:
    return b'"takeaway"' in head and b'"title"' in head


def _head(path: Path) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(8192)
    except OSError:
        return b""


def _read_audit(path: Path, report: ReadReport, calls: list[ToolCall], skills: list[SkillUse]) -> None:
    append = calls.append
    for number, rec in iter_json(path, report):
        get = rec.get
        tool, args, ok, duration, ts = get("tool"), get("args"), get("success"), get("duration_ms"), get("ts")
        if type(tool) is not str or (args is not None and type(args) is not dict):
            report.skip(path, number, "wrong-type", "`tool` must be a string and `args` an object")
            continue
        if ok is not None and type(ok) is not bool or duration is not None and type(duration) not in (int, float):
            report.skip(path, number, "wrong-type", "`success` must be a boolean and `duration_ms` a number")
            continue
        append(tool_call(
            tool,
            clip_args(args) if args else {},
            ok,
            parse_time(ts) if ts is not None else None,
            duration if duration is None or type(duration) is int else int(duration),
        ))
        if "skill_version" in rec or "skillVersion" in rec:
            _stamp(rec, skills)


def _session(outcome_path: Path, calls: list[ToolCall], skills: list[SkillUse], report: ReadReport, origin: str) -> Session:
    report.depends_on(outcome_path)
    raw = read_json_file(outcome_path, report) if outcome_path.exists() else None
    outcome = None
    meta: dict[str, Any] = {"dir": outcome_path.parent.name}
    if raw is not None:
        meta["outcome"] = raw
        outcome = _outcome(raw, outcome_path, report)
        _stamp(raw, skills)
        if type(raw.get("day")) is int:
            meta["day"] = raw["day"]
    stamps = [c.ts for c in calls if c.ts is not None]
    finished = parse_time(raw.get("ts")) if raw else None
    ends = stamps + [finished] if finished is not None else stamps
    return Session(
        id=outcome_path.parent.name,
        source="yoyo",
        origin=origin,
        started=min(stamps) if stamps else None,
        ended=max(ends) if ends else None,
        outcome=outcome,
        tool_calls=tuple(calls),
        skills=tuple(skills),
        meta=meta,
    )


def _outcome(raw: dict[str, Any], path: Path, report: ReadReport) -> Outcome | None:
    """success = build_ok and test_ok and not reverted and (tasks_succeeded > 0 if tasks_attempted > 0)."""
    if not any(key in raw for key in _OUTCOME_KEYS):
        return None
    flags = [raw.get("build_ok", True), raw.get("test_ok", True), raw.get("reverted", False)]
    counts = [raw.get("tasks_attempted", 0), raw.get("tasks_succeeded", 0)]
    if any(type(v) is not bool for v in flags) or any(type(v) is not int for v in counts):
        report.skip(path, 1, "wrong-type", "build_ok/test_ok/reverted must be booleans, tasks_* integers")
        return None
    build_ok, test_ok, reverted = flags
    attempted, succeeded = counts
    ok = build_ok and test_ok and not reverted and (succeeded > 0 or attempted <= 0)
    return "success" if ok else "failure"


def _stamp(rec: dict[str, Any], skills: list[SkillUse]) -> None:
    name, version = rec.get("skill"), stamp_version(rec)
    if type(name) is str and name and version:
        use = SkillUse(name=name, how="stamped", version=version)
        if use not in skills:
            skills.append(use)


def _read_learnings(path: Path, report: ReadReport) -> Iterator[Learning]:
    for number, rec in iter_json(path, report):
        title = rec.get("title")
        skill = rec.get("skill")
        skills = rec.get("skills")
        text = [rec.get(k) for k in ("type", "source", "pattern_key", "context", "takeaway")]
        if type(title) is not str or any(v is not None and type(v) is not str for v in text):
            report.skip(path, number, "wrong-type", "`title` and the text fields must be strings")
            continue
        names = [s for s in skills if type(s) is str] if type(skills) is list else []
        if type(skill) is str and skill not in names:
            names.insert(0, skill)
        day = rec.get("day")
        yield Learning(
            title=title,
            ts=parse_time(rec.get("ts")),
            type=text[0],
            source=text[1],
            context=text[3] or "",
            takeaway=text[4] or "",
            pattern_key=text[2],
            skill=names[0] if names else None,
            origin=f"{path}:{number}",
            skills=tuple(names),
            day=day if type(day) is int else None,
        )
