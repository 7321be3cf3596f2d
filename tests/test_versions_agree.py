"""A skill's versions are one history, whoever reads it: `status` (every skill from one walk over the roots)
and `versions NAME` (one skill's folders) count the same distinct contents, following renames, through
histories with branches and merges, folders removed and brought back, and names given and taken back.
Real repositories, real `git` (merges, `git mv`), the real `skillgit` entry point."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

from conftest import git
from layoutkit import UPSTREAM, append, commit, skill_text, skillgit

from skillgit.history import all_versions, versions
from skillgit.workspace import Workspace


def clock() -> Iterator[dict[str, str]]:
    """Commit dates a minute apart (a walk orders commits by date; equal dates would leave it to chance)."""
    n = 0
    while True:
        n += 1
        when = f"2026-03-01T10:{n // 60:02d}:{n % 60:02d}+00:00"
        yield {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}


def upstream(repo: Path, tick: Iterator[dict[str, str]], message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", message, env={**UPSTREAM, **next(tick)})


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"{result.args}\n{result.stdout}\n{result.stderr}"
    return result


def write(repo: Path, folder: str, name: str, body: str = "") -> None:
    (repo / folder).mkdir(parents=True, exist_ok=True)
    (repo / folder / "SKILL.md").write_text(skill_text(name, body=body))


def merge(repo: Path, tick: Iterator[dict[str, str]], branch: str) -> None:
    git(repo, "merge", "-q", "--no-ff", "--no-edit", branch, env={**UPSTREAM, **next(tick)})


def counted_alike(repo: Path) -> dict[str, list[dict[str, object]]]:
    """Every skill's `versions --json`, checked against the VERSION column of `status --json` and against
    the one walk over the roots; returns the histories by name."""
    status = json.loads(ok(skillgit(repo, "status", "--json")).stdout)
    ws = Workspace.open(repo)
    every = all_versions(ws)
    out = {}
    for row in status["skills"]:
        history = json.loads(ok(skillgit(repo, "versions", row["name"], "--json")).stdout)
        numbered = [v for v in history if v["version"] != "-"]
        assert row["version"] == numbered[-1]["version"] == f"v{len(numbered)}", (row, numbered)
        assert [v.to_json() for v in every[row["name"]]] == [v.to_json() for v in versions(ws, row["name"])]
        out[row["name"]] = history
    return out


def test_a_skill_removed_in_a_merged_branch_and_restored_elsewhere_counts_alike(empty_repo: Path) -> None:
    """The shape of a real history: a skill in a category folder, removed on a branch that is merged, then
    restored a week later at the root (a new folder): its history starts again there, for both."""
    repo, tick = empty_repo, clock()
    write(repo, "skills/collaboration/brainstorm", "brainstorm")
    write(repo, "skills/collaboration/review", "review")
    upstream(repo, tick, "Import skills")
    for i in range(3):
        append(repo / "skills/collaboration/brainstorm/SKILL.md", f"- step {i}\n")
        upstream(repo, tick, f"brainstorm: step {i}")
    git(repo, "checkout", "-q", "-b", "separate")
    git(repo, "rm", "-rq", "skills")
    (repo / "README.md").write_text("Skills now live elsewhere.\n")
    upstream(repo, tick, "Remove bundled skills")
    git(repo, "checkout", "-q", "main")
    (repo / "CHANGES.md").write_text("Notes.\n")
    upstream(repo, tick, "Start the notes")
    merge(repo, tick, "separate")
    write(repo, "skills/brainstorm", "brainstorm", "Restored.\n")
    write(repo, "skills/review", "review", "Restored.\n")
    upstream(repo, tick, "Restore the skills")
    for i in range(2):
        append(repo / "skills/brainstorm/SKILL.md", f"- again {i}\n")
        upstream(repo, tick, f"brainstorm: again {i}")
    ok(skillgit(repo, "init"))

    histories = counted_alike(repo)
    assert len([v for v in histories["brainstorm"] if v["version"] != "-"]) == 3
    assert all(v["location"] == "active" for v in histories["brainstorm"])


def test_a_skill_removed_and_restored_on_a_merged_branch_counts_alike(empty_repo: Path) -> None:
    """A branch removes a skill and brings it back unchanged, and changes another; main goes on; the merge
    is then not the same as either parent for the roots, only for the skill's folder: git's default
    simplification would list the branch's commits for one reading and hide them from the other."""
    repo, tick = empty_repo, clock()
    for name in ("alpha", "beta", "gamma"):
        write(repo, f"skills/{name}", name)
    upstream(repo, tick, "Import skills")
    ok(skillgit(repo, "init", env=next(tick)))
    git(repo, "checkout", "-q", "-b", "cleanup")
    git(repo, "rm", "-rq", "skills/alpha")
    upstream(repo, tick, "Drop alpha")
    write(repo, "skills/alpha", "alpha")
    upstream(repo, tick, "Bring alpha back")
    append(repo / "skills/beta/SKILL.md", "- tidy\n")
    upstream(repo, tick, "beta: tidy")
    git(repo, "checkout", "-q", "main")
    append(repo / "skills/gamma/SKILL.md", "- more\n")
    upstream(repo, tick, "gamma: more")
    merge(repo, tick, "cleanup")
    append(repo / "skills/alpha/SKILL.md", "- after the merge\n")
    upstream(repo, tick, "alpha: after the merge")

    alpha = counted_alike(repo)["alpha"]
    assert [v["location"] for v in alpha] == ["active", "gone", "active", "active"]
    assert alpha[2]["same_as"] == "v1"  # brought back as it was


def test_a_skill_renamed_and_renamed_back_has_one_clean_history(empty_repo: Path) -> None:
    """alpha → beta → alpha, before adoption with `git mv` and after it with `skillgit mv`, with edits under
    each name: one history, every name in it, never `gone`."""
    repo, tick = empty_repo, clock()
    write(repo, "skills/alpha", "alpha")
    (repo / "skills/alpha/run.sh").write_text("echo alpha\n")
    write(repo, "skills/other", "other")
    upstream(repo, tick, "Import skills")

    def rename(old: str, new: str) -> None:
        git(repo, "mv", f"skills/{old}", f"skills/{new}")
        path = repo / f"skills/{new}/SKILL.md"
        path.write_text(path.read_text().replace(f"name: {old}", f"name: {new}", 1))

    rename("alpha", "beta")
    upstream(repo, tick, "Rename alpha to beta")
    append(repo / "skills/beta/SKILL.md", "- as beta\n")
    upstream(repo, tick, "beta: a step")
    rename("beta", "alpha")
    upstream(repo, tick, "Call it alpha again")
    ok(skillgit(repo, "init", env=next(tick)))
    ok(skillgit(repo, "hooks", "install"))
    ok(skillgit(repo, "mv", "alpha", "beta", env=next(tick)))
    append(repo / "skills/beta/SKILL.md", "- as beta again\n")
    git(repo, "add", "-A")
    ok(commit(repo, "beta: another step\n", env=next(tick)))
    ok(skillgit(repo, "mv", "beta", "alpha", env=next(tick)))
    append(repo / "skills/alpha/SKILL.md", "- as alpha\n")
    git(repo, "add", "-A")
    ok(commit(repo, "alpha: a last step\n", env=next(tick)))

    alpha = counted_alike(repo)["alpha"]
    assert [v["name"] for v in alpha] == ["alpha", "beta", "beta", "alpha", "beta", "beta", "alpha", "alpha"]
    assert [v["event"] for v in alpha][-4:] == ["rename", "manual", "rename", "manual"]
    assert all(v["location"] == "active" for v in alpha)
    assert [v["version"] for v in alpha] == [f"v{i}" for i in range(1, 9)]
    text = ok(skillgit(repo, "versions", "alpha")).stdout
    assert "gone" not in text and "8 versions" in text
    all_commits = json.loads(ok(skillgit(repo, "versions", "alpha", "--all-commits", "--json")).stdout)
    assert len(all_commits) == len(alpha)  # each commit of the history changed the SKILL.md
    assert os.path.exists(repo / "skills/alpha/run.sh")


def test_a_removed_skill_of_a_plugin_keeps_its_history_for_both(empty_repo: Path) -> None:
    """A skill removed from `plugins/<plugin>/skills/`: `versions NAME` still finds it where it last was,
    and the one walk (what traces are attributed with) gives the same history."""
    repo, tick = empty_repo, clock()
    for plugin, name in (("docs", "alpha"), ("ops", "omega")):
        write(repo, f"plugins/{plugin}/skills/{name}", name)
    upstream(repo, tick, "Import the plugins")
    ok(skillgit(repo, "init", env=next(tick)))
    append(repo / "plugins/ops/skills/omega/SKILL.md", "- once more\n")
    upstream(repo, tick, "omega: once more")
    git(repo, "rm", "-rq", "plugins/ops/skills/omega")
    upstream(repo, tick, "Drop omega")

    omega = json.loads(ok(skillgit(repo, "versions", "omega", "--json")).stdout)
    assert [v["location"] for v in omega] == ["active", "active", "gone"]
    ws = Workspace.open(repo)
    assert [v.to_json() for v in all_versions(ws)["omega"]] == [v.to_json() for v in versions(ws, "omega")]
