"""The code checks that CI runs with the tests: ruff over everything, mypy --strict over the package."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from conftest import ROOT


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True)


@pytest.mark.skipif(shutil.which("ruff") is None and run("ruff", "--version").returncode != 0, reason="ruff not installed")
def test_ruff_finds_nothing() -> None:
    result = run("ruff", "check", "skillgit", "tests", "bench", "scripts")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(run("mypy", "--version").returncode != 0, reason="mypy not installed")
def test_mypy_strict_finds_nothing() -> None:
    result = run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
