"""Proposers: the builtin's bounded edits, and LLM CLIs through the command protocol — good and bad ones."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES, git, snapshot, trailers_of
from cycle_util import (
    FAILING,
    WORKING,
    Clock,
    configure,
    events,
    failing_release_batch,
    feed,
    head,
    make_repo,
)

PROPOSERS = SAMPLES / "cycle"


def proposer(name: str, *args: str) -> str:
    return " ".join([sys.executable, str(PROPOSERS / name), *args])


@pytest.fixture
def repo(tmp_path: Path, clock: Clock) -> Path:
    repo = make_repo(tmp_path / "repo", clock)
    configure(repo, proposer_timeout_seconds=3)
    feed(repo, "a.jsonl", failing_release_batch(clock))
    clock.tick(hours=1)
    return repo


def cycle(sg, repo: Path, clock: Clock, command: str):  # type: ignore[no-untyped-def]
    return sg(repo, "cycle", "--on-propose", "auto", "--now", clock.iso, "--proposer", command)


# -- builtin --------------------------------------------------------------------------------------

FINDING = {"pattern": "retry", "sessions": ["a", "b"], "failing_command": FAILING, "working_command": WORKING,
           "hypothesis": "`bash` was retried 3 times before it worked: the skill lacks a correct example.",
           "direction": "Add the working command verbatim."}
SKILL = "---\nname: release\ndescription: Cut a release\n---\n\n# Release\n\n## Procedure\n\n1. Tag.\n2. Publish.\n\n## Notes\n\n- Be careful.\n"


def request(skill_text: str = SKILL, findings: tuple[dict[str, Any], ...] = (FINDING,), complaints: tuple[dict[str, Any], ...] = (),
            max_added: int = 30) -> Any:
    from skillgit.cycle.proposers import ProposalRequest

    return ProposalRequest("refine", "release", "skills/release/SKILL.md", "0" * 40, skill_text, "trigger",
                           findings, complaints, max_added=max_added)


def test_the_builtin_proposer_adds_a_pitfall_quoting_the_failing_and_the_working_command() -> None:
    from skillgit.cycle.proposers.builtin import BuiltinProposer

    proposal = BuiltinProposer().propose(request())
    assert proposal.candidate is not None
    text = proposal.candidate.decode()
    assert text == SKILL + (
        "\n## Pitfalls\n\n"
        f"- `{FAILING}` failed in 2 session(s); what worked: `{WORKING}`. The skill lacks a correct example.\n"
    )
    assert proposal.summary == "added 1 Pitfalls entry (new section)"


def test_the_builtin_proposer_adds_to_an_existing_pitfalls_section_and_a_verification_step() -> None:
    from skillgit.cycle.proposers.builtin import BuiltinProposer

    skill = SKILL.replace("## Notes\n\n- Be careful.\n", "## Pitfalls\n\n- Be careful.\n\n## Notes\n\nNone.\n")
    docless = {"pattern": "docless", "sessions": ["a", "b", "c"], "direction": "Add a verify step."}
    text = BuiltinProposer().propose(request(skill, (FINDING, docless))).candidate.decode()  # type: ignore[union-attr]
    assert "- Be careful.\n- `cargo test --workspace --lib` failed in 2 session(s)" in text
    assert "2. Publish.\n3. Before acting, read the project's docs (README, docs/) and verify your assumptions" in text
    assert text.endswith("## Notes\n\nNone.\n")


def test_the_builtin_proposer_has_nothing_to_add_when_the_skill_already_quotes_the_fix() -> None:
    from skillgit.cycle.proposers.builtin import BuiltinProposer

    first = BuiltinProposer().propose(request()).candidate
    assert first is not None
    again = BuiltinProposer().propose(request(first.decode()))
    assert again.candidate is None
    assert "already covered" in again.summary


def test_the_builtin_proposer_turns_complaints_into_pitfalls_once_per_pattern() -> None:
    from skillgit.cycle.proposers.builtin import BuiltinProposer

    complaint = {"title": "Tests failed", "takeaway": "run them with all features", "pattern_key": "release.tests"}
    text = BuiltinProposer().propose(request(findings=(), complaints=(complaint, complaint))).candidate.decode()  # type: ignore[union-attr]
    assert text.count("- Tests failed: Run them with all features.") == 1


def test_the_builtin_proposer_stays_within_the_added_lines_limit() -> None:
    from skillgit.cycle.proposers.builtin import BuiltinProposer

    findings = tuple({**FINDING, "failing_command": f"cmd {i}", "working_command": f"cmd {i} --ok"} for i in range(10))
    text = BuiltinProposer().propose(request(findings=findings, max_added=6)).candidate.decode()  # type: ignore[union-attr]
    added = len(text.splitlines()) - len(SKILL.splitlines())
    assert added == 6
    assert text.count("failed in 2 session(s)") == 3


def test_the_builtin_proposer_keeps_crlf_line_endings() -> None:
    from skillgit.cycle.proposers.builtin import BuiltinProposer

    crlf = SKILL.replace("\n", "\r\n")
    text = BuiltinProposer().propose(request(crlf)).candidate.decode()  # type: ignore[union-attr]
    assert "\n" not in text.replace("\r\n", "")
    assert text.startswith(crlf)


# -- command proposers ----------------------------------------------------------------------------


@pytest.mark.parametrize("args", [(), ("--fence",)])
def test_an_llm_shaped_command_drives_a_refine(sg, repo: Path, clock: Clock, args: tuple[str, ...]) -> None:
    result = cycle(sg, repo, clock, proposer("llm_proposer.py", *args))
    assert result.code == 0, result
    pairs = dict(trailers_of(repo))
    assert pairs["Skill-Event"] == "refine"
    assert pairs["Skill-Eval-Summary"].startswith("train ok n=2×4; holdout 0.25->1.00 ")
    assert "(proposer: command)" in git(repo, "log", "-1", "--format=%b")
    text = (repo / "skills/release/SKILL.md").read_text()
    assert f"- `{FAILING}` fails on feature-gated tests; run `{WORKING}` instead.\n" in text
    assert not text.startswith("Here is")


def test_the_request_has_the_skill_findings_and_train_cases_but_nothing_of_the_holdout(
    sg, repo: Path, clock: Clock, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    configure(repo, sandbox_binds=[f"{out}:rw"])
    dump = out / "request.json"
    assert cycle(sg, repo, clock, proposer("recording_proposer.py", str(dump))).code == 0
    raw = dump.read_text()
    data = json.loads(raw)
    assert data["skill"] == "release" and data["kind"] == "refine"
    assert data["skill_text"].startswith("---\nname: release\n")
    assert data["limits"] == {"max_added": 25, "max_removed": 10, "frozen_fields": ["name", "description", "origin", "core"]}
    assert {f["pattern"] for f in data["findings"]} >= {"retry", "repeated-failure"}
    assert [c["id"] for c in data["train_cases"]] == ["feature-gated-tests", "docs-only-patch"]
    holdout = (repo / "skills/release/evals/holdout.jsonl").read_text()
    for line in holdout.splitlines():
        assert json.loads(line)["id"] not in raw
        assert json.loads(line)["prompt"] not in raw
    assert "holdout" not in raw.lower()


@pytest.mark.parametrize(("name", "message"), [
    ("crash_proposer.py", "proposer exited with status 3: RuntimeError: model quota exceeded; nothing was committed."),
    ("garbage_proposer.py", "proposer output is not a SKILL.md"),
    ("other_skill_proposer.py", "proposer returned a SKILL.md for `social`, not `release`"),
    ("sibling_file_proposer.py", "changed scripts, scripts/release.sh besides SKILL.md"),
])
def test_a_bad_proposer_is_refused_and_nothing_is_committed(sg, repo: Path, clock: Clock, name: str, message: str) -> None:
    before = snapshot(repo)
    result = cycle(sg, repo, clock, proposer(name))
    assert result.code == 1, result
    assert message in result.err
    assert snapshot(repo) == before


def test_a_hanging_proposer_is_killed_with_its_children_at_the_timeout(sg, repo: Path, clock: Clock,
                                                                       channel) -> None:  # type: ignore[no-untyped-def]
    before = snapshot(repo)
    started = time.monotonic()
    command = f"{sys.executable} {SAMPLES / 'sandbox' / 'hang_proposer.py'} {channel.port}"
    result = cycle(sg, repo, clock, command)
    assert result.code == 1
    assert "proposer timed out after 3s and was killed (with its process group)" in result.err
    assert time.monotonic() - started < 60
    assert snapshot(repo) == before
    assert channel.of("started") and channel.of("heartbeat")
    assert channel.quiet_since("heartbeat", 0.6)


@pytest.mark.parametrize(("name", "rules"), [
    ("oversized_proposer.py", ["SG006"]),
    ("ownership_proposer.py", ["SG002", "SG006"]),
])
def test_a_candidate_that_breaks_a_rule_becomes_a_refused_event(sg, repo: Path, clock: Clock, name: str, rules: list[str]) -> None:
    skill = (repo / "skills/release/SKILL.md").read_bytes()
    before = head(repo)
    result = cycle(sg, repo, clock, proposer(name))
    assert result.code == 0, result
    assert events(repo)[0] == "refused"
    assert git(repo, "rev-parse", "HEAD~1").strip() == before
    reason = dict(trailers_of(repo))["Skill-Reason"]
    assert reason.startswith("candidate breaks policy: ")
    for rule in rules:
        assert rule in reason
    assert (repo / "skills/release/SKILL.md").read_bytes() == skill
    assert git(repo, "show", "--format=", "--name-only", "HEAD").strip() == ""


def test_a_missing_proposer_command_is_refused_without_a_commit(sg, repo: Path, clock: Clock) -> None:
    before = snapshot(repo)
    result = cycle(sg, repo, clock, "no-such-llm-cli -p")
    assert result.code == 1
    assert "proposer command not found: 'no-such-llm-cli'" in result.err
    assert snapshot(repo) == before
