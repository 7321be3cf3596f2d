"""Core commands: init, the event commands, and reading history (journal, versions, show, status)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from skillgit.cli import json_option, repo_option, where

EXPECTED_HELP = "A checkable prediction: '<metric> <op> <number> within <N> sessions|days; else <fallback>'."


def _ws(ctx: click.Context, directory: Path | None) -> Any:
    from skillgit.workspace import Workspace

    return Workspace.open(where(ctx, directory))


def _done(result: Any, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"commit": result.commit, "event": result.event, "skill": result.skill, "summary": result.summary}))
    else:
        click.echo(f"[{result.commit[:12]}] {result.event}: {result.summary}")


@click.command()
@click.option("--origin", help="Frontmatter `origin` the agent may edit (agent.origin).")
@click.option("--self-skill", help="The evolver's own skill (agent.self_skill); detected when skills/skill-evolve exists.")
@json_option
@repo_option
@click.pass_context
def init(ctx: click.Context, origin: str | None, self_skill: str | None, as_json: bool, directory: Path | None) -> None:
    """Start managing the skills of this repository: write skillgit.yaml and record the `init` event.

    Works in an existing repository (a yoyo checkout, say) without touching its skills; an existing
    skillgit.yaml is kept and validated.

    \b
    Example:
      skillgit init --origin yoyo --self-skill skill-evolve
    """
    from skillgit import operations

    _done(operations.init(_ws(ctx, directory), origin=origin, self_skill=self_skill), as_json)


@click.command()
@click.argument("name")
@click.option("--expected", required=True, help=EXPECTED_HELP)
@click.option("--from", "source", type=click.Path(path_type=Path, dir_okay=False), help="Take SKILL.md from FILE.")
@click.option("--description", help="Start from a template with this description (when there is no SKILL.md yet).")
@click.option("--origin", help="Frontmatter origin for a templated skill (default: creator).")
@click.option("--eval-summary", help="Skill-Eval-Summary trailer value.")
@json_option
@repo_option
@click.pass_context
def create(ctx: click.Context, name: str, expected: str, source: Path | None, description: str | None,
           origin: str | None, eval_summary: str | None, as_json: bool, directory: Path | None) -> None:
    """Add skill NAME as one `create` commit.

    The content comes from --from FILE, else from an uncommitted skills/NAME/ in the work tree,
    else from a template (--description).

    \b
    Example:
      skillgit create release-notes --description "Draft release notes from merged PRs" \\
        --expected "uses >= 1 within 10 sessions; else broaden the keywords"
    """
    from skillgit import operations

    result = operations.create(_ws(ctx, directory), name, expected=expected, source=source, description=description,
                               origin=origin, eval_summary=eval_summary)
    _done(result, as_json)


@click.command()
@click.argument("name")
@click.option("--expected", required=True, help=EXPECTED_HELP)
@click.option("--from", "source", type=click.Path(path_type=Path, dir_okay=False), help="New SKILL.md content from FILE.")
@click.option("--eval-summary", help="Skill-Eval-Summary trailer value (train and holdout results).")
@click.option("--score-delta", help="Skill-Score-Delta, e.g. '0.42 -> 0.47'.")
@click.option("--parent-event", help="Commit id of the event this follows up.")
@click.option("--gate", "gated", is_flag=True,
              help="Run the eval gate first (docs/evals.md); a rejection records a `refused` event and exits 1.")
@json_option
@repo_option
@click.pass_context
def refine(ctx: click.Context, name: str, expected: str, source: Path | None, eval_summary: str | None,
           score_delta: str | None, parent_event: str | None, gated: bool, as_json: bool,
           directory: Path | None) -> int:
    """Commit the edit of skill NAME (its work-tree changes, or --from FILE) as one `refine` commit.

    Only skills/NAME/ goes into the commit; other staged or unstaged work is left alone.

    \b
    Example:
      $EDITOR skills/social/SKILL.md
      skillgit refine social --expected "win_rate >= 0.6 within 5 sessions; else split the procedure"
      skillgit refine social --gate --expected "..."    # eval gate first; Skill-Eval-Summary from it
    """
    from skillgit import operations

    if gated:
        from skillgit.evals.promote import gated_refine

        if eval_summary:
            raise click.UsageError("--gate writes Skill-Eval-Summary itself; drop --eval-summary.")
        outcome = gated_refine(_ws(ctx, directory), name, expected=expected, source=source, score_delta=score_delta,
                               parent_event=parent_event)
        _done(outcome.result, as_json)
        return outcome.exit_code
    result = operations.refine(_ws(ctx, directory), name, expected=expected, source=source, eval_summary=eval_summary,
                               score_delta=score_delta, parent_event=parent_event)
    _done(result, as_json)
    return 0


@click.command()
@click.argument("name")
@click.option("--reason", help="Skill-Reason trailer.")
@json_option
@repo_option
@click.pass_context
def retire(ctx: click.Context, name: str, reason: str | None, as_json: bool, directory: Path | None) -> None:
    """Move skill NAME to the attic as one `retire` commit (undo with `revive`).

    \b
    Example:
      skillgit retire old-deploy --reason "replaced by release"
    """
    from skillgit import operations

    _done(operations.retire(_ws(ctx, directory), name, reason=reason), as_json)


@click.command()
@click.argument("name")
@click.option("--reason", help="Skill-Reason trailer.")
@json_option
@repo_option
@click.pass_context
def revive(ctx: click.Context, name: str, reason: str | None, as_json: bool, directory: Path | None) -> None:
    """Move retired skill NAME back from the attic as one `revive` commit.

    \b
    Example:
      skillgit revive old-deploy
    """
    from skillgit import operations

    _done(operations.revive(_ws(ctx, directory), name, reason=reason), as_json)


@click.command()
@click.argument("name", required=False)
@click.option("-m", "--message", help="Prose for the commit body.")
@json_option
@repo_option
@click.pass_context
def record(ctx: click.Context, name: str | None, message: str | None, as_json: bool, directory: Path | None) -> None:
    """Commit a maintainer's own edit of one skill as a `manual` event.

    NAME may be left out when exactly one skill has changes.

    \b
    Example:
      skillgit record social -m "Tighten the early-exit rule"
    """
    from skillgit import operations

    _done(operations.record(_ws(ctx, directory), name, message=message), as_json)


@click.command()
@click.argument("name")
@click.option("--to", "to", required=True, help="Version to restore: vN (see `versions`) or any revision.")
@click.option("--reason", help="Skill-Reason trailer.")
@json_option
@repo_option
@click.pass_context
def rollback(ctx: click.Context, name: str, to: str, reason: str | None, as_json: bool, directory: Path | None) -> None:
    """Restore skill NAME as of version vN or revision REV, as one `rollback` commit.

    \b
    Examples:
      skillgit rollback social --to v1
      skillgit rollback social --to HEAD~3
    """
    from skillgit import operations

    _done(operations.rollback(_ws(ctx, directory), name, to=to, reason=reason), as_json)


@click.command()
@click.option("--skill", help="Only events about this skill.")
@click.option("--event", "kinds", multiple=True, help="Only these event types (repeatable).")
@click.option("--since", help="Only events after this date (as `git log --since` takes it).")
@click.option("-n", "--limit", type=click.IntRange(min=1), help="At most this many events.")
@json_option
@repo_option
@click.pass_context
def journal(ctx: click.Context, skill: str | None, kinds: tuple[str, ...], since: str | None, limit: int | None,
            as_json: bool, directory: Path | None) -> None:
    """Print the event journal (newest first), read from git history.

    \b
    Examples:
      skillgit journal --skill social
      skillgit journal --event refine --event rollback --since "2 weeks ago" --json
    """
    from skillgit import history

    events = history.journal(_ws(ctx, directory), skill=skill, kinds=kinds, since=since, limit=limit)
    if as_json:
        click.echo(json.dumps([e.to_json() for e in events], indent=2))
        return
    if not events:
        click.echo("no events")
    for e in events:
        extra = "  ".join(f"{k}: {v}" for k, v in e.trailers.governed() if k not in ("Skill-Event", "Skill-Name"))
        click.echo(f"{e.commit[:12]}  {e.time:%Y-%m-%d %H:%M}  {e.kind:<15} {e.skill or '-':<20} {e.author_email}")
        if extra:
            click.echo(f"              {extra}")


@click.command()
@click.argument("name")
@json_option
@repo_option
@click.pass_context
def versions(ctx: click.Context, name: str, as_json: bool, directory: Path | None) -> None:
    """List the versions v1…vN of skill NAME: every commit that changed it, following attic moves.

    \b
    Example:
      skillgit versions social
    """
    from skillgit import history

    ws = _ws(ctx, directory)
    found = history.versions(ws, name)
    if not found:
        raise click.UsageError(f"skill `{name}` has no history in this repository; see `skillgit status`.")
    from skillgit.evidence.metrics import per_version_usage

    usage = per_version_usage(ws, name)
    if as_json:
        click.echo(json.dumps([{**v.to_json(), **usage.get(v.blob or "", {})} for v in found], indent=2))
        return
    for v in found:
        blob = (v.blob or "-------")[:7]
        line = f"{v.label:<5} {v.commit[:12]}  {v.time:%Y-%m-%d %H:%M}  {v.event:<9} {blob}  {v.location:<6} {v.author}"
        stats = usage.get(v.blob or "")
        if stats:
            line += f"  uses={stats['uses']} win_rate={stats['win_rate']}"
        click.echo(line)
        if v.eval_summary:
            click.echo(f"      eval: {v.eval_summary}")
        if v.rollback_of:
            click.echo(f"      rollback of {v.rollback_of}")


@click.command()
@click.argument("name")
@click.option("--version", "version", help="vN or a revision (default: HEAD).")
@json_option
@repo_option
@click.pass_context
def show(ctx: click.Context, name: str, version: str | None, as_json: bool, directory: Path | None) -> None:
    """Print skill NAME's SKILL.md (as of --version vN or REV).

    \b
    Examples:
      skillgit show social
      skillgit show social --version v2
    """
    from skillgit.history import resolve_version

    ws = _ws(ctx, directory)
    rev = resolve_version(ws, name, version)[0] if version else "HEAD"
    for location in ("active", "attic"):
        path = f"{ws.dir_for(name, location)}/SKILL.md"
        raw = ws.repo.read_file(rev, path)
        if raw is not None:
            break
    else:
        raise click.UsageError(f"skill `{name}` has no SKILL.md at {version or 'HEAD'}; see `skillgit versions {name}`.")
    if as_json:
        from skillgit.git import blob_id

        click.echo(json.dumps({"skill": name, "path": path, "rev": rev, "blob": blob_id(raw), "text": raw.decode("utf-8", "replace")}))
    else:
        click.echo(raw.decode("utf-8", "replace"), nl=False)


@click.command()
@json_option
@repo_option
@click.pass_context
def status(ctx: click.Context, as_json: bool, directory: Path | None) -> None:
    """Show the managed skills (owner, state, version, last event) and uncommitted skill edits.

    \b
    Example:
      skillgit status --json
    """
    from skillgit.status import collect

    ws = _ws(ctx, directory)
    head = ws.repo.head()
    if head is not None:
        ws.require_history(head, "cannot report the managed skills")
    report = collect(ws)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(report["summary"])
    for s in report["skills"]:
        flags = " core" if s["core"] else ""
        metrics = f"  uses={s['uses']} win_rate={s['win_rate']} score={s['score']}" if s.get("uses") is not None else ""
        click.echo(f"  {s['name']:<24} {s['location']:<6} {str(s['status'] or '-'):<10} origin={s['origin'] or '?'}{flags}  {s['blob'][:7]}{metrics}")
    for path in report["uncommitted"]:
        click.echo(f"  uncommitted: {path}")


COMMANDS = [init, create, refine, retire, revive, record, rollback, journal, versions, show, status]
