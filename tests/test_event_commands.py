"""Each event command makes exactly one commit, checked with `git log` and `git interpret-trailers`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import git, snapshot, trailers_of

EXPECTED = "win_rate >= 0.6 within 5 sessions; else split the procedure into a helper script"


def commit_count(repo: Path) -> int:
    return int(git(repo, "rev-list", "--count", "HEAD"))


def journal_head(sg, repo: Path) -> dict:
    result = sg(repo, "journal", "--json")
    assert result.code == 0, result
    return json.loads(result.out)[0]


def assert_event(sg, repo: Path, before: int, expected: list[tuple[str, str]]) -> None:
    assert commit_count(repo) == before + 1
    assert trailers_of(repo) == expected
    entry = journal_head(sg, repo)
    assert entry["commit"] == git(repo, "rev-parse", "HEAD").strip()
    assert list(entry["trailers"].items()) == expected


def blob(repo: Path, rev: str, path: str) -> str:
    return git(repo, "rev-parse", f"{rev}:{path}").strip()


def test_init_records_one_event_without_touching_skills(sg, fixture_repo: Path) -> None:
    before = commit_count(fixture_repo)
    result = sg(fixture_repo, "init")
    assert result.code == 0, result
    assert_event(sg, fixture_repo, before, [("Skill-Event", "init")])
    assert git(fixture_repo, "diff", "HEAD~1", "HEAD", "--stat") == ""


def test_init_writes_a_config_in_a_repo_that_has_none(sg, empty_repo: Path) -> None:
    (empty_repo / "skills" / "one").mkdir(parents=True)
    (empty_repo / "skills" / "one" / "SKILL.md").write_text("---\nname: one\ndescription: d\n---\nbody\n")
    result = sg(empty_repo, "init", "--origin", "yoyo")
    assert result.code == 0, result
    assert git(empty_repo, "show", "--name-only", "--format=", "HEAD").split() == ["skillgit.yaml"]
    assert "origin: yoyo" in (empty_repo / "skillgit.yaml").read_text()
    assert git(empty_repo, "status", "--porcelain") == "?? skills/\n"


def test_init_twice_says_so_and_changes_nothing(sg, managed_repo: Path) -> None:
    head = git(managed_repo, "rev-parse", "HEAD")
    result = sg(managed_repo, "init")
    assert result.code == 0
    assert "already initialised" in result.out
    assert git(managed_repo, "rev-parse", "HEAD") == head


def test_create_from_a_template(sg, managed_repo: Path) -> None:
    before = commit_count(managed_repo)
    result = sg(managed_repo, "create", "release-notes", "--description", "Draft release notes", "--expected", EXPECTED)
    assert result.code == 0, result
    new = blob(managed_repo, "HEAD", "skills/release-notes/SKILL.md")
    assert_event(sg, managed_repo, before, [
        ("Skill-Event", "create"), ("Skill-Name", "release-notes"),
        ("Skill-Version", f"0000000..{new}"), ("Skill-Expected", EXPECTED),
    ])
    assert (managed_repo / "skills/release-notes/SKILL.md").exists()
    assert git(managed_repo, "status", "--porcelain") == ""


def test_refine_commits_only_that_skill_and_leaves_other_work_alone(sg, managed_repo: Path) -> None:
    skill = managed_repo / "skills/social/SKILL.md"
    skill.write_text(skill.read_text() + "\n## Pitfalls\n\n- Check the category id first.\n")
    (managed_repo / "skills/family/SKILL.md").write_text((managed_repo / "skills/family/SKILL.md").read_text() + "x\n")
    (managed_repo / "notes.txt").write_text("staged elsewhere\n")
    git(managed_repo, "add", "notes.txt")
    old = blob(managed_repo, "HEAD", "skills/social/SKILL.md")
    before = commit_count(managed_repo)
    result = sg(managed_repo, "refine", "social", "--expected", EXPECTED, "--eval-summary", "train 1 better 0 worse 0 tie")
    assert result.code == 0, result
    new = blob(managed_repo, "HEAD", "skills/social/SKILL.md")
    assert_event(sg, managed_repo, before, [
        ("Skill-Event", "refine"), ("Skill-Name", "social"), ("Skill-Version", f"{old}..{new}"),
        ("Skill-Expected", EXPECTED), ("Skill-Eval-Summary", "train 1 better 0 worse 0 tie"),
    ])
    assert git(managed_repo, "show", "--name-only", "--format=", "HEAD").split() == ["skills/social/SKILL.md"]
    assert git(managed_repo, "status", "--porcelain").splitlines() == ["A  notes.txt", " M skills/family/SKILL.md"]


def test_refine_keeps_yoyo_bookkeeping_current(sg, managed_repo: Path) -> None:
    skill = managed_repo / "skills/release/SKILL.md"
    skill.write_text(skill.read_text() + "- Run `cargo publish --dry-run` before tagging.\n")
    assert sg(managed_repo, "refine", "release", "--expected", EXPECTED).code == 0
    committed = git(managed_repo, "show", "HEAD:skills/release/SKILL.md")
    assert "last_evolved: null" not in committed and "last_evolved: " in committed
    assert git(managed_repo, "status", "--porcelain") == ""


def test_refine_from_a_file(sg, managed_repo: Path, tmp_path: Path) -> None:
    candidate = tmp_path / "SKILL.md"
    candidate.write_text((managed_repo / "skills/social/SKILL.md").read_text() + "\nOne more line.\n")
    assert sg(managed_repo, "refine", "social", "--from", str(candidate), "--expected", EXPECTED).code == 0
    assert (managed_repo / "skills/social/SKILL.md").read_text() == candidate.read_text()
    assert git(managed_repo, "status", "--porcelain") == ""


def test_retire_and_revive_move_the_skill_through_the_attic(sg, managed_repo: Path) -> None:
    old = blob(managed_repo, "HEAD", "skills/blindspot/SKILL.md")
    before = commit_count(managed_repo)
    assert sg(managed_repo, "retire", "blindspot", "--reason", "unused").code == 0
    assert_event(sg, managed_repo, before, [
        ("Skill-Event", "retire"), ("Skill-Name", "blindspot"),
        ("Skill-Version", f"{old}..0000000"), ("Skill-Reason", "unused"),
    ])
    assert blob(managed_repo, "HEAD", "skills_attic/blindspot/SKILL.md") == old
    assert not (managed_repo / "skills/blindspot").exists()
    assert sg(managed_repo, "revive", "blindspot").code == 0
    assert_event(sg, managed_repo, before + 1, [
        ("Skill-Event", "revive"), ("Skill-Name", "blindspot"), ("Skill-Version", f"0000000..{old}"),
    ])
    assert (managed_repo / "skills/blindspot/SKILL.md").exists()
    assert git(managed_repo, "status", "--porcelain") == ""


def test_record_commits_a_maintainers_edit_as_manual(sg, managed_repo: Path) -> None:
    path = managed_repo / "skills/family/SKILL.md"
    old = blob(managed_repo, "HEAD", "skills/family/SKILL.md")
    path.write_text(path.read_text() + "\nRead at most three journals.\n")
    before = commit_count(managed_repo)
    result = sg(managed_repo, "record", "-m", "Limit the reading")
    assert result.code == 0, result
    new = blob(managed_repo, "HEAD", "skills/family/SKILL.md")
    assert_event(sg, managed_repo, before, [
        ("Skill-Event", "manual"), ("Skill-Name", "family"), ("Skill-Version", f"{old}..{new}"),
    ])
    assert git(managed_repo, "log", "-1", "--format=%s").strip() == "Limit the reading"


def test_rollback_to_v1_restores_the_bytes_exactly_in_one_commit(sg, managed_repo: Path) -> None:
    first = git(managed_repo, "rev-list", "--max-parents=0", "HEAD").strip()
    skill = managed_repo / "skills/social/SKILL.md"
    for line in ("- one\n", "- two\n"):
        skill.write_text(skill.read_text() + line)
        assert sg(managed_repo, "refine", "social", "--expected", EXPECTED).code == 0
    refines = git(managed_repo, "log", "--format=%H", "-2").split()
    before = commit_count(managed_repo)
    result = sg(managed_repo, "rollback", "social", "--to", "v1")
    assert result.code == 0, result
    assert commit_count(managed_repo) == before + 1
    assert git(managed_repo, "diff", first, "HEAD", "--", "skills/social") == ""
    pairs = dict(trailers_of(managed_repo))
    assert pairs["Skill-Event"] == "rollback"
    assert pairs["Skill-Rollback-Of"].split() == [c[:12] for c in reversed(refines)]
    assert git(managed_repo, "status", "--porcelain") == ""


def test_a_plain_git_revert_of_a_refine_shows_as_a_rollback_in_versions(sg, managed_repo: Path) -> None:
    skill = managed_repo / "skills/social/SKILL.md"
    skill.write_text(skill.read_text() + "- extra\n")
    assert sg(managed_repo, "refine", "social", "--expected", EXPECTED).code == 0
    refine = git(managed_repo, "rev-parse", "HEAD").strip()
    git(managed_repo, "revert", "--no-edit", "HEAD")
    result = sg(managed_repo, "versions", "social", "--json")
    versions = json.loads(result.out)
    assert [v["event"] for v in versions] == ["commit", "refine", "rollback"]
    assert versions[-1]["rollback_of"] == refine
    assert versions[-1]["blob"] == versions[0]["blob"]


def test_versions_follow_a_skill_through_the_attic(sg, managed_repo: Path) -> None:
    assert sg(managed_repo, "retire", "social").code == 0
    assert sg(managed_repo, "revive", "social").code == 0
    result = sg(managed_repo, "versions", "social")
    assert result.code == 0
    head, columns, *lines = result.out.splitlines()
    assert head.startswith("skill social: 3 versions") and columns.split()[:2] == ["VERSION", "COMMIT"]
    assert [line.split()[0] for line in lines] == ["v1", "v2", "v3"]
    assert "attic" in lines[1] and "active" in lines[2]


def test_show_prints_a_past_version(sg, managed_repo: Path) -> None:
    original = (managed_repo / "skills/social/SKILL.md").read_text()
    (managed_repo / "skills/social/SKILL.md").write_text(original + "- new\n")
    assert sg(managed_repo, "refine", "social", "--expected", EXPECTED).code == 0
    assert sg(managed_repo, "show", "social", "--version", "v1").out == original


def test_status_lists_skills_with_owner_and_state(sg, managed_repo: Path) -> None:
    report = json.loads(sg(managed_repo, "status", "--json").out)
    rows = {s["name"]: s for s in report["skills"]}
    assert rows["family"]["origin"] == "creator"
    assert rows["skill-evolve"]["core"] is True
    assert rows["old-deploy"]["location"] == "attic"
    assert report["initialised"] is True


def test_journal_filters_by_skill_and_event(sg, managed_repo: Path) -> None:
    assert sg(managed_repo, "retire", "blindspot").code == 0
    assert sg(managed_repo, "retire", "research").code == 0
    only = json.loads(sg(managed_repo, "journal", "--json", "--skill", "research").out)
    assert [e["skill"] for e in only] == ["research"]
    kinds = json.loads(sg(managed_repo, "journal", "--json", "--event", "init").out)
    assert [e["event"] for e in kinds] == ["init"]


def test_identity_comes_from_config_when_git_has_none(sg, managed_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(var)
    config = managed_repo / "skillgit.yaml"
    skill = managed_repo / "skills/social/SKILL.md"
    skill.write_text(skill.read_text() + "- x\n")
    result = sg(managed_repo, "refine", "social", "--expected", EXPECTED)
    assert result.code == 2 and "identity.email" in result.err
    config.write_text(config.read_text() + "identity: {name: CI Bot, email: ci@example.com}\n")
    git(managed_repo, "add", "skillgit.yaml")
    git(managed_repo, "-c", "user.name=x", "-c", "user.email=x@example.com", "commit", "-qm", "identity")
    result = sg(managed_repo, "refine", "social", "--expected", EXPECTED)
    assert result.code == 0, result
    assert git(managed_repo, "log", "-1", "--format=%an <%ae>") == "CI Bot <ci@example.com>\n"


def test_a_commit_that_lands_meanwhile_aborts_the_event(managed_repo: Path) -> None:
    from skillgit import operations
    from skillgit.errors import RepoStateError
    from skillgit.workspace import Workspace

    skill = managed_repo / "skills/social/SKILL.md"
    skill.write_text(skill.read_text() + "- x\n")
    ws = Workspace.open(managed_repo)
    head = ws.repo.head()
    git(managed_repo, "commit", "-q", "--allow-empty", "-m", "meanwhile")
    state = snapshot(managed_repo)
    with pytest.raises(RepoStateError):
        operations.refine(ws, "social", expected=EXPECTED, expect_head=head)
    assert snapshot(managed_repo) == state
