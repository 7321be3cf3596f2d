"""`skillgit verify` over real histories: every rule caught after `--no-verify`, ranges, formats, signatures."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import as_agent, git, needs
from hookkit import (
    CASES,
    Case,
    add_lines,
    agent_refine,
    commit,
    edit,
    head,
    refine_message,
    skillgit,
    verify_json,
)

ZERO = "0" * 40


def violations(report: dict[str, object]) -> list[dict[str, str]]:
    return report["violations"]  # type: ignore[return-value]


# -- every rule: a commit made with --no-verify is reported, naming the commit, the rule and the fix --


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_verify_reports_a_no_verify_commit_that_breaks_the_rule(repo: Path, case: Case) -> None:
    text, env = case.stage(repo)
    result = commit(repo, text, env=env, no_verify=True)
    assert result.returncode == 0, result.stderr
    bad = head(repo)
    code, report = verify_json(repo)
    assert code == 1
    hits = [v for v in violations(report) if v["rule"] == case.rule and v["commit"] == bad]
    assert hits, report
    assert all(v["fix"] for v in hits)
    if case.path:
        assert case.path in {v["path"] for v in hits}
    if case.fix_words:
        assert any(case.fix_words.lower() in (v["fix"] + v["message"]).lower() for v in hits)
    text_out = skillgit(repo, "verify")
    assert text_out.returncode == 1
    line = next(line for line in text_out.stdout.splitlines() if f"({case.rule} " in line)
    assert line.startswith(bad[:12])
    assert hits[0]["fix"] in text_out.stdout


# -- valid histories pass ------------------------------------------------------------------------------


def test_a_valid_history_passes(repo: Path) -> None:
    edit(repo, "skills/research/SKILL.md", add_lines(2))
    assert commit(repo, "Clarify research\n").returncode == 0  # manual trailers from the hook
    manual = head(repo)
    agent_refine(repo, "social")
    agent_refine(repo, "blindspot")
    assert skillgit(repo, "retire", "family").returncode == 0
    assert skillgit(repo, "revive", "family").returncode == 0
    (repo / "README.md").write_text("A skills repository.\n")
    git(repo, "add", "README.md")
    assert commit(repo, "Add a README\n").returncode == 0
    git(repo, "revert", "--no-edit", manual)  # prepare-commit-msg writes the rollback trailers
    assert f"Skill-Rollback-Of: {manual[:12]}" in git(repo, "log", "-1", "--format=%B")
    git(repo, "-c", "core.hooksPath=/nonexistent", "revert", "--no-edit", "HEAD")  # a plain revert, no hooks, no trailers
    assert "Skill-Event" not in git(repo, "log", "-1", "--format=%B")
    result = skillgit(repo, "verify")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no violations" in result.stdout


def test_an_inexact_revert_without_trailers_is_reported(repo: Path) -> None:
    edit(repo, "skills/research/SKILL.md", add_lines(2))
    assert commit(repo, "Clarify research\n").returncode == 0
    git(repo, "revert", "--no-commit", "HEAD")
    edit(repo, "skills/research/SKILL.md", add_lines(1, "extra"))
    assert commit(repo, f'Revert "Clarify research"\n\nThis reverts commit {head(repo)}.\n', no_verify=True).returncode == 0
    code, report = verify_json(repo)
    assert code == 1
    assert [v["rule"] for v in violations(report)] == ["SG001"]


def test_merge_commits_are_not_counted_as_changing_every_skill_they_bring_in(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "side")
    edit(repo, "skills/research/SKILL.md", add_lines(1))
    assert commit(repo, "Research on a branch\n").returncode == 0
    git(repo, "checkout", "-q", "main")
    edit(repo, "skills/family/SKILL.md", add_lines(1))
    assert commit(repo, "Family on main\n").returncode == 0
    git(repo, "merge", "--no-ff", "-q", "-m", "Merge side", "side")
    code, report = verify_json(repo)
    assert code == 0, report
    assert report["checked"] == report["commits"] - 1  # the import before `init` is not managed


def test_a_forged_trailer_in_a_merge_message_is_reported(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "side")
    (repo / "a.txt").write_text("a\n")
    git(repo, "add", "a.txt")
    git(repo, "commit", "-q", "-m", "a")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "--no-ff", "-q", "--no-verify", "-m", "Merge side\n\nSkill-Event: refine\nsaid so.", "side")
    code, report = verify_json(repo)
    assert code == 1 and {v["rule"] for v in violations(report)} == {"SG001"}


# -- the config as of the range's base ---------------------------------------------------------------


def test_a_branch_that_loosens_the_config_is_checked_with_the_base_config(repo: Path) -> None:
    base = head(repo)
    git(repo, "checkout", "-q", "-b", "loosen")
    edit(repo, "skillgit.yaml", lambda t: t + "policy:\n  refine_max_added: 100\n")
    assert commit(repo, "Allow bigger refines\n").returncode == 0
    edit(repo, "skills/social/SKILL.md", add_lines(40))
    result = commit(repo, refine_message(repo, "social"), env=as_agent())
    assert result.returncode == 0, result.stderr  # the hook uses the config at HEAD, which allows it
    code, report = verify_json(repo, f"{base}..loosen")
    assert code == 1
    assert [(v["rule"], v["commit"]) for v in violations(report)] == [("SG006", head(repo))]
    assert report["config"] == f"skillgit.yaml@{base[:12]}"


# -- ranges ----------------------------------------------------------------------------------------


def test_the_default_range_is_upstream_to_head(repo: Path, tmp_path: Path) -> None:
    edit(repo, "skills/family/SKILL.md", add_lines(1))
    commit(repo, refine_message(repo, "family"), env=as_agent(), no_verify=True)  # SG002, then pushed
    remote = tmp_path / "remote.git"
    git(repo, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "-u", "origin", "main")
    assert verify_json(repo)[0] == 0  # nothing after the upstream
    assert verify_json(repo, "HEAD")[0] == 1  # all history still has it


def test_an_all_zero_base_checks_the_new_branch_from_origin_head(repo: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(repo, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "main")
    git(repo, "remote", "set-head", "origin", "main")
    git(repo, "checkout", "-q", "-b", "feature")
    agent_refine(repo, "social")
    code, report = verify_json(repo, f"{ZERO}..HEAD")
    assert code == 0 and report["commits"] == 1
    assert report["base"] == git(repo, "rev-parse", "main").strip()


def test_an_all_zero_base_without_origin_head_checks_all_history(repo: Path) -> None:
    code, report = verify_json(repo, f"{ZERO}..HEAD")
    assert code == 0 and report["base"] is None and report["commits"] == 2


@pytest.mark.parametrize("spec, words", [
    ("nosuch..HEAD", "no branch, tag or commit of that name"),
    ("0123456789ab..HEAD", "fetch-depth: 0"),
    ("HEAD..nosuch", "no such commit"),
    ("--all", "not a range"),
])
def test_a_bad_range_is_a_usage_error(repo: Path, spec: str, words: str) -> None:
    result = skillgit(repo, "verify", "--", spec) if spec.startswith("-") else skillgit(repo, "verify", spec)
    assert result.returncode == 2
    assert words in result.stderr


def test_an_invalid_config_at_the_base_is_a_config_error(repo: Path) -> None:
    edit(repo, "skillgit.yaml", lambda t: t + "policy:\n  refine_max_added: lots\n")
    assert commit(repo, "Break the config\n", no_verify=True).returncode == 0
    result = skillgit(repo, "verify", "HEAD..HEAD")
    assert result.returncode == 2
    assert "refine_max_added" in result.stderr


def test_a_repository_without_an_init_event_is_not_verified_and_says_why(fixture_repo: Path) -> None:
    result = skillgit(fixture_repo, "verify")
    head = git(fixture_repo, "rev-parse", "HEAD").strip()
    assert result.returncode == 2 and result.stderr == (
        f"skillgit: HEAD: no `init` event in the history of {head[:12]}, so skillgit does not manage these skills yet and has "
        "nothing to verify; run `skillgit init` (then `skillgit hooks install`), or pass --assume-managed-since REV.\n")
    assert result.stdout == ""


# -- output formats ------------------------------------------------------------------------------------


def _break_many(repo: Path, n: int) -> None:
    for i in range(n):
        edit(repo, "skills/family/SKILL.md", add_lines(1, f"agent-{i}"))
        assert commit(repo, f"Agent edit {i}\n", env=as_agent(), no_verify=True).returncode == 0


def test_github_format_prints_escaped_annotations_and_a_step_summary(repo: Path, tmp_path: Path) -> None:
    _break_many(repo, 1)
    summary = tmp_path / "summary.md"
    result = skillgit(repo, "verify", "--format", "github", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.returncode == 1
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error ")]
    assert "::error file=skills/family/SKILL.md,title=SG002 allow-list::" in result.stdout
    assert all("\n" not in e for e in errors)
    text = summary.read_text()
    assert "| commit | rule | file | problem | fix |" in text and "SG002" in text


def test_github_format_shows_at_most_ten_annotations_and_counts_the_rest(repo: Path) -> None:
    _break_many(repo, 12)
    result = skillgit(repo, "verify", "--format", "github")
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error ")]
    total = len(json.loads(skillgit(repo, "verify", "--format", "json").stdout)["violations"])
    assert total > 10
    assert len(errors) == 10
    assert f"{total - 9} more violations" in errors[-1]


def test_github_format_on_a_clean_range_writes_a_passing_summary(repo: Path, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    result = skillgit(repo, "verify", "--format", "github", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.returncode == 0 and "::error" not in result.stdout
    assert "no violations" in summary.read_text()


@pytest.mark.parametrize("raw, data, prop", [
    ("plain", "plain", "plain"),
    ("50% done", "50%25 done", "50%25 done"),
    ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
    ("key: a, b", "key: a, b", "key%3A a%2C b"),
    ("%0A", "%250A", "%250A"),
])
def test_workflow_command_values_are_escaped(raw: str, data: str, prop: str) -> None:
    from skillgit.policy.annotate import escape_data, escape_property

    assert escape_data(raw) == data
    assert escape_property(raw) == prop


def test_an_annotation_escapes_a_path_with_commas_and_colons() -> None:
    from skillgit.policy.annotate import annotation
    from skillgit.policy.model import Violation

    v = Violation("SG007", "skill-file-valid", "bad\nthing", "fix it", path="skills/a,b:c/SKILL.md", commit="c" * 40)
    assert annotation(v) == "::error file=skills/a%2Cb%3Ac/SKILL.md,title=SG007 skill-file-valid::cccccccccccc: bad%0Athing. fix it"


# -- signatures ----------------------------------------------------------------------------------------


@needs(shutil.which("ssh-keygen"), "ssh-keygen, to make an SSH signing key (apt-get install openssh-client)")
def test_require_signed_agent_reports_unsigned_agent_commits_and_accepts_signed_ones(repo: Path, tmp_path: Path) -> None:
    key = tmp_path / "agent_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    signers = tmp_path / "allowed_signers"
    signers.write_text(f"yoyo-bot@example.com {(tmp_path / 'agent_key.pub').read_text()}")
    git(repo, "config", "gpg.format", "ssh")
    git(repo, "config", "user.signingkey", str(key))
    git(repo, "config", "gpg.ssh.allowedSignersFile", str(signers))
    agent_refine(repo, "social")  # unsigned
    unsigned = head(repo)
    edit(repo, "skills/blindspot/SKILL.md", add_lines(1))
    signed = commit(repo, refine_message(repo, "blindspot"), env=as_agent(), extra=("-S",))
    assert signed.returncode == 0, signed.stderr
    code, report = verify_json(repo, "--require-signed-agent")
    assert code == 1
    assert [(v["rule"], v["commit"]) for v in violations(report)] == [("SG100", unsigned)]
    assert verify_json(repo)[0] == 0
