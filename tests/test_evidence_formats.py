"""Metrics and attribution over traces as their tools write them (tests/samples/traces)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import SAMPLES, git
from evidence_support import add_skill, dated_repo, ingest

from skillgit.evidence.attribution import attribute
from skillgit.evidence.metrics import compute_metrics
from skillgit.evidence.store import load_learnings, load_sessions
from skillgit.workspace import Workspace

TRACES = SAMPLES / "traces"


def test_a_codex_rollout_with_polls_and_a_refusal_counts_the_real_failures(tmp_path: Path) -> None:
    repo = dated_repo(tmp_path)
    traces = tmp_path / "traces"
    traces.mkdir()
    shutil.copy(TRACES / "codex" / "rollout-0.125.0.jsonl", traces / "rollout-2026-04-27T09-00-00.jsonl")
    ingest(repo, traces)
    ws = Workspace.open(repo)
    release = compute_metrics(ws, load_sessions(ws.repo), load_learnings(ws.repo))["release"]
    # 8 actions (3 write_stdin polls folded in): 3 failed commands and 1 refused one; the session failed
    assert (release.uses, release.wins, release.failures, release.failure_rate, release.win_rate) == (1, 0, 4, 1.0, 0.0)


def test_a_skill_version_stamped_as_a_blob_id_on_otel_spans_is_that_version_exactly(tmp_path: Path) -> None:
    repo = dated_repo(tmp_path)
    old = git(repo, "rev-parse", "HEAD:skills/release/SKILL.md").strip()
    text = (repo / "skills" / "release" / "SKILL.md").read_text()
    new = add_skill(repo, "release", text + "\n## Pitfalls\n\n- Run the tests first.\n", "2026-02-01")
    assert new != old
    doc = json.loads((TRACES / "opentelemetry-proto" / "trace.json").read_text())
    span = doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    span["startTimeUnixNano"] = span["endTimeUnixNano"] = str(1_780_000_000 * 10**9)  # 2026-05-28, after both versions
    span["attributes"] += [{"key": "gen_ai.skill.name", "value": {"stringValue": "release"}},
                           {"key": "gen_ai.skill.version", "value": {"stringValue": old}}]
    traces = tmp_path / "traces"
    traces.mkdir()
    (traces / "trace.json").write_text(json.dumps(doc, indent=2))
    ingest(repo, traces)
    ws = Workspace.open(repo)
    (found,) = [a for a in attribute(load_sessions(ws.repo), ws) if a.skill == "release"]
    assert (found.strength, found.version) == ("explicit", old)


def test_stream_json_and_otel_events_are_counted_uses(tmp_path: Path) -> None:
    repo = dated_repo(tmp_path)
    traces = tmp_path / "traces"
    traces.mkdir()
    shutil.copy(TRACES / "claude-stream-json.jsonl", traces / "run.jsonl")
    shutil.copy(TRACES / "claude-code-otel-logs.jsonl", traces / "events.jsonl")
    ingest(repo, traces)
    ws = Workspace.open(repo)
    release = compute_metrics(ws, load_sessions(ws.repo), load_learnings(ws.repo))["release"]
    # stream-json: success (2 failed calls); OTel events: outcome unknown (1 failed call) — not a win
    assert (release.uses, release.wins, release.failures, release.win_rate, release.failure_rate) == (2, 1, 3, 0.5, 1.0)
