"""Attribution of complete sessions (rebuilt from corpus records) to skills and to the version that ran."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from conftest import CORPUS, git
from evidence_support import (
    DAY165,
    DAY172,
    add_skill,
    bash,
    call,
    claude_session,
    codex_rollout,
    dated_repo,
    ingest,
    needs_corpus,
    otlp_trace,
    session,
    skill_text,
    t,
    yoyo_day,
)

from skillgit.evidence.attribution import Attribution, Catalog, attribute, channels
from skillgit.evidence.store import load_sessions
from skillgit.workspace import Workspace

pytestmark = needs_corpus
BRAINSTORMING = CORPUS / "skills" / "obra__superpowers" / "skills" / "brainstorming" / "SKILL.md"


@pytest.fixture
def two_versions(tmp_path: Path) -> tuple[Path, str, str]:
    """A repo where `brainstorming` (the corpus skill) has v1 from 2026-02-01 and v2 from 2026-03-01."""
    repo = dated_repo(tmp_path)
    text = BRAINSTORMING.read_text(encoding="utf-8")
    v1 = add_skill(repo, "brainstorming", text, "2026-02-01")
    v2 = add_skill(repo, "brainstorming", text + "\n## Pitfalls\n\n- Ask one question at a time.\n", "2026-03-01")
    return repo, v1, v2


def attributions(repo: Path) -> dict[tuple[str, str], Attribution]:
    ws = Workspace.open(repo)
    return {(a.session_id, a.skill): a for a in attribute(load_sessions(ws.repo), ws)}


def test_a_claude_code_skill_invocation_is_explicit_and_ran_the_version_in_effect_then(
    tmp_path: Path, two_versions: tuple[Path, str, str]
) -> None:
    repo, v1, v2 = two_versions
    traces = tmp_path / "traces"
    claude_session(traces / "before.jsonl", skill="superpowers:brainstorming", start="2026-02-15T10:00",
                   command="npm test", error="Exit code 1\nnpm ERR! Test failed.")
    claude_session(traces / "after.jsonl", skill="superpowers:brainstorming", start="2026-03-15T10:00",
                   command="npm test", error="Exit code 1\nnpm ERR! Test failed.")
    ingest(repo, traces)
    found = attributions(repo)
    assert found[("before", "brainstorming")] == Attribution("before", "brainstorming", v1, "explicit", t("2026-02-15T10:00"))
    assert found[("after", "brainstorming")].version == v2
    before = next(s for s in load_sessions(Workspace.open(repo).repo) if s.id == "before")
    assert before.outcome == "failure"
    assert [(c.name, c.ok, c.exit_code) for c in before.tool_calls] == [("Skill", True, None), ("Bash", False, 1)]


def test_a_session_before_the_skill_existed_has_no_version(tmp_path: Path, two_versions: tuple[Path, str, str]) -> None:
    repo, _, _ = two_versions
    claude_session(tmp_path / "t" / "early.jsonl", skill="brainstorming", start="2026-01-20T10:00", command="ls")
    ingest(repo, tmp_path / "t")
    assert attributions(repo)[("early", "brainstorming")].version is None


def test_an_otlp_stamp_by_sha256_names_that_version_whatever_the_session_time(
    tmp_path: Path, two_versions: tuple[Path, str, str]
) -> None:
    repo, v1, _ = two_versions
    raw_v1 = git(repo, "cat-file", "blob", v1)
    stamp = hashlib.sha256(raw_v1.encode("utf-8")).hexdigest()
    otlp_trace(tmp_path / "t" / "spans.jsonl", skill="brainstorming", start="2026-04-01T09:00", version=stamp)
    ingest(repo, tmp_path / "t")
    (s,) = load_sessions(Workspace.open(repo).repo)
    a = attributions(repo)[(s.id, "brainstorming")]
    assert (a.strength, a.version) == ("explicit", v1)
    assert s.outcome == "success" and [c.ok for c in s.tool_calls] == [False]


def test_a_blob_id_stamped_in_a_yoyo_audit_line_is_stamped_evidence(tmp_path: Path) -> None:
    repo = dated_repo(tmp_path)
    blob = git(repo, "rev-parse", "HEAD:skills/release/SKILL.md").strip()
    line = {"ts": "2026-08-12T09:30:00", "tool": "bash", "args": {"command": "echo ok"}, "success": True,
            "duration_ms": 1, "skill": "release", "skill_version": blob}
    yoyo_day(tmp_path / "t", DAY165, extra=[line])
    ingest(repo, tmp_path / "t")
    a = attributions(repo)[(DAY165, "release")]
    assert (a.strength, a.version) == ("stamped", blob)


def test_an_abbreviated_stamp_is_expanded_to_the_full_blob_id(tmp_path: Path) -> None:
    repo = dated_repo(tmp_path)
    blob = git(repo, "rev-parse", "HEAD:skills/release/SKILL.md").strip()
    ws = Workspace.open(repo)
    (a,) = attribute([session("s1", skill="release", how="stamped", version=blob[:9])], ws)
    assert a.version == blob


def test_a_codex_read_of_skill_md_is_read_evidence_and_exit_code_1_fails_only_the_call(tmp_path: Path) -> None:
    repo = dated_repo(tmp_path)
    codex_rollout(tmp_path / "t" / "rollout-1.jsonl", start="2026-05-01T08:00",
                  commands=[("cat skills/release/SKILL.md", 0), ("cargo publish --dry-run", 1)])
    ingest(repo, tmp_path / "t")
    (s,) = load_sessions(Workspace.open(repo).repo)
    assert [(c.ok, c.exit_code) for c in s.tool_calls] == [(True, 0), (False, 1)] and s.outcome is None  # no completion record, verdict or test run
    found = attributions(repo)
    assert found[(s.id, "release")].strength == "read"
    assert found[(s.id, "release")].version == git(repo, "rev-parse", "HEAD:skills/release/SKILL.md").strip()


def test_a_yoyo_day_reading_a_skill_file_with_sed_is_read_evidence(tmp_path: Path) -> None:
    repo = dated_repo(tmp_path)
    add_skill(repo, "communicate", skill_text("communicate"), "2026-02-01")
    yoyo_day(tmp_path / "t", DAY172)
    ingest(repo, tmp_path / "t")
    found = attributions(repo)
    assert found[(DAY172, "communicate")].strength == "read"
    assert (DAY172, "release") not in found


def test_a_keyword_in_tool_arguments_is_weak_evidence(tmp_path: Path) -> None:
    repo = dated_repo(tmp_path)
    line = {"ts": "2026-08-12T09:40:00", "tool": "bash", "args": {"command": "gh api graphql -f query=@q.graphql"},
            "success": True, "duration_ms": 3}
    yoyo_day(tmp_path / "t", DAY165, extra=[line])
    ingest(repo, tmp_path / "t")
    assert attributions(repo)[(DAY165, "social")].strength == "weak"


def test_explicit_evidence_wins_over_a_read_and_a_keyword_in_the_same_session(tmp_path: Path) -> None:
    repo = dated_repo(tmp_path)
    s = session("s1", [call("Read", file_path="/w/skills/release/SKILL.md"), bash("cargo publish --dry-run")], skill="release")
    (a,) = attribute([s], Workspace.open(repo))
    assert a.strength == "explicit"


def test_skills_that_are_not_in_the_repository_are_not_attributed(tmp_path: Path) -> None:
    repo = dated_repo(tmp_path)
    s = session("s1", [call("Read", file_path="skills/nope/SKILL.md")], skill="superpowers")
    assert attribute([s], Workspace.open(repo)) == []


def test_a_retired_skill_is_still_attributed(tmp_path: Path) -> None:
    repo = dated_repo(tmp_path)
    (a,) = attribute([session("s1", [call("read_file", path="skills_attic/old-deploy/SKILL.md")])], Workspace.open(repo))
    assert (a.skill, a.strength) == ("old-deploy", "read")


def test_writing_a_skill_file_is_not_reading_it(tmp_path: Path) -> None:
    repo = dated_repo(tmp_path)
    s = session("s1", [call("edit_file", path="skills/release/SKILL.md", new_text="x")])
    assert attribute([s], Workspace.open(repo)) == []


def test_the_evolver_reading_skills_to_edit_them_is_not_a_use_of_them(tmp_path: Path) -> None:
    repo = dated_repo(tmp_path)
    s = session("s1", [call("read_file", path="skills/skill-evolve/SKILL.md"),
                       call("read_file", path="skills/social/SKILL.md"), bash("grep -c 'gh api graphql' x")])
    assert [(a.skill, a.strength) for a in attribute([s], Workspace.open(repo))] == [("skill-evolve", "read")]


def test_a_session_without_time_or_stamp_has_no_version(tmp_path: Path) -> None:
    repo = dated_repo(tmp_path)
    (a,) = attribute([session("s1", skill="release", start=None)], Workspace.open(repo))
    assert (a.version, a.time) == (None, None)


@pytest.mark.parametrize(
    ("sessions", "keywords", "measurable"),
    [
        ([], ("kw",), False),
        ([session("s", [bash("ls")])], (), False),
        ([session("s", [bash("ls")])], ("kw",), True),
        ([session("s", [call("Read", file_path="skills/unknown/SKILL.md")])], (), True),
        ([session("s", skill="anything")], (), True),
        ([session("s", skill="anything", how="keyword")], (), False),
    ],
    ids=["no-sessions", "no-keywords-no-skill-evidence", "keywords-and-tool-calls", "any-skill-read", "any-invocation",
         "only-a-keyword-use"],
)
def test_a_skill_is_measurable_only_where_some_evidence_channel_exists(
    tmp_path: Path, sessions: list, keywords: tuple[str, ...], measurable: bool
) -> None:
    repo = dated_repo(tmp_path)
    assert channels(sessions, Catalog(Workspace.open(repo))).measurable(keywords) is measurable


def test_a_naive_session_time_is_read_as_utc(tmp_path: Path) -> None:
    from datetime import datetime

    from skillgit.evidence.session import Session, SkillUse

    repo = dated_repo(tmp_path)
    blob = git(repo, "rev-parse", "HEAD:skills/release/SKILL.md").strip()
    naive = Session("s1", "skillgit", "s1:1", started=datetime(2026, 6, 1), skills=(SkillUse("release", "invoked"),))
    (a,) = attribute([naive], Workspace.open(repo))
    assert (a.version, a.time) == (blob, t("2026-06-01"))
