"""Eval commands: `eval run|compare|ledger`, `holdout seal`, and `promote` (the gate, then one commit)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from skillgit.cli import json_option, repo_option, where
from skillgit.errors import EXIT_OK
from skillgit.progress import gate_looks

if TYPE_CHECKING:
    from skillgit.jsontypes import JSON
    from skillgit.workspace import Workspace

RUNNER_HELP = "Runner command (default: eval.runner in skillgit.yaml)."


def _ws(ctx: click.Context, directory: Path | None) -> Workspace:
    from skillgit.workspace import Workspace

    return Workspace.open(where(ctx, directory))


def _print(data: JSON, lines: list[str], as_json: bool) -> None:
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
      skillgit eval power social --effect 0.15
      skillgit eval compare social
      skillgit eval ledger social --json
    """


@eval_group.command("run")
@click.argument("name")
@click.option("--version", "version", help="Version to run: vN (see `versions`) or a revision (default: HEAD).")
@click.option("--candidate", type=click.Path(path_type=Path, dir_okay=False), help="Run a candidate SKILL.md file instead.")
@click.option("--runner", help=RUNNER_HELP)
@click.option("--trials", type=click.IntRange(min=1, max=1000), help="Runs of each case (default: eval.trials).")
@json_option
@repo_option
@click.pass_context
def eval_run(ctx: click.Context, name: str, version: str | None, candidate: Path | None, runner: str | None,
             trials: int | None, as_json: bool, directory: Path | None) -> int:
    """Run skill NAME's eval cases (the work tree's evals.yaml, and HEAD's sealed holdout) with the runner.

    Cases written but not yet committed are run; a note on stderr (and
    `evals_differ_from_head` in --json) says when they differ from HEAD's. The gate
    (promote, refine --gate, cycle) reads committed evals only.

    Each case runs --trials times. Train cases are reported one by one with their pass rate and
    a 95% interval; the holdout only as its score with an interval. The runs go into the run
    cache. Exit 0 when every train run passes and the holdout score reaches min_pass, 1
    otherwise, 2 without evals or runner, 3 when the holdout does not match its seal.

    \b
    Examples:
      skillgit eval run social
      skillgit eval run social --trials 10
      skillgit eval run social --version v2
      skillgit eval run social --candidate /tmp/SKILL.md --json
    """
    from skillgit.evals.measure import run_evals
    from skillgit.evals.promote import read_candidate

    ws = _ws(ctx, directory)
    raw = read_candidate(ws, name, str(candidate))[0] if candidate is not None else None
    progress = None
    if not as_json and sys.stderr.isatty():
        def progress(part: str, done: int, total: int) -> None:
            click.echo(f"{part}: {done}/{total} runs", err=True)
    report = run_evals(ws, name, version=version, candidate=raw, candidate_name=str(candidate) if candidate else None,
                       runner=runner, trials=trials, progress=progress)
    if report.evals_differ:
        click.echo(f"note: {ws.skill_dir(name)}/evals/evals.yaml in the work tree differs from HEAD's; these runs use "
                   "the work tree's cases, the gate uses committed ones: commit it for the gate to see it.", err=True)
    _print(report.to_json(), report.lines(), as_json)
    return report.exit_code


@eval_group.command("power")
@click.argument("name")
@click.option("--effect", type=click.FloatRange(min=-1, max=1), help="The improvement to detect, 0-1 scale (default: eval.min_effect).")
@click.option("--power", "power", type=click.FloatRange(min=0.01, max=0.99), default=0.8, show_default=True,
              help="The wanted chance of accepting a candidate that good.")
@click.option("--decisions", type=click.IntRange(min=1, max=100_000), default=300, show_default=True,
              help="Decisions to simulate.")
@click.option("--runner", help=RUNNER_HELP + " Its cached runs give the champion's rates.")
@json_option
@repo_option
@click.pass_context
def eval_power(ctx: click.Context, name: str, effect: float | None, power: float, decisions: int, runner: str | None,
               as_json: bool, directory: Path | None) -> int:
    """How many runs (and cases) a gate decision on skill NAME needs to detect an effect.

    From the champion's pass rates in the run cache (0.5 for a case without runs; `eval run`
    fills the cache) and a candidate better by --effect on every case: the runs per case the
    confirming part needs for the wanted power, and a simulation of the gate's own procedure
    (in-process, no runner is started) with its accept rate and runs per decision, for the
    effect and for no change, for the next decision and for a champion in use.

    \b
    Examples:
      skillgit eval power social
      skillgit eval power social --effect 0.15 --json
    """
    from skillgit.evals.power import power_report

    report = power_report(_ws(ctx, directory), name, effect=effect, power=power, runner=runner, decisions=decisions)
    _print(report.to_json(), report.lines(), as_json)
    return EXIT_OK


@eval_group.command("cache")
@click.option("--clear", is_flag=True, help="Delete every cached run.")
@json_option
@repo_option
@click.pass_context
def eval_cache(ctx: click.Context, clear: bool, as_json: bool, directory: Path | None) -> int:
    """Show (or clear) the run cache: champion runs the gate reuses across decisions.

    Runs are kept per SKILL.md version, case, and a digest of the runner, graders, judge and
    skill files, in .git/skillgit/eval-runs.sqlite3. Clearing loses nothing but runs.

    \b
    Examples:
      skillgit eval cache
      skillgit eval cache --clear
    """
    from skillgit.errors import UsageError
    from skillgit.evals.cache import RunCache

    ws = _ws(ctx, directory)
    cleared: int | None = None
    try:
        with RunCache.open(ws.repo) as cache:
            cleared = cache.clear() if clear else None
            stats = cache.stats()
    except UsageError:
        if not clear:
            raise
        RunCache.remove(ws.repo)  # unreadable: the file goes, with whatever it held
        with RunCache.open(ws.repo) as cache:
            stats = cache.stats()
    data: JSON = {**stats, "path": str(cache.path), "cleared": cleared}
    lines = [f"{cache.path}: {stats['runs']} run(s) of {stats['versions']} version(s) over {stats['cases']} (version, case) pair(s)"]
    if clear:
        lines.insert(0, f"cleared {cleared} run(s)" if cleared is not None else "removed the unreadable run cache")
    _print(data, lines, as_json)
    return EXIT_OK


@eval_group.command("compare")
@click.argument("name")
@json_option
@repo_option
@click.pass_context
def eval_compare(ctx: click.Context, name: str, as_json: bool, directory: Path | None) -> int:
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
    return EXIT_OK


@eval_group.command("ledger")
@click.argument("name")
@json_option
@repo_option
@click.pass_context
def eval_ledger(ctx: click.Context, name: str, as_json: bool, directory: Path | None) -> int:
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
    return EXIT_OK


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
                 directory: Path | None) -> int:
    """Seal skill NAME's holdout as a maintainer's `manual` commit.

    Writes skills/NAME/evals/holdout.lock.json (sha256 of the line-sorted holdout bytes, n,
    margin, min_pass; OrchestKit's ork-holdout/1.0 keys) and commits it with the holdout.
    margin and min_pass are on the score's scale: 0–1 (pass share), or 0–10 when judged.

    \b
    Examples:
      skillgit holdout seal social
      skillgit holdout seal assess --margin 0.5 --min-pass 7
    """
    from skillgit.cli.core import _done
    from skillgit.evals.holdout import seal

    _done(seal(_ws(ctx, directory), name, margin=margin, min_pass=min_pass), as_json)
    return EXIT_OK


@click.command("promote")
@click.argument("name")
@click.option("--candidate", required=True, help="The candidate: a SKILL.md file, or a revision holding skills/NAME/SKILL.md.")
@click.option("--expected", required=True, help="Skill-Expected prediction for the refine, if promoted.")
@click.option("--runner", help=RUNNER_HELP)
@click.option("--budget", type=click.IntRange(min=1), help="Agent runs the decision may make (default and most: eval.max_runs).")
@json_option
@repo_option
@click.pass_context
def promote(ctx: click.Context, name: str, candidate: str, expected: str, runner: str | None, budget: int | None,
            as_json: bool, directory: Path | None) -> int:
    """Gate a candidate for skill NAME and record the decision as one commit.

    Runs every case repeatedly on both versions in rounds (champion runs from the run cache
    where it can) until the holdout shows the candidate better by the margin and the train
    cases no worse than eval.max_regression, or shows it falls short; see docs/evals.md.
    Promoted: a `refine` commit with Skill-Eval-Summary and the per-case counts, exit 0.
    Rejected or inconclusive (out of runs): a `refused` commit with the numbers, exit 1.
    No evals or no runner: exit 2. Holdout seal mismatch: exit 3, no commit.

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
    outcome = run_promote(ws, name, raw, expected=expected, runner=runner, source=source, budget=budget,
                          progress=gate_looks(quiet=as_json))
    if as_json:
        click.echo(json.dumps({**outcome.gate.to_json(), "candidate": label, "commit": outcome.result.commit,
                               "event": outcome.result.event}, indent=2))
    else:
        for line in outcome.gate.lines():
            click.echo(line)
        click.echo(f"[{outcome.result.commit[:12]}] {outcome.result.event}: {outcome.result.summary}")
    return outcome.exit_code


COMMANDS = [eval_group, holdout_group, promote]
