"""Diagnosis: each trace pattern found where it is, and not found where it is not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import git
from evidence_support import (
    DAY165,
    add_skill,
    bash,
    call,
    dated_repo,
    ingest,
    needs_corpus,
    session,
    skill_text,
    yoyo_day,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from skillgit.errors import UsageError
from skillgit.evidence.diagnosis import Finding, diagnose, expected_commands
from skillgit.workspace import Workspace


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.open(dated_repo(tmp_path))


def patterns(findings: list[Finding]) -> list[str]:
    return [f.pattern for f in findings]


def only(findings: list[Finding], pattern: str) -> list[Finding]:
    return [f for f in findings if f.pattern == pattern]


RETRIES = [
    bash("cargo publish --dry-run --allow-dirt", ok=False),
    call("read_file", path="Cargo.toml"),
    bash("cargo publish --dry-run --allow-dirty", ok=False),
    bash("cargo publish --dry-run --allow-dirty --no-verify"),
]


def test_a_command_retried_three_times_with_small_changes_is_found_with_failing_and_working(ws: Workspace) -> None:
    (f,) = only(diagnose(ws, "release", [session("s1", RETRIES, skill="release")]), "retry")
    assert f.sessions == ("s1",)
    assert f.failing_command == "cargo publish --dry-run --allow-dirty"
    assert f.working_command == "cargo publish --dry-run --allow-dirty --no-verify"
    assert "retried 2 time(s)" in f.evidence[0] and f.hypothesis and f.direction


@pytest.mark.parametrize(
    "calls",
    [
        RETRIES[2:],  # two attempts only
        [bash("cargo build", ok=False), bash("git tag v1.2.0", ok=False), bash("ls -la target")],  # not similar
        [bash("cargo test -p a"), bash("cargo test -p b"), bash("cargo test -p c")],  # nothing failed
        [bash("cargo test", ok=False), call("edit_file", path="a.rs"), bash("cargo test", ok=False),
         call("edit_file", path="a.rs"), bash("cargo test")],  # an edit-test loop re-runs the same command
    ],
    ids=["two-attempts", "different-commands", "no-failures", "same-command-rerun"],
)
def test_no_retry_finding_without_three_similar_attempts_after_failures(ws: Workspace, calls: list) -> None:
    assert only(diagnose(ws, "release", [session("s1", calls, skill="release")]), "retry") == []


def edit_revert(path: str = "src/lib.rs", gap: int = 1) -> list:
    filler = [bash("cargo test", ok=False)] + [call("read_file", path="x.txt")] * (gap - 1)
    return [call("edit_file", path=path, new_text="x"), *filler, bash(f"git checkout -- {path}")]


def test_edit_then_revert_of_the_same_path_in_two_sessions_is_found(ws: Workspace) -> None:
    sessions = [session("s1", edit_revert(), skill="release"), session("s2", edit_revert("./src/lib.rs"), skill="release")]
    (f,) = only(diagnose(ws, "release", sessions), "edit-revert")
    assert (f.sessions, f.failing_command) == (("s1", "s2"), "cargo test")
    assert "src/lib.rs" in f.hypothesis


@pytest.mark.parametrize(
    "sessions",
    [
        [session("s1", edit_revert(), skill="release")],
        [session("s1", edit_revert(), skill="release"), session("s2", edit_revert(gap=4), skill="release")],
        [session("s1", edit_revert(), skill="release"), session("s2", edit_revert("src/other.rs"), skill="release")],
    ],
    ids=["one-session", "revert-too-late", "different-paths"],
)
def test_no_edit_revert_finding_below_two_sessions_for_one_path(ws: Workspace, sessions: list) -> None:
    assert only(diagnose(ws, "release", sessions), "edit-revert") == []


def test_git_stash_and_restore_dot_count_as_reverts(ws: Workspace) -> None:
    one = [call("Edit", file_path="/w/src/a.rs"), bash("git stash")]
    two = [call("Edit", file_path="/w/src/a.rs"), bash("git restore .")]
    sessions = [session("s1", one, skill="release"), session("s2", two, skill="release")]
    assert patterns(diagnose(ws, "release", sessions)).count("edit-revert") == 1


def test_the_same_tool_failing_with_similar_args_across_sessions_is_found_with_the_working_form(ws: Workspace) -> None:
    sessions = [
        session("s1", [bash("gh api graphql -f categoryId=123", ok=False)], skill="social"),
        session("s2", [bash("gh api graphql -f categoryId=124", ok=False)], skill="social"),
        session("s3", [bash("gh api graphql -f categoryId=DIC_kw1")], skill="social"),
    ]
    (f,) = only(diagnose(ws, "social", sessions), "repeated-failure")
    assert f.sessions == ("s1", "s2")
    assert (f.failing_command, f.working_command) == ("gh api graphql -f categoryId=124", "gh api graphql -f categoryId=DIC_kw1")


def test_one_session_failing_is_not_a_repeated_failure(ws: Workspace) -> None:
    sessions = [session("s1", [bash("gh api graphql -f x=1", ok=False), bash("gh api graphql -f x=2", ok=False)], skill="social")]
    assert only(diagnose(ws, "social", sessions), "repeated-failure") == []


def long_run(n: int, fail: bool = True) -> list:
    return [bash(f"step {i}", ok=not (fail and i == n - 1)) for i in range(n)]


def test_ten_calls_without_reading_docs_before_a_failed_end_are_found(ws: Workspace) -> None:
    (f,) = only(diagnose(ws, "release", [session("s1", long_run(10), skill="release", outcome="failure")]), "docless")
    assert f.sessions == ("s1",) and f.failing_command == "step 9"
    assert f.evidence == ("s1: the last 10 calls read no docs before the session failed (`step 9` failed)",)


@pytest.mark.parametrize(
    ("calls", "outcome"),
    [
        (long_run(9), "failure"),
        (long_run(5) + [call("read_file", path="docs/release.md")] + long_run(5), "failure"),
        (long_run(3) + [bash("cat README.md")] + long_run(7), "failure"),
        # a long session with failed calls (an `rg` without a match, a too-large Read) that succeeded
        (long_run(8) + [bash("rg -n nothing", ok=False), call("Read", ok=False, file_path="big.log")] + long_run(4), "success"),
        (long_run(14), None),
        # the stretch is followed by a read of docs: the failure does not follow it
        (long_run(12) + [call("Read", file_path="docs/release.md"), bash("cargo publish", ok=False)], "failure"),
        # reading the skill's own files is reading docs
        (long_run(6) + [bash("sed -n 1,80p skills/release/SKILL.md")] + long_run(6), "failure"),
        (long_run(6) + [bash("cat skills/release/reference/flags.txt")] + long_run(6), "failure"),
        (long_run(6) + [call("Skill", skill="release")] + long_run(6), "failure"),
    ],
    ids=["nine-calls", "docs-read-midway", "readme-via-bash", "session-succeeded", "outcome-unknown",
         "docs-read-before-the-failure", "own-skill-md", "own-skill-file", "skill-tool"],
)
def test_no_docless_finding_unless_a_failure_follows_a_long_stretch_without_docs(
    ws: Workspace, calls: list, outcome: str | None
) -> None:
    assert only(diagnose(ws, "release", [session("s1", calls, skill="release", outcome=outcome)]), "docless") == []


@given(st.text(alphabet="readmREADMocsOCSt.T/ \n'\"=\u017f\u212aAx-", max_size=24))
@settings(max_examples=400, deadline=None)
def test_the_quick_test_for_docs_passes_every_text_the_docs_pattern_matches(text: str) -> None:
    from skillgit.evidence.diagnosis import _DOC, _may_name_docs

    assert _DOC.search(text) is None or _may_name_docs(text)


@pytest.mark.parametrize("text", ["cat README.MD", "less x.R\u017fT", "ls DOC\u017f/guide", "open Docs/"])
def test_the_quick_test_for_docs_folds_case_as_the_docs_pattern_does(text: str) -> None:
    from skillgit.evidence.diagnosis import _DOC, _may_name_docs

    assert _DOC.search(text) is not None and _may_name_docs(text)


def test_a_command_the_skill_names_that_never_runs_is_found(ws: Workspace) -> None:
    calls = [bash("cargo build --release && cargo test"), bash("git tag v1.2.0"), bash("cat CHANGELOG.md"),
             bash("cargo publish"), bash("echo publish to crates")]
    sessions = [session(f"s{i}", calls, skill="release") for i in range(2)]
    (f,) = only(diagnose(ws, "release", sessions), "absent-command")
    assert (f.working_command, f.failing_command, f.sessions) == ("cargo publish --dry-run", None, ("s0", "s1"))


def test_no_absent_command_finding_when_it_ran_or_with_one_session(ws: Workspace) -> None:
    ran = [bash("cargo build --release"), bash("cargo test"), bash("cargo publish --dry-run --locked"),
           bash("git tag v1"), bash("vim CHANGELOG.md"), bash("publish to crates")]
    assert only(diagnose(ws, "release", [session("s0", ran, skill="release"), session("s1", ran, skill="release")]),
                "absent-command") == []
    assert only(diagnose(ws, "release", [session("s0", [bash("ls")], skill="release")]), "absent-command") == []


def test_expected_commands_are_keywords_and_procedure_commands_without_placeholders() -> None:
    body = (
        "# Deploy\n\nRun `make all` whenever.\n\n## Procedure\n\n1. Check with `./deploy.sh --check`.\n"
        "2. Tag it: `git tag v<version>`.\n3. Say `hello`.\n\n```bash\n$ make release\n# a comment\n```\n\n"
        "```python\nprint('x')\n```\n\n## Pitfalls\n\n- `rm -rf build` is slow.\n"
    )
    assert expected_commands(["Deploy.sh"], body) == ["deploy.sh", "git tag v", "make release"]


def test_only_sessions_attributed_to_the_skill_are_diagnosed(ws: Workspace) -> None:
    assert diagnose(ws, "release", [session("s1", RETRIES + long_run(10), skill="social")]) == []


def test_diagnosing_an_unknown_skill_is_a_usage_error(ws: Workspace) -> None:
    with pytest.raises(UsageError, match="no skill `nope`"):
        diagnose(ws, "nope", [])


def test_a_procedure_command_of_a_committed_skill_is_expected(tmp_path: Path) -> None:
    repo = dated_repo(tmp_path)
    add_skill(repo, "deploy", skill_text("deploy", body="## Procedure\n\nRun `kubectl rollout status deploy/web`.\n"),
              "2026-02-01")
    sessions = [session(f"s{i}", [bash("kubectl apply -f web.yaml")], skill="deploy") for i in range(2)]
    (f,) = diagnose(Workspace.open(repo), "deploy", sessions)
    assert (f.pattern, f.working_command) == ("absent-command", "kubectl rollout status deploy/web")


@needs_corpus
def test_diagnose_command_reports_findings_from_ingested_sessions(tmp_path: Path, sg) -> None:  # type: ignore[no-untyped-def]
    repo = dated_repo(tmp_path)
    stamp = {"skill": "release", "skill_version": git(repo, "rev-parse", "HEAD:skills/release/SKILL.md").strip()[:7]}
    lines = [
        {"ts": f"2026-08-12T11:0{i}:00", "tool": "bash", "args": {"command": cmd}, "success": ok, "duration_ms": 5, **stamp}
        for i, (cmd, ok) in enumerate([("cargo publish --dry-run --allow-dirt", False),
                                       ("cargo publish --dry-run --allow-dirty", False),
                                       ("cargo publish --dry-run --allow-dirty --no-verify", True)])
    ]
    yoyo_day(tmp_path / "t", DAY165, extra=lines)
    ingest(repo, tmp_path / "t")
    result = sg(repo, "diagnose", "release", "--json")
    assert result.code == 0
    retry = [f for f in json.loads(result.out) if f["pattern"] == "retry"]
    assert retry and retry[0]["working_command"] == "cargo publish --dry-run --allow-dirty --no-verify"
    text = sg(repo, "diagnose", "release")
    assert "retry:" in text.out and "working:   cargo publish --dry-run --allow-dirty --no-verify" in text.out
    assert sg(repo, "diagnose", "nope").code == 2


def test_a_shared_cd_prefix_does_not_make_two_commands_the_same_failure(ws: Workspace) -> None:
    prefix = "cd /home/runner/work/yoyo-evolve/yoyo-evolve && "
    sessions = [session("s1", [bash(prefix + "cargo test 2>&1 | tail -30", ok=False)], skill="release"),
                session("s2", [bash(prefix + "git push origin main", ok=False)], skill="release")]
    assert only(diagnose(ws, "release", sessions), "repeated-failure") == []


def _lcs(a: str, b: str) -> int:
    previous = [0] * (len(b) + 1)
    for x in a:
        row = [0]
        for j, y in enumerate(b):
            row.append(previous[j] + 1 if x == y else max(previous[j + 1], row[j]))
        previous = row
    return previous[-1]


commands = st.text(alphabet="abc -/&dx", max_size=40).map(lambda s: s if s.strip() else "x")


@settings(max_examples=400, deadline=None)
@given(commands, commands, st.sampled_from([0.5, 0.75, 0.8, 0.9]))
def test_similar_is_difflibs_ratio_whatever_shortcut_decides_it(a: str, b: str, threshold: float) -> None:
    from difflib import SequenceMatcher

    from skillgit.evidence.commandtext import common_length, core, similar

    x, y = core(a), core(b)
    assert common_length(x, y) == _lcs(x, y)
    assert similar(a, b, threshold) == (x == y or SequenceMatcher(None, x, y, autojunk=False).ratio() >= threshold)


@settings(max_examples=200, deadline=None)
@given(commands, st.lists(commands, max_size=8), st.sampled_from([0.5, 0.6, 0.8]))
def test_one_command_compared_with_many_is_difflibs_ratio_each_time(b: str, many: list[str], threshold: float) -> None:
    """`Alike` keeps what depends on the one command (its masks, difflib's index of it) from one comparison to
    the next: each answer is still difflib's."""
    from difflib import SequenceMatcher

    from skillgit.evidence.commandtext import Alike, core

    like = Alike(b, threshold)
    y = core(b)
    for a in [*many, *many]:
        x = core(a)
        assert like(a) == (x == y or SequenceMatcher(None, x, y, autojunk=False).ratio() >= threshold)
