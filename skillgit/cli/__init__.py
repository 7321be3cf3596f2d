"""The command line: the top-level group, its command table, and the mapping of errors to exit codes.

The commands live beside this module, one module per area (`skillgit.cli.core`, `skillgit.cli.reading`,
…); each is a thin wrapper that parses arguments, calls the library, prints, and returns its exit
code (`skillgit.errors` says how a command gives one). Only the module of the command being run is
imported, so `skillgit hook …` starts fast.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from skillgit.errors import EXIT_INTERNAL, EXIT_USAGE, SkillgitError
from skillgit.version import __version__

F = TypeVar("F", bound=Callable[..., object])

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


COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("core", "init"),
    "create": ("core", "create"),
    "refine": ("core", "refine"),
    "retire": ("core", "retire"),
    "revive": ("core", "revive"),
    "record": ("core", "record"),
    "mv": ("core", "mv"),
    "rollback": ("core", "rollback"),
    "cycle": ("cycle", "cycle_command"),
    "watch": ("cycle", "watch_command"),
    "demo": ("demo", "demo"),
    "eval": ("evals", "eval_group"),
    "holdout": ("evals", "holdout_group"),
    "promote": ("evals", "promote"),
    "ingest": ("evidence", "ingest_command"),
    "metrics": ("evidence", "metrics_command"),
    "diagnose": ("evidence", "diagnose_command"),
    "expectations": ("evidence", "expectations_command"),
    "verify": ("governance", "verify"),
    "hooks": ("governance", "hooks"),
    "hook": ("governance", "hook"),
    "import-journal": ("journal_import", "import_journal"),
    "journal": ("reading", "journal"),
    "versions": ("reading", "versions"),
    "show": ("reading", "show"),
    "status": ("reading", "status"),
    "report": ("report", "report"),
    "validate": ("validate", "validate"),
}
"""Each command: (module of `skillgit.cli`, name of the click command in it). Only the module of the
command being run is imported (each module's COMMANDS list names the same commands)."""


class SkillgitGroup(click.Group):
    """The top-level group: commands listed by name, each module imported when its command is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            import importlib

            module, attribute = COMMANDS[cmd_name]
            command = getattr(importlib.import_module(f"skillgit.cli.{module}"), attribute)
            assert isinstance(command, click.Command)
            self.add_command(command, cmd_name)
        return self.commands.get(cmd_name)


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
    code = run(argv)
    # the process ends here: the collection the interpreter makes on its way out would only go through
    # what the command kept (a long `verify` keeps ~100k objects), freeing nothing that the exit does not
    gc.freeze()
    sys.exit(code)


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
        import traceback  # only for a bug: not loaded by every command

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
