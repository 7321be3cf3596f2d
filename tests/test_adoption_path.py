"""A maintainer's whole path on each layout, with real git habits, through the installed hooks.

init → validate → status → hooks install → edit + `git commit` → rename (`git mv` and `skillgit mv`) →
multi-skill commit → refine → rollback to v1 after 30 commits → `git revert` → squash-merged PR (local
`git merge --squash`, and a squash as GitHub writes it) → verify.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import git, trailers_of
from layoutkit import SHAPES, Shape, append, build, commit, github_squash, skill_text, skillgit

EXPECTED = "win_rate >= 0.6 within 5 sessions; else revert the change"


def blob(repo: Path, path: str) -> str:
    return git(repo, "hash-object", path).strip()


def head_blob(repo: Path, path: str) -> str:
    return git(repo, "rev-parse", f"HEAD:{path}").strip()


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"{result.args}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.mark.parametrize("shape", SHAPES, ids=[s.id for s in SHAPES])
def test_the_maintainer_path_on_each_layout(empty_repo: Path, shape: Shape) -> None:
    repo = build(empty_repo, shape)
    dirs = dict(shape.dirs)

    # adoption: the layout is found; nothing is wrong; status lists every skill
    init = ok(skillgit(repo, "init"))
    assert "skills found under" in init.stderr
    ok(skillgit(repo, "init"))  # idempotent
    ok(skillgit(repo, "validate"))
    status = ok(skillgit(repo, "status")).stdout
    assert status.splitlines()[1].split()[:3] == ["SKILL", "WHERE", "STATUS"]
    assert all(name in status for name in dirs)
    ok(skillgit(repo, "hooks", "install"))

    # an ordinary edit and `git commit`: the hook writes the manual trailers
    append(repo / dirs["beta"] / "scripts" / "run.sh", "echo done\n")
    git(repo, "add", "-A")
    ok(commit(repo, "beta: say when done\n"))
    assert dict(trailers_of(repo))["Skill-Event"] == "manual"

    # rename with plain `git mv` (and the `name:` that follows the folder), then with `skillgit mv`
    old_dir = dirs.pop("gamma")
    new_dir = old_dir.rpartition("/")[0] + "/gamma-two"
    git(repo, "mv", old_dir, new_dir)
    skill_md = repo / new_dir / "SKILL.md"
    skill_md.write_text(skill_md.read_text().replace("name: gamma", "name: gamma-two", 1))
    git(repo, "add", "-A")
    ok(commit(repo, "Rename gamma to gamma-two\n"))
    pairs = dict(trailers_of(repo))
    assert (pairs["Skill-Event"], pairs["Skill-Name"], pairs["Skill-Renamed-From"]) == ("rename", "gamma-two", "gamma")
    ok(skillgit(repo, "mv", "gamma-two", "gamma-three"))
    dirs["gamma-three"] = old_dir.rpartition("/")[0] + "/gamma-three"
    history = json.loads(ok(skillgit(repo, "versions", "gamma-three", "--json")).stdout)
    assert [v["name"] for v in history][:1] == ["gamma"] and history[-1]["name"] == "gamma-three"
    assert history[0]["adopted"] is False  # the import, from before skillgit

    # one maintainer commit across several skills: one manual event naming each
    for name in ("alpha", "beta"):
        append(repo / dirs[name] / "SKILL.md", "\nSee the README for the conventions.\n")
    git(repo, "add", "-A")
    ok(commit(repo, "Point every skill at the conventions\n"))
    names = [v for k, v in trailers_of(repo) if k == "Skill-Name"]
    assert names == ["alpha", "beta"]

    # a refine through the event command
    append(repo / dirs["alpha"] / "SKILL.md", "4. Report the result.\n")
    ok(skillgit(repo, "refine", "alpha", "--expected", EXPECTED, "-m", "alpha: report the result"))
    assert git(repo, "log", "-1", "--format=%s").strip() == "alpha: report the result"

    # 30 more commits, then back to v1 (the upstream import), with a preview first
    path = f"{dirs['alpha']}/SKILL.md"
    for i in range(30):
        before = head_blob(repo, path)
        append(repo / path, f"- note {i}\n")
        git(repo, "add", path)
        message = (f"alpha: note {i}\n\nSkill-Event: manual\nSkill-Name: alpha\n"
                   f"Skill-Version: {before}..{blob(repo, path)}\n")
        ok(commit(repo, message, "--no-verify"))
    head = git(repo, "rev-parse", "HEAD")
    preview = ok(skillgit(repo, "rollback", "alpha", "--to", "v1", "--dry-run"))
    assert "would restore" in preview.stdout and "- note 29" in preview.stdout
    assert git(repo, "rev-parse", "HEAD") == head
    ok(skillgit(repo, "rollback", "alpha", "--to", "v1"))
    assert (repo / path).read_text() == skill_text("alpha")
    undone = dict(trailers_of(repo))["Skill-Rollback-Of"]
    assert len(undone) < 80 and "changes)" in undone

    # `git revert --no-edit` of the rollback: git runs only prepare-commit-msg, which writes the trailers
    rollback = git(repo, "rev-parse", "HEAD").strip()
    ok(subprocess.run(["git", "-C", str(repo), "revert", "--no-edit", "HEAD"], capture_output=True, text=True, check=False))
    pairs = dict(trailers_of(repo))
    assert (pairs["Skill-Event"], pairs["Skill-Name"], pairs["Skill-Rollback-Of"]) == ("rollback", "alpha", rollback[:12])

    # a pull request of two commits, squash-merged locally and as GitHub does it
    for how in ("local", "github"):
        git(repo, "checkout", "-q", "-b", f"pr-{how}")
        append(repo / dirs["beta"] / "SKILL.md", f"- {how} one\n")
        git(repo, "add", "-A")
        ok(commit(repo, f"beta: {how} one\n"))
        append(repo / dirs["alpha"] / "SKILL.md", f"- {how} two\n")
        git(repo, "add", "-A")
        ok(commit(repo, f"alpha: {how} two\n"))
        git(repo, "checkout", "-q", "main")
        if how == "local":
            git(repo, "merge", "-q", "--squash", f"pr-{how}")
            ok(subprocess.run(["git", "-C", str(repo), "commit", "-q", "--no-edit"], capture_output=True, text=True,
                              check=False))
            assert sorted(v for k, v in trailers_of(repo) if k == "Skill-Name") == ["alpha", "beta"]
        else:
            github_squash(repo, f"pr-{how}", "Two notes (#7)")

    report = json.loads(ok(skillgit(repo, "verify", "--json")).stdout)
    assert report["violations"] == []
    journal = json.loads(ok(skillgit(repo, "journal", "--json")).stdout)
    assert {e["event"] for e in journal} >= {"init", "manual", "rename", "refine", "rollback"}
    assert all(e["commit"] != git(repo, "rev-list", "--max-parents=0", "HEAD").strip() for e in journal)
