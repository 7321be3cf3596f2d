"""Eval commands: `eval run|compare|ledger`, `holdout seal`, and `promote` (the gate, then one commit)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from skillgit.cli import json_option, repo_option, where

RUNNER_HELP = "Runner command (default: eval.runner in skillgit.yaml)."


def _ws(ctx: click.Context, directory: Path | None) -> Any:
    from skillgit.workspace import Workspace

    return Workspace.open(where(ctx, directory))


def _print(data: Any, lines: list[str], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2))
    else:
        for line in lines:
            click.echo(line)


@click.group("eval")
def eval_group() -> None:
    """Evaluate a skill: run its cases, compare versions from traces, print its promotion ledger.

    \b
    Examples:
      skillgit eval run social
      skillgit eval compare social
      skillgit eval ledger social --json
    """


@eval_group.command("run")
@click.argument("name")
@click.option("--version", "version", help="Version to run: vN (see `versions`) or a revision (default: HEAD).")
@click.option("--candidate", type=click.Path(path_type=Path, dir_okay=False), help="Run a candidate SKILL.md file instead.")
@click.option("--runner", help=RUNNER_HELP)
@json_option
@repo_option
@click.pass_context
def eval_run(ctx: click.Context, name: str, version: str | None, candidate: Path | None, runner: str | None,
             as_json: bool, directory: Path | None) -> int:
    """Run skill NAME's eval cases (HEAD's evals.yaml, and the sealed holdout) with the runner.

    Train cases are reported one by one (pass / fail / error); the holdout only as its score.
    Exit 0 when all pass (holdout score ≥ min_pass), 1 on any failure, 2 without evals or
    runner, 3 when the holdout does not match its seal.

    \b
    Examples:
      skillgit eval run social
      skillgit eval run social --version v2
      skillgit eval run social --candidate /tmp/SKILL.md --json
    """
    from skillgit.evals.promote import read_candidate
    from skillgit.evals.run import run_evals

    ws = _ws(ctx, directory)
    raw = read_candidate(ws, name, str(candidate))[0] if candidate is not None else None
    report = run_evals(ws, name, version=version, candidate=raw, candidate_name=str(candidate) if candidate else None,
                       runner=runner)
    _print(report.to_json(), report.lines(), as_json)
    return report.exit_code


@eval_group.command("compare")
@click.argument("name")
@json_option
@repo_option
@click.pass_context
def eval_compare(ctx: click.Context, name: str, as_json: bool, directory: Path | None) -> None:
    """Pass rates of every version of skill NAME, replayed from ingested sessions (no reruns).

    Each session attributed to a version is graded against HEAD's evals.yaml cases (a case with
    `match:` only grades the sessions that mention it). Run `skillgit ingest` first.

    \b
    Example:
      skillgit eval compare social
    """
    from skillgit.evals.replay import replay

    report = replay(_ws(ctx, directory), name)
    _print(report.to_json(), report.lines(), as_json)


@eval_group.command("ledger")
@click.argument("name")
@json_option
@repo_option
@click.pass_context
def eval_ledger(ctx: click.Context, name: str, as_json: bool, directory: Path | None) -> None:
    """Every gate decision about skill NAME, from git history, oldest first.

    Accepted: refine/create events with Skill-Eval-Summary. Rejected: refused events, with
    Skill-Reason and the figures.

    \b
    Example:
      skillgit eval ledger social
    """
    from skillgit.evals.ledger import ledger

    decisions = ledger(_ws(ctx, directory), name)
    lines = [d.line() for d in decisions] or [f"no gate decisions about `{name}` yet"]
    _print([d.to_json() for d in decisions], lines, as_json)


@click.group("holdout")
def holdout_group() -> None:
    """Manage a skill's sealed holdout (evals/holdout.jsonl + holdout.lock.json).

    \b
    Example:
      skillgit holdout seal social --margin 0.05 --min-pass 0.6
    """


@holdout_group.command("seal")
@click.argument("name")
@click.option("--margin", type=click.FloatRange(min=0), help="Minimum challenger − champion gain (default: the lock's, else holdout.margin).")
@click.option("--min-pass", "min_pass", type=click.FloatRange(min=0), help="Minimum challenger score (default: the lock's, else holdout.min_pass).")
@json_option
@repo_option
@click.pass_context
def holdout_seal(ctx: click.Context, name: str, margin: float | None, min_pass: float | None, as_json: bool,
                 directory: Path | None) -> None:
    """Seal skill NAME's holdout as a maintainer's `manual` commit.

    Writes skills/NAME/evals/holdout.lock.json (sha256 of the line-sorted holdout bytes, n,
    margin, min_pass; OrchestKit's ork-holdout/1.0 keys) and commits it with the holdout.
    margin and min_pass are on the score's scale: 0–1 (pass share), or 0–10 when judged.

    \b
    Examples:
      skillgit holdout seal social
      skillgit holdout seal assess --margin 0.5 --min-pass 7
    """
    from skillgit.commands.core import _done
    from skillgit.evals.holdout import seal

    _done(seal(_ws(ctx, directory), name, margin=margin, min_pass=min_pass), as_json)


@click.command("promote")
@click.argument("name")
@click.option("--candidate", required=True, help="The candidate: a SKILL.md file, or a revision holding skills/NAME/SKILL.md.")
@click.option("--expected", required=True, help="Skill-Expected prediction for the refine, if promoted.")
@click.option("--runner", help=RUNNER_HELP)
@json_option
@repo_option
@click.pass_context
def promote(ctx: click.Context, name: str, candidate: str, expected: str, runner: str | None, as_json: bool,
            directory: Path | None) -> int:
    """Gate a candidate for skill NAME and record the decision as one commit.

    Train A/B on evals.yaml (0 worse, ≥ 1 better), then the sealed holdout bake-off (gain ≥
    margin, ties reject, ≥ min_pass, no dimension under min_blocker). Promoted: a `refine`
    commit with Skill-Eval-Summary, exit 0. Rejected: a `refused` commit with the numbers,
    exit 1. No evals or no runner: exit 2. Holdout seal mismatch: exit 3, no commit.

    \b
    Examples:
      skillgit promote social --candidate /tmp/SKILL.md \\
        --expected "win_rate >= 0.6 within 5 sessions; else revert"
      skillgit promote social --candidate proposal-branch --expected "..."
    """
    from skillgit.evals.promote import promote as run_promote
    from skillgit.evals.promote import read_candidate

    ws = _ws(ctx, directory)
    raw, label = read_candidate(ws, name, candidate)
    source = Path(candidate) if Path(candidate).is_file() else None
    outcome = run_promote(ws, name, raw, expected=expected, runner=runner, source=source)
    if as_json:
        click.echo(json.dumps({**outcome.gate.to_json(), "candidate": label, "commit": outcome.result.commit,
                               "event": outcome.result.event}, indent=2))
    else:
        for line in outcome.gate.lines():
            click.echo(line)
        click.echo(f"[{outcome.result.commit[:12]}] {outcome.result.event}: {outcome.result.summary}")
    return outcome.exit_code


COMMANDS = [eval_group, holdout_group, promote]
