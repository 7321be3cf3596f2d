"""Meta-tests that keep conventions honest: every command has --help and is documented."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from gen_docs import walk  # noqa: E402

from skillgit.cli import cli  # noqa: E402

COMMANDS = [" ".join(path) for path, _ in walk(cli, [])]


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_with_an_example(sg, tmp_path, name: str) -> None:
    result = sg(tmp_path, *name.split(), "--help")
    assert result.code == 0
    assert "Usage:" in result.out


def test_the_command_reference_is_up_to_date() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_docs.py"), "--check"])
    assert result.returncode == 0, "docs are stale: run `python scripts/gen_docs.py`"


@pytest.mark.parametrize("doc", ["commands.md", "trailers.md", "config.md"])
def test_core_docs_exist(doc: str) -> None:
    assert (ROOT / "docs" / doc).is_file()
