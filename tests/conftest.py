"""Shared test fixtures: real git repositories in temporary directories, isolated from the machine."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
FIXTURES = ROOT / "skillgit" / "demo" / "data"
SAMPLES = Path(__file__).resolve().parent / "samples"

IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
"""CI (`.ci/run` sets CI) provides everything the tests need, so there a test never skips: it fails."""
CORPUS_FIX = "the shared corpus (../shared/corpus beside the checkout; CI has it)"
NOT_APPLICABLE = "not applicable here: "
"""The one kind of skip allowed in CI: the test cannot mean anything on this platform (e.g. as root)."""

MAINTAINER = ("Maintainer", "maintainer@example.com")
AGENT = ("yoyo-bot", "yoyo-bot@example.com")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_AUTHOR_NAME", MAINTAINER[0])
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", MAINTAINER[1])
    monkeypatch.setenv("GIT_COMMITTER_NAME", MAINTAINER[0])
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", MAINTAINER[1])
    monkeypatch.delenv("GIT_DIR", raising=False)
    monkeypatch.delenv("GIT_WORK_TREE", raising=False)
    monkeypatch.delenv("GIT_INDEX_FILE", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


def needs(available: object, what: str) -> pytest.MarkDecorator:
    """Mark a test (or module) that needs `what` (the shared corpus, a system tool). Where it is missing the
    test skips saying so, and in CI (env CI set) it fails: CI must run every test."""
    return pytest.mark.needs(what=what, available=bool(available))


def not_applicable(condition: bool, why: str) -> pytest.MarkDecorator:
    """Skip (in CI too) a test that cannot mean anything here, e.g. a permission test run as root."""
    return pytest.mark.skipif(condition, reason=NOT_APPLICABLE + why)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs(what, available): the test needs `what`; it skips without it, and fails in CI")


def require(available: object, what: str) -> None:
    """In a test or fixture: skip, saying so, when `what` is missing; fail instead in CI (env CI set)."""
    if available:
        return
    message = f"this test needs {what}, which is missing here"
    if IN_CI:
        pytest.fail(message + "; with CI set every test must run: provide it (.ci/run installs the system tools).", pytrace=False)
    pytest.skip(message)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    for mark in item.iter_markers("needs"):
        require(mark.kwargs["available"], mark.kwargs["what"])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """In CI a skip is a failure, unless the test is not applicable on this platform (`not_applicable`)."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if NOT_APPLICABLE not in reason:
            report.outcome = "failed"
            report.longrepr = f"{item.nodeid}: skipped in CI (env CI is set), where every test must run: {reason}"


def git(repo: Path, *args: str, input: str | None = None, env: dict[str, str] | None = None, check: bool = True) -> str:
    """Run the real git CLI in `repo` and return stdout."""
    result = subprocess.run(
        ["git", "-C", str(repo), *args],
        input=input,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result.stdout


def load_code_stats() -> ModuleType:
    """scripts/code_stats.py as a module (the package's typing, import-cycle and length figures)."""
    spec = importlib.util.spec_from_file_location("code_stats", ROOT / "scripts" / "code_stats.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def as_agent() -> dict[str, str]:
    """Environment that makes git author a commit as the agent."""
    return {
        "GIT_AUTHOR_NAME": AGENT[0],
        "GIT_AUTHOR_EMAIL": AGENT[1],
        "GIT_COMMITTER_NAME": AGENT[0],
        "GIT_COMMITTER_EMAIL": AGENT[1],
    }


@pytest.fixture
def empty_repo(tmp_path: Path) -> Path:
    """A new git repository with no commits, branch `main`."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    return repo


@pytest.fixture
def fixture_repo(empty_repo: Path) -> Path:
    """The bundled demo skills repo (skillgit/demo/data/repo), committed once as a maintainer (not yet `skillgit init`ed)."""
    shutil.copytree(FIXTURES / "repo", empty_repo, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    git(empty_repo, "add", "-A")
    git(empty_repo, "commit", "-q", "-m", "Import skills")
    return empty_repo


@pytest.fixture
def repo(empty_repo: Path) -> Path:
    """The fixture skills repo, `skillgit init`-ed, with the hooks installed (`hookkit.make_managed`); a test
    module that means another repository defines its own `repo`."""
    from hookkit import make_managed

    return make_managed(empty_repo)


@pytest.fixture
def agent(repo: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Runs shell scripts in `repo` as the agent, from outside it (`attackkit.Attacker`)."""
    from attackkit import Attacker

    return Attacker(repo, tmp_path / "scripts")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The cycle's clock (`cycle_util.Clock`): a fixed start that a test moves on."""
    from cycle_util import Clock

    return Clock(monkeypatch)


def snapshot(repo: Path) -> tuple[str, str, str]:
    """HEAD, index and work tree state, to show a command changed nothing."""
    head = git(repo, "rev-parse", "-q", "--verify", "HEAD", check=False).strip()
    index = git(repo, "ls-files", "-s")
    status = git(repo, "status", "--porcelain=v1", "-uall", "--ignored")
    tree_bytes = []
    for path in sorted(p for p in repo.rglob("*") if ".git" not in p.relative_to(repo).parts):
        if path.is_file() and not path.is_symlink():
            tree_bytes.append(f"{path.relative_to(repo)}:{path.read_bytes().hex()}")
    return head, index + status, "\n".join(tree_bytes)


class Run:
    """The outcome of one `skillgit` invocation: exit code, stdout, stderr."""

    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def __repr__(self) -> str:
        return f"Run(code={self.code}, out={self.out!r}, err={self.err!r})"


@pytest.fixture
def sg(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Call the skillgit CLI in-process: `sg(repo, "refine", "x", ...)` → Run."""
    from skillgit.cli import run

    def call(repo: Path, *args: str) -> Run:
        capsys.readouterr()
        code = run(["-C", str(repo), *args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return call


def trailers_of(repo: Path, rev: str = "HEAD") -> list[tuple[str, str]]:
    """The trailers of a commit as git itself parses them."""
    message = git(repo, "log", "-1", "--format=%B", rev)
    out = subprocess.run(
        ["git", "interpret-trailers", "--parse", "--no-divider"], input=message, capture_output=True, text=True, check=True
    ).stdout
    return [(k, v.strip()) for k, _, v in (line.partition(":") for line in out.splitlines())]


@pytest.fixture
def managed_repo(fixture_repo: Path) -> Path:
    """The fixture repo after `skillgit init`."""
    from skillgit.cli import run

    assert run(["-C", str(fixture_repo), "init"]) == 0
    return fixture_repo


@pytest.fixture
def bwrap() -> str:
    """The bubblewrap binary; the test fails (never skips) with the fix when it cannot sandbox here."""
    from skillgit.sandbox import bwrap_problem

    path = shutil.which("bwrap")
    problem = bwrap_problem(path)
    if problem or path is None:
        pytest.fail(f"this test needs bubblewrap: {problem}. Install it (`apt-get install bubblewrap`; .ci/run does).")
    return path


@pytest.fixture
def channel():  # type: ignore[no-untyped-def]
    """A report channel for scripts running in a sandbox (tests/channel.py)."""
    from channel import Channel

    ch = Channel()
    yield ch
    ch.close()
