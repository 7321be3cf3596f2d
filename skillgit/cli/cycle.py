"""`skillgit cycle` (one governed improvement step) and `skillgit watch` (catch regressions)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from skillgit.cli import json_option, repo_option, where
from skillgit.errors import EXIT_CHECK_FAILED, EXIT_OK


def _ask(text: str) -> bool:
    click.echo(text, err=True)
    answer = click.prompt("Apply or Discard?", type=click.Choice(["a", "d", "apply", "discard"], case_sensitive=False),
                          default="d", err=True)
    return answer.lower().startswith("a")


def _now(value: str | None) -> datetime | None:
    from skillgit.errors import UsageError

    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--now {value!r}: not an ISO 8601 time; write it like 2026-05-19T12:00:00Z.") from None
    from skillgit.cycle.gates import as_utc

    return as_utc(when)


@click.command("cycle")
@click.option("--dry-run", is_flag=True, help="Decide, propose and gate, then print what would be recorded; write nothing.")
@click.option("--on-propose", type=click.Choice(["ask", "auto", "disabled"]), default=None,
              help="ask: show the diff and ask (no terminal: a proposal branch); auto: commit; "
                   "disabled: write the patch only. Default: cycle.on_propose.")
@click.option("--branch", metavar="NAME", help="Commit the event to a new branch NAME (for a PR); HEAD does not move.")
@click.option("--proposer", metavar="CMD",
              help="`builtin`, or an LLM CLI that reads the JSON request on stdin and prints the SKILL.md "
                   "(e.g. 'claude -p'). Default: cycle.proposer.")
@click.option("--runner", metavar="CMD", help="Eval runner command for the gate (default: eval.runner).")
@click.option("--now", "now", metavar="TIME", hidden=True, help="Evaluate the cooldown at TIME (ISO 8601), for replays.")
@json_option
@repo_option
@click.pass_context
def cycle_command(ctx: click.Context, dry_run: bool, on_propose: str | None, branch: str | None, proposer: str | None,
                  runner: str | None, now: str | None, as_json: bool, directory: Path | None) -> int:
    """Run one improvement cycle: exactly one event commit, or none.

    Gates (clean tree, enough new sessions since the last cycle event,
    cooldown, one cycle at a time) → metrics and diagnosis → one
    decision (retire, refine, create or no-op) → a proposal → every
    policy rule → the eval gate → the event. A closed gate exits 0
    without a commit; a cycle already running exits 4.

    \b
    Examples:
      skillgit ingest sessions/ && skillgit cycle --on-propose auto
      skillgit cycle --dry-run
      skillgit cycle --proposer 'claude -p' --branch evolve/release
      skillgit cycle --on-propose disabled   # patch in .git/skillgit/proposals/
    """
    from skillgit.cycle.model import CycleOptions
    from skillgit.cycle.run import run_cycle
    from skillgit.workspace import Workspace

    ws = Workspace.open(where(ctx, directory))
    interactive = sys.stdin.isatty() and sys.stderr.isatty() and not as_json
    from skillgit.progress import gate_looks

    options = CycleOptions(dry_run=dry_run, on_propose=on_propose, branch=branch, proposer=proposer, runner=runner,
                           now=_now(now), confirm=_ask if interactive else None,
                           gate_progress=gate_looks(quiet=as_json, prefix="gate: "))
    result = run_cycle(ws, options, echo=(lambda line: None) if as_json else (lambda line: click.echo(line, err=True)))
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2))
    else:
        for line in result.lines:
            click.echo(line)
    return EXIT_OK


@click.command("watch")
@click.option("--auto-rollback", is_flag=True, help="Restore the previous version of every alerted skill (one rollback commit each).")
@click.option("--now", "now", metavar="TIME", hidden=True, help="Evaluate the watch window at TIME (ISO 8601).")
@json_option
@repo_option
@click.pass_context
def watch_command(ctx: click.Context, auto_rollback: bool, now: str | None, as_json: bool, directory: Path | None) -> int:
    """Compare each recently changed skill with its previous version.

    Like for like: win_rate over sessions attributed to each version
    with the same attribution strength. Alerts when it fell by more than
    watch.max_drop with at least watch.min_sessions on both sides.
    Exit 1 when there is an alert.

    \b
    Examples:
      skillgit watch
      skillgit watch --auto-rollback --json
    """

    from skillgit.cycle.watch import roll_back, stored_watch
    from skillgit.evidence.ingested import Ingested
    from skillgit.workspace import Workspace

    ws = Workspace.open(where(ctx, directory))
    when = _now(now) or datetime.now(UTC)
    with Ingested.open(ws) as ev:
        comparisons = stored_watch(ws, ev, now=when)
    alerts = [c for c in comparisons if c.alert]
    rolled, failed = roll_back(ws, alerts) if auto_rollback and alerts else ([], [])
    if as_json:
        click.echo(json.dumps({"comparisons": [c.to_json() for c in comparisons],
                               "rollbacks": [{"commit": r.commit, "skill": r.skill, "summary": r.summary} for r in rolled],
                               "rollback_failures": failed}, indent=2))
    else:
        if not comparisons:
            click.echo(f"watch: no skill changed within the last {ws.config.watch.window_days:g} day(s) has a previous version to compare.")
        for c in comparisons:
            click.echo(("ALERT " if c.alert else "ok    ") + c.message())
        for r in rolled:
            click.echo(f"[{r.commit[:12]}] rollback: {r.summary}")
    for failure in failed:
        click.echo(f"skillgit: {failure}", err=True)
    return EXIT_CHECK_FAILED if alerts else EXIT_OK


COMMANDS = [cycle_command, watch_command]
