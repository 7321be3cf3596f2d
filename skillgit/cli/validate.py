"""`skillgit validate [PATH…]`: check SKILL.md frontmatter against the schema and the naming rules."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import click

from skillgit.cli import json_option, repo_option, where


@click.command()
@click.argument("paths", nargs=-1, metavar="[PATH]...", type=click.Path(path_type=Path))
@json_option
@repo_option
@click.pass_context
def validate(ctx: click.Context, paths: tuple[Path, ...], as_json: bool, directory: Path | None) -> int:
    """Check SKILL.md files: frontmatter schema, name equals directory, unknown fields.

    PATH is a SKILL.md, a skill directory, or a directory searched for skills; the default is the
    repository's skills directory (`paths.skills` in skillgit.yaml). Inside a repository,
    `policy.unknown_fields` (warn|error|ignore) decides how unknown keys are reported.

    Exit status: 0 no errors (warnings allowed), 1 errors found, 2 a file could not be read or
    parsed, or a PATH does not exist.

    \b
    Examples:
      skillgit validate
      skillgit validate skills/social
      skillgit validate --json path/to/skills
    """
    return run_validate(where(ctx, directory), paths, as_json=as_json)


def run_validate(directory: Path, paths: Sequence[Path], *, as_json: bool = False) -> int:
    """Validate `paths` (relative to `directory`) and print the report; returns the exit code."""
    from skillgit.config import Config
    from skillgit.errors import UsageError
    from skillgit.git import Repo
    from skillgit.model.validate import validate_report

    if not directory.is_dir():
        raise UsageError(f"{directory}: no such directory; pass -C an existing directory.")
    base = directory.resolve()
    try:
        root = Repo.discover(base).root
    except UsageError:
        if not paths:
            raise UsageError(
                f"{base}: not inside a git repository and no PATH given; pass the SKILL.md files or skill directories to check."
            ) from None
        root, config = base, Config.defaults()
    else:
        config = Config.load(root)
    report = validate_report([base / p for p in paths], root, config)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        for problem in report.problems:
            click.echo(str(problem))
        click.echo(report.summary())
    return report.exit_code


COMMANDS = [validate]
