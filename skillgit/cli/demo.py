"""`skillgit demo`: the whole loop on bundled fixtures."""

from __future__ import annotations

from pathlib import Path

import click

from skillgit.errors import EXIT_OK


@click.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
def demo(directory: Path | None) -> int:
    """Build a skills repository from the bundled fixtures in DIRECTORY (default: a new temp dir)
    and walk through the loop, printing what happened. The repository is left to inspect.

    \b
    Example:
      skillgit demo /tmp/skillgit-demo && git -C /tmp/skillgit-demo log --oneline
    """
    from skillgit.demo import run

    run(directory, click.echo)
    return EXIT_OK


COMMANDS = [demo]
