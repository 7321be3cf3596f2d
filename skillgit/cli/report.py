"""`skillgit report`: the review surface, as one self-contained HTML page or as Markdown."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from skillgit.cli import repo_option, where
from skillgit.errors import EXIT_OK

DEFAULT_HTML = "report.html"


@click.command("report")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=f"Write to FILE ('-' for stdout). Default: {DEFAULT_HTML} for html, stdout otherwise.")
@click.option("--since", metavar="REV", help="Only the events, versions, decisions and predictions after REV (REV..HEAD).")
@click.option("--format", "fmt", type=click.Choice(["html", "markdown", "json"]), default="html", show_default=True,
              help="html: one self-contained page (charts need `skillgit[report]`); markdown: for a pull request; "
                   "json: the data both are drawn from.")
@click.option("--no-verify", "skip_verify", is_flag=True, help="Leave out the verify verdict (saves a walk over the range).")
@repo_option
@click.pass_context
def report(ctx: click.Context, output: Path | None, since: str | None, fmt: str, skip_verify: bool,
           directory: Path | None) -> int:
    """Show what changed in the skills, why, and whether it worked.

    Per skill: its versions on a time axis with win and failure rate, and the events that made
    them; the gate decisions with their figures and per-case counts; the predictions graded
    hit / miss / pending; the active / attic / candidate inventory; the verify verdict. The
    HTML page needs no network (plotly.js is inlined) and opens from disk.

    \b
    Examples:
      skillgit report -o report.html
      skillgit report --since origin/main --format markdown >> "$GITHUB_STEP_SUMMARY"
      skillgit report --format json | jq '.skills[].name'
    """
    from skillgit.errors import UsageError
    from skillgit.report import collect
    from skillgit.workspace import Workspace

    if fmt == "html":
        from skillgit.report.html import plotly_modules

        plotly_modules()  # before any work: say how to install what is missing
    target = output if output is not None else (Path(DEFAULT_HTML) if fmt == "html" else Path("-"))
    if str(target) != "-":
        target = target if target.is_absolute() else Path.cwd() / target
        _check_target(target, explicit=output is not None)
    ws = Workspace.open(where(ctx, directory))
    data = collect(ws, since, verify=not skip_verify, quiet=str(target) == "-" and fmt == "json", detail=fmt != "markdown")
    if fmt == "json":
        text = json.dumps(data, indent=2) + "\n"
    elif fmt == "markdown":
        from skillgit.report.markdown import diff_stats, render

        text = render(data, diff_stats(ws, [x["commit"] for x in data["events"]]))
    else:
        from skillgit.report.html import render as render_html

        text = render_html(data)
    if str(target) == "-":
        sys.stdout.write(text)
        return EXIT_OK
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UsageError(f"{target}: cannot write the report ({exc.strerror}); pass another path with -o.") from None
    size = target.stat().st_size
    click.echo(f"wrote {target} ({size / 1e6:.1f} MB)" if size > 1e6 else f"wrote {target} ({size} bytes)", err=True)
    return EXIT_OK


def _check_target(target: Path, *, explicit: bool) -> None:
    """The default file is only replaced when it is an earlier report; a named one is the user's choice."""
    from skillgit.errors import UsageError
    from skillgit.report.html import GENERATOR

    if target.is_dir():
        raise UsageError(f"{target}: is a directory; pass a file path with -o.")
    if not target.parent.is_dir():
        raise UsageError(f"{target.parent}: no such directory; create it or pass another path with -o.")
    if explicit or not target.exists():
        return
    with target.open("rb") as handle:
        head = handle.read(4096)
    if GENERATOR.encode() not in head:
        raise UsageError(f"{target} exists and is not a skillgit report; nothing was written. "
                         "Pass the file to write with -o (e.g. -o skills-report.html).")


COMMANDS = [report]
