"""A test that needs something missing skips where it is missing, saying what, and fails in CI (env CI set);
only a test that cannot mean anything on the platform (`not_applicable`) may skip in CI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

SAMPLE = '''
import pytest
from conftest import needs, not_applicable, require


@needs(False, "a tool that is not installed (apt-get install the-tool)")
def test_marked() -> None:
    pass


def test_required() -> None:
    require(None, "the shared corpus (../shared/corpus)")


@not_applicable(True, "root can read anything")
def test_as_root() -> None:
    pass


def test_plain_skip() -> None:
    pytest.skip("for no stated reason")


@needs(True, "python")
def test_present() -> None:
    pass
'''


def run(tmp_path: Path, ci: str | None) -> str:
    (tmp_path / "test_sample.py").write_text(SAMPLE, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "CI"} | ({"CI": ci} if ci is not None else {})
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "tests"), env.get("PYTHONPATH", "")])
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-rA", "-o", "addopts=", "--rootdir", str(tmp_path),
         str(tmp_path / "test_sample.py")], capture_output=True, text=True, env=env, cwd=tmp_path,
    )
    return result.stdout


def test_outside_ci_a_missing_need_skips_and_says_what_is_missing(tmp_path: Path) -> None:
    out = run(tmp_path, None)
    assert "1 passed, 4 skipped" in out
    assert "this test needs a tool that is not installed (apt-get install the-tool), which is missing here" in out
    assert "this test needs the shared corpus (../shared/corpus), which is missing here" in out


def test_in_ci_a_missing_need_or_a_plain_skip_fails(tmp_path: Path) -> None:
    out = run(tmp_path, "true")
    assert "2 failed, 1 passed, 1 skipped, 1 error" in out  # a missing need fails the setup: an error
    assert ("this test needs a tool that is not installed (apt-get install the-tool), which is missing here; "
            "with CI set every test must run: provide it (.ci/run installs the system tools).") in out
    assert "this test needs the shared corpus (../shared/corpus), which is missing here; with CI set every test must run" in out
    assert "test_plain_skip: skipped in CI (env CI is set), where every test must run: Skipped: for no stated reason" in out
    assert re.search(r"SKIPPED \[1\] test_sample.py:\d+: not applicable here: root can read anything", out)


def test_ci_false_is_not_ci(tmp_path: Path) -> None:
    assert "1 passed, 4 skipped" in run(tmp_path, "false")
