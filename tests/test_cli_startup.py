"""What a command imports: only its own command module, and no heavy library it does not need."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import click
from conftest import git

from skillgit import cli as cli_package
from skillgit.cli import COMMANDS, cli

PROBE = """
import json, sys
from skillgit.cli import run
code = run(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(m for m in sys.modules if m.split(".")[0] in
                  ("skillgit", "pygit2", "jsonschema", "ruamel", "sqlite3", "click"))}))
"""


def imported(repo: Path, *args: str) -> tuple[int, list[str]]:
    """(exit code, modules loaded) of `skillgit ARGS` run in a fresh process in `repo`."""
    result = subprocess.run([sys.executable, "-c", PROBE, "-C", str(repo), *args], capture_output=True, text=True,
                            check=True)
    found = json.loads(result.stdout.strip().splitlines()[-1])
    return found["code"], found["modules"]


def test_the_command_table_names_every_command_of_every_module() -> None:
    listed = {}
    for info in pkgutil.iter_modules(cli_package.__path__):
        module = importlib.import_module(f"skillgit.cli.{info.name}")
        for command in getattr(module, "COMMANDS", ()):
            attribute = next(k for k, v in vars(module).items() if v is command)
            listed[command.name] = (info.name, attribute)
    assert COMMANDS == listed
    ctx = click.Context(cli, info_name="skillgit")
    assert cli.list_commands(ctx) == sorted(listed)
    assert all(cli.get_command(ctx, name) is not None for name in listed)
    assert cli.get_command(ctx, "no-such-command") is None


def test_a_command_imports_only_its_own_module(tmp_path: Path) -> None:
    code, modules = imported(tmp_path, "status", "--help")
    assert code == 0
    assert [m for m in modules if m.startswith("skillgit.cli.")] == ["skillgit.cli.reading"]
    code, modules = imported(tmp_path, "--version")
    assert code == 0
    assert not [m for m in modules if m.startswith("skillgit.cli.")]


def test_an_unknown_command_is_a_usage_error_naming_it(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "skillgit", "-C", str(tmp_path), "stauts"], capture_output=True,
                            text=True)
    assert result.returncode == 2 and "stauts" in result.stderr


def test_verify_of_a_small_range_loads_no_pygit2_jsonschema_or_yaml_library(managed_repo: Path) -> None:
    (managed_repo / "notes.txt").write_text("a note\n")
    git(managed_repo, "add", "notes.txt")
    git(managed_repo, "commit", "-q", "-m", "Add a note")
    code, modules = imported(managed_repo, "verify", "HEAD~1..HEAD")
    assert code == 0
    heavy = [m for m in modules if m.split(".")[0] in ("pygit2", "jsonschema", "ruamel")]
    assert heavy == [], heavy
