"""Governance commands: `verify` over history, `hooks install|uninstall`, and `hook NAME` (what the shims run)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from skillgit.cli import repo_option, where
from skillgit.errors import EXIT_CHECK_FAILED, EXIT_OK

if TYPE_CHECKING:
    from skillgit.policy.verify import Report
    from skillgit.workspace import Workspace


@click.command()
@click.argument("range_spec", metavar="[RANGE]", required=False)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text", show_default=True,
    help="text: one line per violation; json: a report object; github: workflow annotations + job summary.",
)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON (the same as --format json).")
@click.option("--require-signed-agent", is_flag=True, help="Agent commits must carry a good signature (git's %G? is G or U).")
@click.option("--assume-managed-since", "assume_since", metavar="REV",
              help="In a shallow clone: trust the history from REV on (its older part is missing) instead of failing.")
@repo_option
@click.pass_context
def verify(ctx: click.Context, range_spec: str | None, fmt: str, as_json: bool, require_signed_agent: bool,
           assume_since: str | None, directory: Path | None) -> int:
    """Check every commit in RANGE against the policy rules, with the config as of the range's base.

    RANGE is BASE..HEAD (default: @{upstream}..HEAD, else all history). An all-zero BASE (the
    `before` of a new branch's push) starts where HEAD left origin/HEAD, else checks all history.
    Commits made with `git commit --no-verify` are caught here. A shallow clone whose history
    stops after the `init` event is an error (exit 2): fetch the whole history, or pass
    --assume-managed-since REV.

    \b
    Examples:
      skillgit verify origin/main..HEAD
      skillgit verify "$BEFORE..$AFTER" --format github
      skillgit verify --json > verify.json
    """
    from skillgit.policy import annotate
    from skillgit.policy.verify import verify as run_verify
    from skillgit.progress import commits_bar
    from skillgit.workspace import Workspace

    if as_json:
        if fmt not in ("text", "json"):
            raise click.UsageError(f"--json and --format {fmt} ask for two formats; pass one of them.")
        fmt = "json"
    ws = Workspace.open(where(ctx, directory))
    with commits_bar(ws, range_spec, "verifying", quiet=fmt == "json") as advance:
        report = run_verify(ws, range_spec, require_signed_agent=require_signed_agent,
                            assume_managed_since=assume_since, progress=advance)
    for warning in report.warnings:
        click.echo(f"skillgit: warning: {warning}", err=True)
    if fmt == "json":
        click.echo(json.dumps(report.to_json(), indent=2))
    elif fmt == "github":
        for line in annotate.github_lines(report):
            click.echo(line)
        written = annotate.write_summary(report)
        if written is not None:
            _report_summary(ws, report, written)
    else:
        for violation in report.violations:
            click.echo(violation.render())
        click.echo(annotate.verdict(report))
    return EXIT_OK if report.ok else EXIT_CHECK_FAILED


def _report_summary(ws: Workspace, report: Report, target: Path) -> None:
    """The events of the checked range, with their triggers, gate figures and diff stats, after the verdict
    in $GITHUB_STEP_SUMMARY; a problem reading them is a warning, never a different verify result."""
    from skillgit.errors import SkillgitError
    from skillgit.report.markdown import step_summary

    try:
        text = step_summary(ws, report.range.base, report.to_json())
    except SkillgitError as exc:
        click.echo(f"skillgit: warning: the report part of the step summary was left out: {exc}", err=True)
        return
    with target.open("a", encoding="utf-8") as handle:
        handle.write("\n" + text)


@click.group()
def hooks() -> None:
    """Install or remove skillgit's git hooks (pre-commit, prepare-commit-msg and commit-msg).

    \b
    Example:
      skillgit hooks install      # existing hooks are kept and run first
      skillgit hooks uninstall    # puts kept hooks back
    """


@hooks.command("install")
@repo_option
@click.pass_context
def hooks_install(ctx: click.Context, directory: Path | None) -> int:
    """Write the pre-commit, prepare-commit-msg and commit-msg shims where git looks for hooks (honours core.hooksPath).

    An existing hook that is not skillgit's is renamed <name>.local and runs first; next to the
    pre-commit framework's hook the shim is written as <name>.legacy, which pre-commit runs first (in
    either order of installing them). husky 9's generated .husky/_ folder: its hooks (.husky/NAME)
    still run first, and install says that husky rewrites the folder. In a hooks folder inside
    the work tree the shims name no interpreter path; a hook file git tracks is never rewritten
    (install says which line to add to it). Idempotent.

    \b
    Example:
      skillgit hooks install
    """
    from skillgit.policy.install import install

    done, notes = install(where(ctx, directory))
    for hook in done:
        note = {"chained": f" (kept the old hook as {hook.name}.local; it runs first)",
                "beside-pre-commit": " (the pre-commit framework's hook runs it first)"}.get(hook.action, "")
        click.echo(f"{hook.action} {hook.path}{note}")
    for note in notes:
        click.echo(f"skillgit: note: {note}", err=True)
    return EXIT_OK


@hooks.command("uninstall")
@repo_option
@click.pass_context
def hooks_uninstall(ctx: click.Context, directory: Path | None) -> int:
    """Remove skillgit's shims and restore any hook they had kept as <name>.local.

    \b
    Example:
      skillgit hooks uninstall
    """
    from skillgit.policy.install import uninstall

    for hook in uninstall(where(ctx, directory)):
        click.echo(f"{hook.action} {hook.path}")
    return EXIT_OK


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("name", type=click.Choice(["pre-commit", "prepare-commit-msg", "commit-msg"]))
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@repo_option
@click.pass_context
def hook(ctx: click.Context, name: str, args: tuple[str, ...], directory: Path | None) -> int:
    """Run one git hook's checks (what the installed shims and the pre-commit framework call).

    pre-commit checks the staged tree; commit-msg (given the message file) adds `manual`, `rename`
    or `rollback` trailers where they belong, then checks the whole commit; prepare-commit-msg does
    that for a `git revert` (`--no-edit` runs no other hook) and drops the quoted trailers of a
    squash. Exit 1 refuses the commit.

    \b
    Examples:
      skillgit hook pre-commit
      skillgit hook commit-msg .git/COMMIT_EDITMSG
    """
    from skillgit.policy import hooks as run

    base = where(ctx, directory)
    if name != "pre-commit" and not args:
        raise click.UsageError(f"{name} needs the message file: skillgit hook {name} .git/COMMIT_EDITMSG")
    if name == "commit-msg":
        result = run.run_commit_msg(args[0], base)
    elif name == "prepare-commit-msg":
        result = run.run_prepare_commit_msg(args[0], args[1] if len(args) > 1 else None, base)
    else:
        result = run.run_pre_commit(base)
    for line in result.lines:
        click.echo(line, err=True)
    sys.stderr.flush()
    return result.code


COMMANDS = [verify, hooks, hook]
