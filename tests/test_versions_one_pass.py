"""Every skill's versions from one walk over the skill roots: the same timelines `versions NAME` gives,
and no `git log` per skill in the evidence commands (a real git, counted through a wrapper on PATH)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

from conftest import SAMPLES, git
from evidence_support import dated, dated_repo, refine, sg, skill_text, write_skill

from skillgit.history import all_versions, versions
from skillgit.workspace import Workspace

EXPECTED = "win_rate >= 0.5 within 5 sessions; else revert"


def busy_history(tmp_path: Path) -> Path:
    """Refines, a maintainer edit of an evals file, a retire and revive, a rollback, a plain git revert."""
    repo = dated_repo(tmp_path)
    day = iter(range(2, 28))

    def when() -> str:
        return f"2026-02-{next(day):02d}"

    for text in ("One.\n", "Two.\n"):
        refine(repo, "release", skill_text("release", body=text), when(), EXPECTED)
    (repo / "skills" / "social" / "evals").mkdir(parents=True, exist_ok=True)
    (repo / "skills" / "social" / "evals" / "notes.txt").write_text("a case to write\n")
    with dated(when()):
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "social: a note on evals")
        assert sg(repo, "retire", "family") == 0
    with dated(when()):
        assert sg(repo, "revive", "family") == 0
    with dated(when()):
        assert sg(repo, "rollback", "release", "--to", "v1") == 0
    refine(repo, "blindspot", skill_text("blindspot", body="Look again.\n"), when(), EXPECTED)
    with dated(when()):
        git(repo, "revert", "--no-edit", "HEAD")
    return repo


def test_one_walk_gives_every_skills_versions_as_versions_does(tmp_path: Path) -> None:
    ws = Workspace.open(busy_history(tmp_path))
    every = all_versions(ws)
    assert set(every) == {e.name for e in ws.skills()}
    for name, history in every.items():
        assert [v.to_json() for v in history] == [v.to_json() for v in versions(ws, name)], name
    assert [v.event for v in every["family"]][-2:] == ["retire", "revive"]
    assert [v.location for v in every["family"]][-2:] == ["attic", "active"]
    assert every["release"][-1].event == "rollback" and every["release"][-1].blob == every["release"][0].blob
    assert every["blindspot"][-1].rollback_of is not None


def test_timelines_kept_for_an_earlier_head_are_brought_forward_from_its_commits_alone(tmp_path: Path) -> None:
    from skillgit.history import versions_after

    repo = busy_history(tmp_path)
    ws = Workspace.open(repo)
    for back in (1, 3, 6):
        base = git(repo, "rev-parse", f"HEAD~{back}").strip()
        earlier = all_versions(ws, base)
        assert versions_after(ws, earlier, base) == all_versions(ws)
    with dated("2026-01-01T00:00:00"):  # committed before its parent: a walk could order it elsewhere
        (repo / "skills" / "social" / "extra.md").write_text("x\n")
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "social: an extra file, dated back")
    assert versions_after(ws, earlier, base) is None


def counting_git(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """An environment whose `git` is the real one, logging each command line first."""
    real = shutil.which("git")
    assert real is not None
    folder = tmp_path / "bin"
    folder.mkdir()
    log = tmp_path / "git.log"
    wrapper = folder / "git"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\nexec "{real}" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    return {**os.environ, "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}, log


def test_the_evidence_commands_read_history_once_whatever_the_number_of_skills(tmp_path: Path) -> None:
    repo = dated_repo(tmp_path)
    with dated("2026-01-03"):
        for i in range(40):
            write_skill(repo, f"extra-{i:02d}", skill_text(f"extra-{i:02d}", keywords=[f"word{i}"]))
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "Forty more skills")
    assert sg(repo, "ingest", str(SAMPLES / "traces" / "claude-stream-json.jsonl")) == 0
    env, log = counting_git(tmp_path)
    with dated("2026-01-04"):
        write_skill(repo, "extra-00", skill_text("extra-00", body="Changed.\n", keywords=["word0"]))
        git(repo, "commit", "-qam", "extra-00: changed")  # a new HEAD: the timelines are read again
    for command in (["metrics", "--json"], ["metrics", "--by-version", "--json"], ["status", "--json"],
                    ["expectations", "--json"], ["diagnose", "release", "--json"]):
        log.write_text("")
        result = subprocess.run([sys.executable, "-m", "skillgit", "-C", str(repo), *command], capture_output=True,
                                text=True, env=env)
        assert result.returncode == 0, result.stderr
        json.loads(result.stdout)
        logs = [line for line in log.read_text().splitlines() if line.startswith("log")]
        assert not [line for line in logs if "-- skills/" in line or "-- skills_attic/" in line], command  # none per skill
        assert len([line for line in logs if line.endswith("-- skills skills_attic")]) <= 1, (command, logs)
