"""`verify --format github`: workflow-command annotations and a Markdown step summary.

GitHub shows at most 10 error annotations per step, so the first 9 are annotations and the rest are
counted in a 10th; every violation is also printed as a plain log line and listed in the summary
written to $GITHUB_STEP_SUMMARY (kept under GitHub's 1 MiB per-step limit).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from skillgit.policy.model import Violation

if TYPE_CHECKING:
    from skillgit.policy.verify import Report

MAX_ANNOTATIONS = 10
MAX_MESSAGE = 4000
MAX_SUMMARY_BYTES = 900_000


def escape_data(text: str) -> str:
    """Escape a workflow command's message (`%`, CR, LF), as @actions/core does."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value (also `:` and `,`)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(v: Violation) -> str:
    props = []
    if v.path:
        props.append(f"file={escape_property(v.path)}")
    props.append(f"title={escape_property(f'{v.rule} {v.name}')}")
    where = f"{v.commit[:12]}: " if v.commit else ""
    message = f"{where}{v.message}. {v.fix}"
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 1] + "…"
    return f"::error {','.join(props)}::{escape_data(message)}"


def annotation_lines(violations: Iterable[Violation]) -> list[str]:
    """At most MAX_ANNOTATIONS `::error` lines; past that, the last one counts what is not shown."""
    items = list(violations)
    if len(items) <= MAX_ANNOTATIONS:
        return [annotation(v) for v in items]
    shown = items[: MAX_ANNOTATIONS - 1]
    rest = len(items) - len(shown)
    overflow = (
        f"::error title={escape_property('skillgit verify')}::"
        + escape_data(f"{rest} more violations are not shown as annotations; see the log and the job summary.")
    )
    return [annotation(v) for v in shown] + [overflow]


def _cell(text: str | None) -> str:
    return (text or "").replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ").replace("`", "'")


def summary(report: Report) -> str:
    """The Markdown job summary: a verdict line and a table of violations (truncated to fit)."""
    rng = report.range
    head = f"## skillgit verify `{_cell(rng.spec)}`\n\n"
    if report.ok:
        return head + f"✅ {report.checked} commits checked, no violations (config: {_cell(report.config_source)}).\n"
    lines = [
        head + f"❌ {len(report.violations)} violations in {len({v.commit for v in report.violations})} commits "
        f"({report.checked} commits checked, config: {_cell(report.config_source)}).\n",
        "| commit | rule | file | problem | fix |",
        "|---|---|---|---|---|",
    ]
    size = sum(len(line.encode()) + 1 for line in lines)
    for index, v in enumerate(report.violations):
        row = (
            f"| `{(v.commit or '')[:12]}` | {v.rule} {_cell(v.name)} | {_cell(v.path)} | {_cell(v.message)} | {_cell(v.fix)} |"
        )
        if size + len(row.encode()) + 200 > MAX_SUMMARY_BYTES:
            lines.append(f"\n…and {len(report.violations) - index} more (the full list is in the step log).")
            break
        lines.append(row)
        size += len(row.encode()) + 1
    return "\n".join(lines) + "\n"


def write_summary(report: Report, path: str | None = None) -> Path | None:
    """Append the summary to $GITHUB_STEP_SUMMARY (when set); returns the file written."""
    target = path or os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    out = Path(target)
    with out.open("a", encoding="utf-8") as handle:
        handle.write(summary(report))
    return out


def github_lines(report: Report) -> list[str]:
    """Everything `--format github` prints: annotations, then one plain line per violation, then the verdict."""
    lines = [f"::warning title={escape_property('skillgit verify')}::{escape_data(w)}" for w in report.warnings]
    lines += annotation_lines(report.violations)
    lines += [v.render() for v in report.violations]
    lines.append(verdict(report))
    return lines


def verdict(report: Report) -> str:
    def n(count: int, word: str) -> str:
        return f"{count} {word}{'' if count == 1 else 's'}"

    if report.ok:
        return f"skillgit verify: {n(report.checked, 'commit')} checked in {report.range.spec}, no violations."
    commits = len({v.commit for v in report.violations})
    return (
        f"skillgit verify: {n(len(report.violations), 'violation')} in {n(commits, 'commit')} "
        f"({report.checked} checked in {report.range.spec})."
    )
