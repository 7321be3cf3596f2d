"""Progress on long commands: a bar or a line on stderr, only when stderr is a terminal.

Piped, redirected, in CI or with `--json`, nothing is written: the callbacks do nothing. On a
terminal the bar is redrawn at most every REDRAW seconds, so a walk calling it per commit costs a
clock read per call.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from skillgit.evals.decision import Assessment
    from skillgit.workspace import Workspace

REDRAW = 0.1
MIN_COMMITS = 5000
"""Walks over fewer commits finish in about a second: no bar."""

Advance = Callable[[int], None]


def shown(quiet: bool = False) -> bool:
    """Whether progress is written: stderr is a terminal and the command was not asked for JSON."""
    return not quiet and sys.stderr.isatty()


def _nothing(_: int) -> None:
    return None


@contextmanager
def bar(total: int, label: str, *, quiet: bool = False, minimum: int = 0) -> Iterator[Advance]:
    """While the block runs, `advance(n)` moves a bar of `total` units on stderr; with no terminal, `quiet`,
    or `total` under `minimum` (work too short to be worth one), it does nothing."""
    if not shown(quiet) or total <= 0 or total < minimum:
        yield _nothing
        return
    # no ETA: click averages from the first redraw, which a slow start (reading the config, starting git) skews
    with click.progressbar(length=total, label=label, file=sys.stderr, show_eta=False, show_pos=True,
                           show_percent=True) as progress:
        pending = 0
        last = time.monotonic()

        def advance(n: int) -> None:
            nonlocal pending, last
            pending += n
            now = time.monotonic()
            if now - last >= REDRAW:
                progress.update(pending)
                pending, last = 0, now

        yield advance
        progress.update(pending)


def note(text: str, *, quiet: bool = False) -> None:
    """One progress line on stderr (a step of a long command), only on a terminal."""
    if shown(quiet):
        click.echo(text, err=True)


@contextmanager
def commits_bar(ws: Workspace, spec: str | None, label: str, *, quiet: bool = False) -> Iterator[Advance]:
    """`bar` over the commits of the range `spec` (as `verify` takes it), for walks that visit each
    once; counted (one `git rev-list --count`) only when the bar will be shown."""
    if not shown(quiet):
        yield _nothing
        return
    from skillgit.errors import SkillgitError
    from skillgit.policy.ranges import resolve_range

    try:
        rng = resolve_range(ws, spec)
        total = ws.repo.count_commits(*rng.log_args)
    except (SkillgitError, ValueError):
        total = 0  # the walk itself reports a bad range
    with bar(total, label, minimum=MIN_COMMITS) as advance:
        yield advance


def gate_looks(*, quiet: bool = False, prefix: str = "") -> Callable[[int, int, int, Assessment], None] | None:
    """The eval gate's progress: a line per look (round) on stderr, only on a terminal; None otherwise.

    Each line names the look, the runs so far and every part's figures and verdict, so a long gate shows
    where it stands (`promote`, `refine --gate`, `cycle`)."""
    if not shown(quiet):
        return None

    def show(look: int, looks: int, runs: int, assessment: Assessment) -> None:
        parts = ", ".join(f"{p.part} {p.figures()} {p.verdict}" for p in assessment.parts)
        click.echo(f"{prefix}look {look}/{looks}: {runs} runs; {parts}", err=True)

    return show
