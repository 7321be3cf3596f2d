"""`skillgit import-journal`: a report of the events in an existing yoyo `_journal.md`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from skillgit.cli import json_option, repo_option, where
from skillgit.errors import EXIT_OK

if TYPE_CHECKING:
    from skillgit.config import Config


@click.command("import-journal")
@click.argument("path", required=False, type=click.Path(path_type=Path, dir_okay=False))
@json_option
@repo_option
@click.pass_context
def import_journal(ctx: click.Context, path: Path | None, as_json: bool, directory: Path | None) -> int:
    """Read a yoyo-style journal (default: paths.journal, skills/_journal.md; else the one `_journal.md`
    under the skill roots) and report its events.

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
        config = Config.load(base)
        path = base / config.paths.journal
        if not path.exists():
            path = _found_journal(base, config, path)
    elif not path.is_absolute():
        path = base / path
    entries = read_journal(path)
    if as_json:
        click.echo(json.dumps([e.to_json() for e in entries], indent=2))
        return EXIT_OK
    checkable = sum(1 for e in entries if e.expected_status == "checkable")
    predicted = sum(1 for e in entries if e.expected_status != "absent")
    click.echo(f"{path}: {len(entries)} events; {checkable} of {predicted} predictions checkable")
    for e in entries:
        click.echo(f"  {e.id}  {e.ts or '-':<22} {e.event or '?' + e.type:<16} {e.skill or '-'}")
        for problem in e.problems:
            click.echo(f"      ! {problem}")
    return EXIT_OK


def _found_journal(base: Path, config: Config, configured: Path) -> Path:
    """The one `_journal.md` under the skill roots, when paths.journal names no file."""
    tops: list[str] = list(config.layout.active_scan_roots)
    found: list[Path] = sorted({p for top in tops for p in (base / top).rglob("_journal.md") if p.is_file()})
    if len(found) == 1:
        return found[0]
    from skillgit.errors import UsageError

    if found:
        shown = ", ".join(str(p.relative_to(base)) for p in found[:5])
        raise UsageError(f"{configured.relative_to(base)} does not exist and the skill roots hold several journals ({shown}); "
                         "pass the one to read: `skillgit import-journal PATH`.")
    return configured  # read_journal says it is missing, with the fix


COMMANDS = [import_journal]
