"""The code checks that CI runs with the tests: ruff over everything, mypy --strict over the package."""

from __future__ import annotations

import shutil
import subprocess
import sys

from conftest import ROOT, needs


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True)


@needs(shutil.which("ruff") or run("ruff", "--version").returncode == 0, "ruff (in the test extra: pip install -e '.[test]')")
def test_ruff_finds_nothing() -> None:
    result = run("ruff", "check", "skillgit", "tests", "bench", "scripts")
    assert result.returncode == 0, result.stdout + result.stderr


@needs(run("mypy", "--version").returncode == 0, "mypy (in the test extra: pip install -e '.[test]')")
def test_mypy_strict_finds_nothing() -> None:
    result = run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
