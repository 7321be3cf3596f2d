"""The report as Markdown for a pull request or a CI step summary: the events of a range, each with
its trigger, the gate's figures and the diff stat.

Repository text is written so GitHub shows it as text: HTML characters become entities, Markdown
punctuation is backslash-escaped, line breaks are flattened, and code blocks use a fence longer
than any run of backticks inside them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, cast

from skillgit.report.data import figure_parts, pair

if TYPE_CHECKING:
    from skillgit.report.data import DecisionData, EventData, GradeData, ReportData, Tally, VerifyData
    from skillgit.workspace import Workspace

_SPECIAL = re.compile(r"([\\`*_{}\[\]#|~])")
MAX_STAT_LINES = 30
MAX_BYTES = 600_000
"""GitHub keeps at most 1 MiB of step summary per step; the verify summary comes first."""


def text(value: object) -> str:
    """One line of repository text, inert in GitHub Markdown."""
    flat = " ".join(str("" if value is None else value).split())
    flat = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", flat)


def fenced(body: str, info: str = "") -> str:
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{body.rstrip()}\n{fence}"


def diff_stats(ws: Workspace, commits: list[str]) -> dict[str, str]:
    """The `--stat` of each commit (against its first parent), read in one git process."""
    return ws.repo.commit_stats(commits)


def render(data: ReportData, stats: dict[str, str], max_bytes: int | None = None) -> str:
    """The Markdown; with `max_bytes`, the events that do not fit are counted at the end instead."""
    rng = data["range"]
    verify = data["verify"]
    lines = [f"## skillgit report {text(rng['spec'])}", ""]
    if verify is None:
        verdict = "verify not run"
    elif verify.get("error"):
        verdict = f"❌ verify: {text(verify['error'])}"
    elif verify["ok"]:
        verdict = f"✅ verify: {verify['checked']} commit(s) checked, no violations"
    else:
        verdict = f"❌ verify: {len(verify['violations'])} violation(s)"
    events = data["events"]
    decisions = {d["commit"]: d for s in data["skills"] for d in s["decisions"]}
    grades = {g["commit"]: g for g in data["predictions"]}
    lines += [f"{len(events)} event(s) · {verdict}", ""]
    if not events:
        lines.append("No skill events in this range.")
    size = sum(len(line.encode()) + 1 for line in lines)
    for index, x in enumerate(reversed(events)):  # oldest first, as a reviewer reads a branch
        start = len(lines)
        _event_lines(lines, x, decisions.get(x["commit"]), grades.get(x["commit"]), stats.get(x["commit"], ""))
        added = sum(len(line.encode()) + 1 for line in lines[start:])
        if max_bytes is not None and size + added + 200 > max_bytes:
            del lines[start:]
            lines += ["", f"…and {len(events) - index} more event(s): run `skillgit report` for all of them."]
            break
        size += added
    return "\n".join(lines).rstrip() + "\n"


def _event_lines(lines: list[str], x: EventData, decision: DecisionData | None, grade: GradeData | None,
                 stat: str) -> None:
    """One event: its title, trigger and other reasons, its prediction's grade, the gate's table, the diff stat."""
    t = x["trailers"]
    lines += ["", f"### `{x['commit'][:12]}` {text(x['event'])} {text(x['skill'] or '')}".rstrip(), ""]
    lines.append(f"- **commit:** {text(x['title'])} — {text(x['author'])}, {text(x['time'][:16].replace('T', ' '))}")
    for key, label in (("Skill-Trigger", "trigger"), ("Skill-Reason", "reason"), ("Skill-Expected", "expected"),
                       ("Skill-Rollback-Of", "rollback of"), ("Skill-Eval-Summary", "eval")):
        if key in t:
            lines.append(f"- **{label}:** {text(t[key])}")
    if grade is not None:
        value = "" if grade["value"] is None else f" (value {grade['value']} over {grade['sessions']} session(s))"
        lines.append(f"- **prediction:** {text(grade['status'])} {text(value)}".rstrip())
    if decision is not None:
        lines += ["", *_gate_table(decision)]
    if stat:
        kept = stat.splitlines()
        if len(kept) > MAX_STAT_LINES:
            kept = kept[: MAX_STAT_LINES - 1] + [f" … {len(kept) - MAX_STAT_LINES + 1} more line(s)", kept[-1]]
        lines += ["", "<details><summary>diff stat</summary>", "", fenced("\n".join(kept)), "", "</details>"]


def _gate_table(d: DecisionData) -> list[str]:
    rows = [f"**gate: {text(d['decision'])}**", "", "| part | champion | challenger | difference | interval | cases |",
            "|---|---|---|---|---|---|"]
    for part, f, inner in figure_parts(d["figures"]):
        counts = " ".join(f"{k} {f[k]}" for k in ("state", "better", "worse", "tie") if f.get(k) is not None)
        interval = pair(inner.get("interval"))
        rows.append(f"| {part} {text(counts)} | {_v(inner.get('champion'))} | {_v(inner.get('challenger'))} | "
                    f"{_v(inner.get('delta'))} | {text(f'[{interval[0]}, {interval[1]}]') if interval else ''} | "
                    f"{_v(inner.get('n') or f.get('n'))} |")
    if len(rows) == 4:
        rows.append(f"| summary | {text(d.get('summary') or '(none)')} | | | | |")
    return rows + _case_table(d)


def _case_table(d: DecisionData) -> list[str]:
    """The per-case counts of the decision (champion → candidate), or the reason they cannot be read."""
    if d.get("cases_error"):
        return ["", f"per-case counts unreadable: {text(d['cases_error'])}"]
    if not d.get("cases"):
        return []
    rows = ["", "| part | case | champion | candidate | candidate 95% interval |", "|---|---|---|---|---|"]
    for c in d["cases"]:
        name = f"{c['suite']} / {c['case']}" if c["part"] == "train" else "(holdout case)"
        interval = c.get("candidate_interval")
        shown = f"[{interval[0]:.2f}, {interval[1]:.2f}]" if interval else ""
        rows.append(f"| {text(c['part'])} | {text(name)} | {text(case_tally(c['champion']))} | "
                    f"{text(case_tally(c['candidate']))} | {shown} |")
    return rows


def case_tally(t: Tally) -> str:
    """One side of a case's counts: `passes/runs`, or a judged case's mean score over its runs."""
    if "passes" in t:
        return f"{t['passes']}/{t['runs']}"
    return f"mean {t['sum'] / t['runs']:.2f} over {t['runs']}"


def _v(value: object) -> str:
    return "" if value is None else text(value)


def step_summary(ws: Workspace, base: str | None, verdict: Mapping[str, object]) -> str:
    """What `verify --format github` adds to the step summary after its verdict: the report of the range
    it checked (from `base`; all history without one), with that verdict."""
    from skillgit.report.collect import collect

    data = collect(ws, base, verify=False, detail=False)
    data["verify"] = cast("VerifyData", verdict)
    return render(data, diff_stats(ws, [x["commit"] for x in data["events"]]), MAX_BYTES)
