"""`skillgit import-journal`: a report of the events in an existing yoyo `_journal.md`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from skillgit.cli import json_option, repo_option, where


@click.command("import-journal")
@click.argument("path", required=False, type=click.Path(path_type=Path, dir_okay=False))
@json_option
@repo_option
@click.pass_context
def import_journal(ctx: click.Context, path: Path | None, as_json: bool, directory: Path | None) -> None:
    """Read a yoyo-style journal (default: paths.journal, skills/_journal.md) and report its events.

    History is never rewritten: the report says what each stanza is as a skillgit event, whether
    its prediction is checkable, and what the rules would have flagged.

    \b
    Example:
      skillgit import-journal skills/_journal.md --json
    """
    from skillgit.config import Config
    from skillgit.journal_import import read_journal

    base = where(ctx, directory)
    if path is None:
        path = base / Config.load(base).paths.journal
    elif not path.is_absolute():
        path = base / path
    entries = read_journal(path)
    if as_json:
        click.echo(json.dumps([e.to_json() for e in entries], indent=2))
        return
    checkable = sum(1 for e in entries if e.expected_status == "checkable")
    predicted = sum(1 for e in entries if e.expected_status != "absent")
    click.echo(f"{path}: {len(entries)} events; {checkable} of {predicted} predictions checkable")
    for e in entries:
        click.echo(f"  {e.id}  {e.ts or '-':<22} {e.event or '?' + e.type:<16} {e.skill or '-'}")
        for problem in e.problems:
            click.echo(f"      ! {problem}")


COMMANDS = [import_journal]
