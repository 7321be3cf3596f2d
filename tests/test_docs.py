"""Meta-tests that keep conventions honest: every command has --help and is documented."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

import click
import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from gen_docs import walk  # noqa: E402

from skillgit.cli import cli  # noqa: E402

COMMAND_OBJECTS = {" ".join(path): command for path, command in walk(cli, [])}
COMMANDS = list(COMMAND_OBJECTS)


def examples(help_text: str, name: str) -> list[list[str]]:
    """The example lines of a help text (`Example:`/`Examples:` section) that run `skillgit NAME`, as argv."""
    section = re.search(r"^\s*Examples?:[ \t]*\n((?:[ \t]+\S.*\n?)+)", help_text, re.M)
    text = section.group(1).replace("\\\n", " ") if section else ""
    runs = []
    for line in text.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split, lexer.commenters = True, "#"
        argv: list[str] = []
        for word in [*lexer, "&&"]:
            if word.strip("&|;()") == "":  # a shell operator ends one command
                if argv[:1 + len(name.split())] == ["skillgit", *name.split()]:
                    runs.append(argv)
                argv = []
            else:
                argv.append(word)
    return runs


def test_an_example_is_a_command_line_under_an_examples_heading() -> None:
    assert examples("Usage: skillgit show [OPTIONS] NAME\n\n  Show a skill.\n", "show") == []
    text = "  Examples:\n    skillgit ingest a/ && skillgit show social --version v2  # the second\n    git log\n"
    assert examples(text, "show") == [["skillgit", "show", "social", "--version", "v2"]]


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_with_an_example(sg, tmp_path, name: str) -> None:
    result = sg(tmp_path, *name.split(), "--help")
    assert result.code == 0
    assert "Usage:" in result.out
    runs = examples(result.out, name)
    assert runs, f"`skillgit {name} --help` shows no example that runs `skillgit {name}`"
    for argv in runs:
        command, rest = COMMAND_OBJECTS[name], argv[1 + len(name.split()):]
        if isinstance(command, click.Group):
            assert rest and rest[0] in command.commands, f"example `{' '.join(argv)}` names no subcommand of {name}"
            command, rest = command.commands[rest[0]], rest[1:]
        known = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)} | {"--help"}
        for word in rest:
            flag = word.split("=", 1)[0]
            assert not flag.startswith("-") or flag in known, f"example `{' '.join(argv)}` uses {flag}, not an option of it"


def test_the_command_reference_is_up_to_date() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_docs.py"), "--check"])
    assert result.returncode == 0, "docs are stale: run `python scripts/gen_docs.py`"


@pytest.mark.parametrize("doc", ["commands.md", "trailers.md", "config.md"])
def test_core_docs_exist(doc: str) -> None:
    assert (ROOT / "docs" / doc).is_file()
