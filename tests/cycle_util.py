"""Helpers for the cycle tests: a fixture repository on a fixed clock, sessions as native JSONL, ingest."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, git

START = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
FAILING = "cargo test --workspace --lib"
WORKING = "cargo test --workspace --all-features"


class Clock:
    """Dates the commits that follow (GIT_AUTHOR_DATE/GIT_COMMITTER_DATE) and is the `--now` of commands."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, now: datetime = START) -> None:
        self.monkeypatch = monkeypatch
        self.set(now)

    def set(self, when: datetime) -> datetime:
        self.now = when
        for key in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"):
            self.monkeypatch.setenv(key, when.strftime("%Y-%m-%dT%H:%M:%SZ"))
        return when

    def tick(self, **delta: float) -> datetime:
        return self.set(self.now + timedelta(**delta))

    @property
    def iso(self) -> str:
        return self.now.strftime("%Y-%m-%dT%H:%M:%SZ")


def make_repo(path: Path, clock: Clock, config: str = "", *, init: bool = True) -> Path:
    """The bundled fixture repo at `path`, committed (and `skillgit init`ed) at the clock's time.

    `config` is appended to its skillgit.yaml (e.g. "policy:\\n  bootstrap_create_from: 1\\n").
    """
    from skillgit.cli import run

    shutil.copytree(FIXTURES / "repo", path)
    if config:
        with open(path / "skillgit.yaml", "a", encoding="utf-8") as f:
            f.write(config)
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "Import skills")
    if init:
        clock.tick(minutes=1)
        assert run(["-C", str(path), "init"]) == 0
    return path


def configure(repo: Path, **cycle: object) -> None:
    """Set `cycle.<key>: value` in skillgit.yaml and commit it as the maintainer (a plain commit)."""
    text = (repo / "skillgit.yaml").read_text(encoding="utf-8")
    for key, value in cycle.items():
        line = f"  {key}: {json.dumps(value)}"
        if re.search(rf"^  {key}:.*$", text, re.MULTILINE):
            text = re.sub(rf"^  {key}:.*$", line, text, count=1, flags=re.MULTILINE)
        else:
            text = text.replace("cycle:\n", f"cycle:\n{line}\n", 1)
    (repo / "skillgit.yaml").write_text(text, encoding="utf-8")
    git(repo, "commit", "-q", "-am", f"Configure {', '.join(cycle)}")


def call(command: str, ok: bool, when: datetime | None = None, error: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": "bash", "args": {"command": command}, "ok": ok}
    if when is not None:
        out["ts"] = when.isoformat()
    if error:
        out["error"] = error
    return out


def session(sid: str, when: datetime, *, skill: str | None = "release", success: bool = True, retry: bool = False,
            calls: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A release-like session; `retry` adds the feature-gated test retries the builtin proposer quotes."""
    if calls is None:
        calls = [call("cargo build --release", True, when)]
        if retry:
            calls += [call("cargo test --workspace", False, when, "requires the features: `serde`"),
                      call(FAILING, False, when, "requires the features: `serde`"), call(WORKING, True, when)]
        else:
            calls.append(call(WORKING, True, when))
        if success:
            calls.append(call("cargo publish", True, when))
    out: dict[str, Any] = {"kind": "session", "id": sid, "source": "skillgit", "started": when.isoformat(),
                           "outcome": "success" if success else "failure", "tool_calls": calls}
    if skill:
        out["skills"] = [{"name": skill, "how": "invoked"}]
    return out


def learning(when: datetime, key: str, *, skill: str | None = None, title: str = "Tests failed",
             takeaway: str = "Run the tests with `--all-features` first") -> dict[str, Any]:
    out: dict[str, Any] = {"kind": "learning", "ts": when.isoformat(), "title": title, "takeaway": takeaway,
                           "pattern_key": key}
    if skill:
        out["skill"] = skill
    return out


def feed(repo: Path, name: str, records: list[dict[str, Any]]) -> Path:
    """Write `records` as native JSONL under the repo's git dir (not the work tree) and ingest them."""
    from skillgit.config import Config
    from skillgit.evidence.ingest import ingest_paths
    from skillgit.git import Repo

    directory = repo / ".git" / "test-traces"
    directory.mkdir(exist_ok=True)
    path = directory / name
    header = json.dumps({"kind": "header", "format": "skillgit-sessions", "version": 1})
    path.write_text("\n".join([header] + [json.dumps(r) for r in records]) + "\n", encoding="utf-8")
    ingest_paths(Repo.discover(repo), Config.load(repo), [path])
    return path


def failing_release_batch(clock: Clock, prefix: str = "rel", n: int = 6) -> list[dict[str, Any]]:
    """`n` release sessions after the clock, most failing with retries, and two complaints."""
    records = []
    for i in range(n):
        when = clock.tick(hours=2)
        records.append(session(f"{prefix}-{i}", when, success=i % 3 == 2, retry=True))
    records += [learning(clock.tick(hours=1), "release.feature_tests", skill="release"),
                learning(clock.tick(hours=1), "release.feature_tests", skill="release")]
    return records


def good_batch(clock: Clock, prefix: str, n: int = 3, skill: str = "release") -> list[dict[str, Any]]:
    return [session(f"{prefix}-{i}", clock.tick(hours=2), skill=skill, success=True) for i in range(n)]


def events(repo: Path, rev: str = "HEAD") -> list[str]:
    """Skill-Event of every commit reachable from `rev`, newest first ('' for plain commits)."""
    out = git(repo, "log", "--format=%x1e%(trailers:key=Skill-Event,valueonly)", rev)
    return [chunk.strip() for chunk in out.split("\x1e")[1:]]


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()
