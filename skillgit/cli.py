"""The command-line switchboard: parse arguments, call one library function, map errors to exit codes.

Every command here is a thin wrapper: the work happens in `skillgit.commands.<verb>` (or a library
module) which takes typed arguments and returns an exit code. Heavy imports stay inside the
commands so `skillgit hook …` starts fast.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from skillgit import __version__
from skillgit.errors import EXIT_INTERNAL, EXIT_USAGE, SkillgitError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_CODES_HELP = """\b
Exit codes: 0 ok · 1 check failed / violations · 2 usage or config error ·
3 holdout seal mismatch · 4 repository state (dirty, locked, HEAD moved) · 70 internal error."""


def repo_option(func: F) -> F:
    """`-C DIR` on a command (as on the group): run as if started in DIR."""
    return click.option(
        "-C",
        "directory",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Run as if skillgit was started in DIR.",
    )(func)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")(func)


def where(ctx: click.Context, directory: Path | None) -> Path:
    """The directory a command works in: its own -C, else the group's -C, else the cwd."""
    if directory is not None:
        return directory
    root = ctx.find_root()
    return root.params.get("directory") or Path.cwd()


class SkillgitGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.commands)


@click.group(cls=SkillgitGroup, epilog=EXIT_CODES_HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-C", "directory", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Run as if skillgit was started in DIR.",
)
@click.version_option(__version__, prog_name="skillgit")
def cli(directory: Path | None) -> None:
    """Governed self-improvement of agent skills, with git history as the journal.

    \b
    Every skill mutation is one commit carrying `Skill-*` trailers;
    versions and rollback are git history; hooks and `verify` enforce
    one rule set; traces and evals decide whether a change may land.

    \b
    Start with:  skillgit init   ·   skillgit demo   ·   skillgit status
    """


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the CLI and turn every failure into a message and an exit code."""
    sys.exit(run(argv))


def run(argv: list[str] | None = None) -> int:
    try:
        result = cli.main(args=argv, prog_name="skillgit", standalone_mode=False)
    except SkillgitError as exc:
        _error(str(exc))
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE if exc.exit_code == 2 else exc.exit_code
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: short report, exit 70
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        _error(
            f"internal error: {type(exc).__name__}: {exc}\n"
            f"  at {Path(frame.filename).name}:{frame.lineno} in {frame.name}\n"
            "  This is a bug in skillgit; please report it with the command you ran."
        )
        return EXIT_INTERNAL
    return int(result or 0)


def _error(message: str) -> None:
    click.echo(f"skillgit: {message}", err=True)


def _register() -> None:
    """Attach the commands of every `skillgit.commands.<module>` (each exports a COMMANDS list)."""
    import importlib
    import pkgutil

    from skillgit import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"skillgit.commands.{info.name}")
        for command in getattr(module, "COMMANDS", ()):
            cli.add_command(command)


_register()
