"""Core commands: init, the event commands, and reading history (journal, versions, show, status)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from skillgit.cli import json_option, repo_option, where
from skillgit.errors import EXIT_OK

if TYPE_CHECKING:
    from skillgit.operations import Result
    from skillgit.workspace import Workspace

MESSAGE_HELP = "The commit message: its first line is the title (default `skillgit: <event> NAME`), the rest the body."
EXPECTED_HELP = "A checkable prediction: '<metric> <op> <number> within <N> sessions|days; else <fallback>'."


def _ws(ctx: click.Context, directory: Path | None) -> Workspace:
    from skillgit.workspace import Workspace

    return Workspace.open(where(ctx, directory))


def _done(result: Result, as_json: bool, base: Path | None = None) -> None:
    if base is not None and result.made:
        result = _with_hook_note(result, base)
    if as_json:
        click.echo(json.dumps({"commit": result.commit, "event": result.event, "skill": result.skill, "summary": result.summary,
                               **({"notes": list(result.notes)} if result.notes else {}),
                               **({"made": False} if not result.made else {})}))
    elif result.made:
        click.echo(f"[{result.commit[:12]}] {result.event}: {result.summary}")
    else:
        click.echo(result.summary)
    for note in result.notes:
        click.echo(f"skillgit: note: {note}", err=True)


def _with_hook_note(result: Result, base: Path) -> Result:
    """The result with a note when the repository has its own pre-commit hook, which an event command's
    commit (made with git's plumbing) does not run."""
    import dataclasses

    from skillgit.git import Repo
    from skillgit.policy.install import skipped_hooks

    found = skipped_hooks(Repo.discover(base))
    if not found:
        return result
    note = (f"the repository's own pre-commit hook ({', '.join(str(p) for p in found)}) did not run on {result.commit[:12]}: "
            "skillgit's event commands commit through git's plumbing and run skillgit's checks only; run that hook "
            "yourself if it matters (the pre-commit framework: `pre-commit run --from-ref HEAD~1 --to-ref HEAD`)")
    return dataclasses.replace(result, notes=(*result.notes, note))


@click.command()
@click.option("--origin", help="Frontmatter `origin` the agent may edit (agent.origin).")
@click.option("--self-skill", help="The evolver's own skill (agent.self_skill); detected when skills/skill-evolve exists.")
@click.option("--skills-dir", "skills_dirs", multiple=True, metavar="DIR",
              help="A folder (or glob, `plugins/*/skills`) holding skill folders (repeatable); default: found from where "
                   "the SKILL.md files are.")
@click.option("--identities", "identities", multiple=True, metavar="EMAIL",
              help="An e-mail (`*` and `?` wildcards) of the agent's commits, for agent.identities (repeatable).")
@click.option("--stamp-origin", metavar="VALUE",
              help="Write `origin: VALUE` on every skill that has no origin, in the init commit (e.g. `creator`).")
@json_option
@repo_option
@click.pass_context
def init(ctx: click.Context, origin: str | None, self_skill: str | None, skills_dirs: tuple[str, ...],
         identities: tuple[str, ...], stamp_origin: str | None, as_json: bool, directory: Path | None) -> int:
    """Start managing the skills of this repository: write skillgit.yaml and record the `init` event.

    Works in an existing repository without touching its skills: the skill roots are found from
    where the SKILL.md files are (`skills/`, `skills/.curated/…`, `plugins/*/skills`), the problems
    the skills already have are recorded as the baseline (changes may keep them, not make them
    worse), and an existing skillgit.yaml is kept and validated. On an initialised repository it
    says so and exits 0.

    \b
    Examples:
      skillgit init
      skillgit init --skills-dir "plugins/*/skills" --identities "bot@example.com" --origin yoyo
      skillgit init --origin yoyo --stamp-origin creator
    """
    from skillgit import operations

    _done(operations.init(_ws(ctx, directory), origin=origin, self_skill=self_skill, skills_dirs=skills_dirs,
                          identities=identities, stamp_origin=stamp_origin), as_json)
    return EXIT_OK


@click.command()
@click.argument("name")
@click.option("--expected", required=True, help=EXPECTED_HELP)
@click.option("--from", "source", type=click.Path(path_type=Path, dir_okay=False), help="Take SKILL.md from FILE.")
@click.option("--description", help="Start from a template with this description (when there is no SKILL.md yet).")
@click.option("--origin", help="Frontmatter origin for a templated skill (default: creator).")
@click.option("--eval-summary", help="Skill-Eval-Summary trailer value.")
@click.option("-m", "--message", help=MESSAGE_HELP)
@json_option
@repo_option
@click.pass_context
def create(ctx: click.Context, name: str, expected: str, source: Path | None, description: str | None,
           origin: str | None, eval_summary: str | None, message: str | None, as_json: bool, directory: Path | None) -> int:
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
                               origin=origin, eval_summary=eval_summary, message=message)
    _done(result, as_json, where(ctx, directory))
    return EXIT_OK


@click.command()
@click.argument("name")
@click.option("--expected", required=True, help=EXPECTED_HELP)
@click.option("--from", "source", type=click.Path(path_type=Path, dir_okay=False), help="New SKILL.md content from FILE.")
@click.option("--eval-summary", help="Skill-Eval-Summary trailer value (train and holdout results).")
@click.option("--score-delta", help="Skill-Score-Delta, e.g. '0.42 -> 0.47'.")
@click.option("--parent-event", help="Commit id of the event this follows up.")
@click.option("--gate", "gated", is_flag=True,
              help="Run the eval gate first (docs/evals.md); a rejection records a `refused` event and exits 1.")
@click.option("-m", "--message", help=MESSAGE_HELP)
@json_option
@repo_option
@click.pass_context
def refine(ctx: click.Context, name: str, expected: str, source: Path | None, eval_summary: str | None,
           score_delta: str | None, parent_event: str | None, gated: bool, message: str | None, as_json: bool,
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
        if message:
            raise click.UsageError("--gate writes the commit message itself (it records the eval result); drop -m.")
        from skillgit.progress import gate_looks

        outcome = gated_refine(_ws(ctx, directory), name, expected=expected, source=source, score_delta=score_delta,
                               parent_event=parent_event, progress=gate_looks(quiet=as_json))
        _done(outcome.result, as_json, where(ctx, directory))
        return outcome.exit_code
    result = operations.refine(_ws(ctx, directory), name, expected=expected, source=source, eval_summary=eval_summary,
                               score_delta=score_delta, parent_event=parent_event, message=message)
    _done(result, as_json, where(ctx, directory))
    return EXIT_OK


@click.command()
@click.argument("name")
@click.option("--reason", help="Skill-Reason trailer.")
@click.option("-m", "--message", help=MESSAGE_HELP)
@json_option
@repo_option
@click.pass_context
def retire(ctx: click.Context, name: str, reason: str | None, message: str | None, as_json: bool, directory: Path | None) -> int:
    """Move skill NAME to the attic as one `retire` commit (undo with `revive`).

    \b
    Example:
      skillgit retire old-deploy --reason "replaced by release"
    """
    from skillgit import operations

    _done(operations.retire(_ws(ctx, directory), name, reason=reason, message=message), as_json, where(ctx, directory))
    return EXIT_OK


@click.command()
@click.argument("name")
@click.option("--reason", help="Skill-Reason trailer.")
@click.option("-m", "--message", help=MESSAGE_HELP)
@json_option
@repo_option
@click.pass_context
def revive(ctx: click.Context, name: str, reason: str | None, message: str | None, as_json: bool, directory: Path | None) -> int:
    """Move retired skill NAME back from the attic as one `revive` commit.

    \b
    Example:
      skillgit revive old-deploy
    """
    from skillgit import operations

    _done(operations.revive(_ws(ctx, directory), name, reason=reason, message=message), as_json, where(ctx, directory))
    return EXIT_OK


@click.command()
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("-m", "--message", help="The commit message: its first line is the title (default `skillgit: manual NAME`), the rest the body.")
@json_option
@repo_option
@click.pass_context
def record(ctx: click.Context, names: tuple[str, ...], message: str | None, as_json: bool, directory: Path | None) -> int:
    """Commit a maintainer's own edit of skills as one `manual` event.

    With no NAME, every skill with uncommitted changes goes into the one commit (a maintainer's
    change across many skills is one event naming each of them); with NAMEs, those skills.

    \b
    Examples:
      skillgit record social -m "Tighten the early-exit rule"
      skillgit record -m "Standardise the frontmatter names"      # every changed skill
    """
    from skillgit import operations

    _done(operations.record(_ws(ctx, directory), names, message=message), as_json, where(ctx, directory))
    return EXIT_OK


@click.command("mv")
@click.argument("old")
@click.argument("new")
@click.option("--dir", "folder", metavar="FOLDER", help="The new folder (default: beside the old one, named NEW).")
@click.option("-m", "--message", help="The commit message: its first line is the title (default `skillgit: rename OLD to NEW`).")
@json_option
@repo_option
@click.pass_context
def mv(ctx: click.Context, old: str, new: str, folder: str | None, message: str | None, as_json: bool,
       directory: Path | None) -> int:
    """Rename skill OLD to NEW as one `rename` event: its folder moves and its SKILL.md says `name: NEW`.

    `skillgit versions NEW` goes on from the versions of OLD. A plain `git mv` of a skill's folder,
    committed with `git commit`, gets the same trailers from the commit-msg hook.

    \b
    Examples:
      skillgit mv pdf-tools pdf
      skillgit mv notes meeting-notes --dir skills/.curated/meeting-notes
    """
    from skillgit import operations

    _done(operations.rename(_ws(ctx, directory), old, new, folder=folder, message=message), as_json, where(ctx, directory))
    return EXIT_OK


@click.command()
@click.argument("name")
@click.option("--to", "to", required=True, help="Version to restore: vN (see `versions`) or any revision.")
@click.option("--reason", help="Skill-Reason trailer.")
@click.option("--dry-run", is_flag=True, help="Show what would change (`git diff`) and commit nothing.")
@click.option("-m", "--message", help=MESSAGE_HELP)
@json_option
@repo_option
@click.pass_context
def rollback(ctx: click.Context, name: str, to: str, reason: str | None, dry_run: bool, message: str | None, as_json: bool,
             directory: Path | None) -> int:
    """Restore skill NAME as of version vN or revision REV, as one `rollback` commit.

    Any version, however old (from before a rename too); the trailer names the changes undone,
    as a span `<version>..<last> (N changes)` when there are many. --dry-run shows the diff first.

    \b
    Examples:
      skillgit rollback social --to v1 --dry-run
      skillgit rollback social --to v1
      skillgit rollback social --to HEAD~3
    """
    from skillgit import operations

    ws = _ws(ctx, directory)
    if dry_run:
        ws.require(name, "active")
        plan = operations.plan_rollback(ws, name, to, reason)
        diff = operations.rollback_diff(ws, plan)
        if as_json:
            click.echo(json.dumps({"skill": name, "target": plan.target, "label": plan.label, "undone": list(plan.undone),
                                   "trailers": dict(plan.trailers), "diff": diff, "made": False}))
            return EXIT_OK
        click.echo(f"would restore {plan.directory} to {plan.label} ({plan.target[:12]}), undoing "
                   f"{len(plan.undone)} change{'' if len(plan.undone) == 1 else 's'}; nothing was committed.")
        for key, value in plan.trailers:
            click.echo(f"  {key}: {value}")
        click.echo(diff, nl=False)
        return EXIT_OK
    _done(operations.rollback(ws, name, to=to, reason=reason, message=message), as_json, where(ctx, directory))
    return EXIT_OK


COMMANDS = [init, create, refine, retire, revive, record, mv, rollback]
