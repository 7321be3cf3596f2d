"""One exit-code convention: a command that ran returns its exit code; a command that cannot do its work
raises a SkillgitError, whose class carries the code; only the entry points call `sys.exit`."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from pathlib import Path

import click
from conftest import ROOT, as_agent
from hookkit import add_lines, commit, edit, refine_message, skillgit

from skillgit.cli import cli
from skillgit.errors import EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE

ENTRY_POINTS = {"skillgit/cli/__init__.py", "skillgit/policy/hookmain.py", "skillgit/agents.py"}
"""The modules whose `main` ends the process: the `skillgit` console script, the hook shims' fast path and the
built-in agents' executable."""


def leaf_commands(group: click.Group, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
    ctx = click.Context(group, info_name="skillgit")
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            yield from leaf_commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


def test_every_command_returns_its_exit_code() -> None:
    """mypy --strict then holds each to return an int on every path."""
    found = {name: inspect.unwrap(command.callback).__annotations__.get("return")  # type: ignore[arg-type]
             for name, command in leaf_commands(cli)}
    assert len(found) > 30
    assert {name: note for name, note in found.items() if note != "int"} == {}


def _exits(tree: ast.Module, entry_point: bool) -> Iterator[tuple[int, str]]:
    """(line, what) of each way out of the process other than returning (sys.exit, ctx.exit, SystemExit,
    click's Exit), but in an entry point's `main` and `if __name__ == "__main__":` block."""

    def visit(node: ast.AST, allowed: bool) -> Iterator[tuple[int, str]]:
        for child in ast.iter_child_nodes(node):
            inside = allowed
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inside = entry_point and child.name == "main"
            elif isinstance(child, ast.If) and "__main__" in ast.unparse(child.test):
                inside = entry_point
            if isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute) and child.func.attr == "exit" and not inside:
                yield child.lineno, ast.unparse(child.func)
            if isinstance(child, ast.Raise) and child.exc is not None and not inside:
                raised = ast.unparse(child.exc)
                if raised.startswith(("SystemExit", "click.exceptions.Exit", "Exit(")):
                    yield child.lineno, raised
            yield from visit(child, inside)

    yield from visit(tree, False)


def test_only_the_entry_points_end_the_process() -> None:
    found = []
    for path in sorted((ROOT / "skillgit").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith("skillgit/demo/data/"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [f"{relative}:{line} {what}" for line, what in _exits(tree, relative in ENTRY_POINTS)]
    assert found == []


def test_the_exit_code_a_command_returns_and_the_one_an_error_carries_reach_the_process(repo: Path) -> None:
    ran = skillgit(repo, "verify", "HEAD")
    assert ran.returncode == EXIT_OK
    edit(repo, "skills/family/SKILL.md", add_lines(1))
    assert commit(repo, refine_message(repo, "family"), env=as_agent(), no_verify=True).returncode == 0  # SG002
    ran = skillgit(repo, "verify", "HEAD")
    assert ran.returncode == EXIT_CHECK_FAILED
    assert "SG002" in ran.stdout
    ran = skillgit(repo, "show", "no-such-skill")
    assert ran.returncode == EXIT_USAGE
    assert ran.stderr.endswith("Error: skill `no-such-skill` has no SKILL.md at HEAD; see `skillgit versions no-such-skill`.\n")
    ran = skillgit(repo, "retire", "no-such-skill")
    assert ran.returncode == EXIT_USAGE
    assert ran.stderr == ("skillgit: no skill `no-such-skill` at HEAD (looked under skills/); active skills: blindspot, "
                          "explore-codebase, family, release, research, skill-evolve, social.\n")
