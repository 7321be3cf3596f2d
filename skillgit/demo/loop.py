"""The second half of `skillgit demo`: the governed loop on the bundled traces (skillgit/demo/data/traces/).

Everything runs on a demo clock (June 2026, the time of the bundled sessions): commits get their
dates from GIT_AUTHOR_DATE/GIT_COMMITTER_DATE, the cycle and watch get `now`. The clock is put
back when the demo ends.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from skillgit import trailers as T
from skillgit.workspace import Workspace

Echo = Callable[[str], None]
Step = Callable[[str, str], None]
DATE_VARS = ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE")


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 6, day, hour, 0, tzinfo=UTC)


@contextmanager
def demo_clock() -> Iterator[Callable[[datetime], None]]:
    """Yields `set(when)`, which dates the commits that follow; the environment is restored on exit."""
    saved = {k: os.environ.get(k) for k in DATE_VARS}

    def set_clock(when: datetime) -> None:
        for key in DATE_VARS:
            os.environ[key] = when.strftime("%Y-%m-%dT%H:%M:%SZ")

    try:
        yield set_clock
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def ingest(root: Path, traces: Path, name: str, echo: Echo) -> None:
    from skillgit.config import Config
    from skillgit.evidence.ingest import ingest_paths
    from skillgit.git import Repo

    repo = Repo.discover(root)
    result = ingest_paths(repo, Config.load(root), [traces / name])
    echo(f"   ingested {traces.name}/{name}: {result.sessions} session(s), {result.learnings} learning(s)")


def cycle(root: Path, when: datetime, echo: Echo) -> str | None:
    from skillgit.cycle.model import CycleOptions
    from skillgit.cycle.run import run_cycle

    ws = Workspace.open(root)
    result = run_cycle(ws, CycleOptions(on_propose="auto", now=when), echo=lambda line: echo(f"   {line}"))
    for line in result.lines:
        echo(f"   {line}")
    if result.commit:
        message = ws.repo.trailers_text(result.commit)
        echo("   trailers:")
        for line in message.splitlines():
            echo(f"     {line}")
    return result.commit


def loop(root: Path, traces: Path, step: Step, echo: Echo, set_clock: Callable[[datetime], None]) -> None:
    """Steps 7–13 of the demo (see `skillgit.demo.run`)."""
    step("ingest", "sessions arrive: seven runs of the release skill, two complaints about its tests")
    ingest(root, traces, "1-release-v1.jsonl", echo)

    step("cycle", "the cycle refines the failing skill (builtin proposer, scripted runner, train + holdout gate)")
    set_clock(at(5, 18))
    refine = cycle(root, at(5, 18), echo)
    if refine:
        diff = Workspace.open(root).repo.commit_stats([refine])[refine]
        echo(f"   {diff.splitlines()[-1].strip() if diff else ''}")

    step("cycle", "five good runs later the next cycle has nothing to do: a no-op, still one commit")
    ingest(root, traces, "2-release-refined.jsonl", echo)
    set_clock(at(9, 18))
    cycle(root, at(9, 18), echo)

    step("cycle", "the family skill fails, but it belongs to its creator: the cycle records a refused event")
    ingest(root, traces, "3-family.jsonl", echo)
    set_clock(at(13, 18))
    cycle(root, at(13, 18), echo)

    step("watch", "a maintainer trims the release skill; its runs regress; watch rolls it back")
    set_clock(at(14, 10))
    _trim_release(root, echo)
    ingest(root, traces, "4-release-regression.jsonl", echo)
    set_clock(at(19, 9))
    _watch(root, at(19, 9), echo)

    step("verify", "every commit in the history passes the rules, as CI would check it")
    from skillgit.policy.verify import verify

    report = verify(Workspace.open(root))
    echo(f"   {report.commits} commit(s), {report.checked} checked, "
         + ("no violations" if report.ok else f"{len(report.violations)} violation(s)"))
    for violation in report.violations[:5]:
        echo(f"     {violation.render()}")

    step("expectations", "the refine's prediction, graded against the sessions that followed it")
    _expectations(root, at(19, 9), echo)


def _trim_release(root: Path, echo: Echo) -> None:
    from skillgit import operations

    path = root / "skills/release/SKILL.md"
    text = path.read_text(encoding="utf-8")
    if "\n## Pitfalls" in text:
        path.write_text(text[: text.index("\n## Pitfalls")] + "\n", encoding="utf-8")
    ws = Workspace.open(root)
    result = operations.record(ws, "release", message="Trim the release skill: the pitfalls section felt redundant.")
    echo(f"   [{result.commit[:12]}] {result.event}: {result.summary}")


def _watch(root: Path, when: datetime, echo: Echo) -> None:
    from skillgit.cycle.watch import roll_back, watch
    from skillgit.evidence.ingested import Ingested

    ws = Workspace.open(root)
    with Ingested.open(ws) as ev:
        comparisons = watch(ws, ev.summaries, now=when, catalog=ev.catalog, attributions=ev.attributions)
    for c in comparisons:
        echo(f"   {'ALERT' if c.alert else 'ok'}: {c.message()}")
    done, failed = roll_back(ws, [c for c in comparisons if c.alert])
    for failure in failed:
        echo(f"   {failure}")
    for result in done:
        echo(f"   [{result.commit[:12]}] {result.event}: {result.summary}")
        reason = Workspace.open(root).events("-1")[0].trailers.get(T.ROLLBACK_OF)
        echo(f"   Skill-Rollback-Of: {reason}")


def _expectations(root: Path, when: datetime, echo: Echo) -> None:
    from skillgit.evidence.expectations import grade_expectations
    from skillgit.evidence.ingested import Ingested

    ws = Workspace.open(root)
    with Ingested.open(ws) as ev:
        grades = grade_expectations(ws, ev.summaries, ev.learnings, now=when, catalog=ev.catalog,
                                    attributions=ev.attributions, channels=ev.channels)
    for g in grades:
        value = "-" if g.value is None else f"{g.value:g}"
        echo(f"   {g.commit[:12]} {g.event} {g.skill}: {g.status} (value {value} over {g.sessions} session(s))")
        echo(f"     {g.prediction}")
