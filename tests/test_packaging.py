"""What the wheel ships: every data file the package reads is declared package data, and the demo reads
its fixtures from inside the package (`.ci/run` builds the wheel and runs `skillgit demo` from it)."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "skillgit"


def tracked_data_files() -> set[str]:
    out = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--", "skillgit"], capture_output=True, text=True, check=True).stdout
    return {p.removeprefix("skillgit/") for p in out.split("\0") if p and not p.endswith(".py")}


def declared_data_files() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["skillgit"]
    return {path.relative_to(PACKAGE).as_posix() for pattern in patterns for path in PACKAGE.glob(pattern) if path.is_file()}


def test_every_data_file_in_the_package_is_declared_package_data() -> None:
    missing = tracked_data_files() - declared_data_files()
    assert not missing, f"not in [tool.setuptools.package-data] of pyproject.toml, so not in the wheel: {sorted(missing)}"


def test_the_package_is_marked_typed() -> None:
    assert "py.typed" in tracked_data_files()


def test_the_demo_reads_its_fixtures_from_inside_the_package() -> None:
    from skillgit import demo

    assert demo.fixtures_dir().is_relative_to(Path(demo.__file__).parent)
    assert (demo.fixtures_dir() / "repo" / "skillgit.yaml").is_file()
    assert sorted(p.name for p in (demo.fixtures_dir() / "traces").glob("*.jsonl"))
