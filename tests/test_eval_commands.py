"""`skillgit eval run|compare|ledger`: exit codes, per-case reports, replayed pass rates, the ledger."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import git, snapshot
from gate_helpers import (
    EVAL_DIR,
    EVALS,
    EXPECTED,
    RUNNER,
    SKILL,
    add_evals,
    candidate,
    configure_runner,
)

CANARY = "CANARY-7f3a9c21"


def eval_run(sg, repo: Path, *extra: str):  # type: ignore[no-untyped-def]
    return sg(repo, "eval", "run", "social", "--runner", RUNNER, *extra)


# -- eval run -----------------------------------------------------------------------------------


def test_eval_run_reports_each_train_case_with_its_rate_and_the_holdout_score_with_intervals(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo, quality=1, holdout_quality=1)
    result = eval_run(sg, managed_repo)
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0].endswith("), 4 run(s) per case")
    assert lines[1:] == [
        "  pass  easy: 4/4 passed, rate 1.00 [0.51,1.00]",
        "  fail  medium: 0/4 passed, rate 0.00 [0.00,0.49] (outcome: outcome failure, want success)",
        "  fail  hard: 0/4 passed, rate 0.00 [0.00,0.49] (outcome: outcome failure, want success)",
        "train: 1/3 cases passed every run, 4/12 runs passed",
        "holdout: 4/20 runs passed, score 0.2 [0.07,0.33] (pass share, 5 cases × 4), min_pass 0.6 — below min_pass",
    ]


def test_eval_run_exits_0_when_every_run_passes_and_the_holdout_reaches_min_pass(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo, quality=3, holdout_quality=3)
    result = eval_run(sg, managed_repo, "--json", "--trials", "2")
    assert result.code == 0, result
    data = json.loads(result.out)
    assert [(c["case"], c["status"], c["passed"], c["runs"]) for c in data["train"]] == [
        ("easy", "pass", 2, 2), ("medium", "pass", 2, 2), ("hard", "pass", 2, 2)]
    assert data["train"][0]["interval"] == [0.3424, 1.0]
    holdout = data["holdout"]
    assert {k: holdout[k] for k in ("n", "trials", "passed", "runs", "runner_errors", "score", "min_pass", "ok")} == {
        "n": 5, "trials": 2, "passed": 8, "runs": 10, "runner_errors": 0, "score": 0.8, "min_pass": 0.6, "ok": True}


def test_eval_run_fills_the_run_cache_the_gate_reads_for_the_champion(sg, managed_repo: Path, tmp_path: Path) -> None:
    add_evals(sg, managed_repo, quality=1, holdout_quality=1)
    assert eval_run(sg, managed_repo, "--trials", "8").code == 1
    cache = json.loads(sg(managed_repo, "eval", "cache", "--json").out)
    assert (cache["runs"], cache["versions"], cache["cases"]) == (64, 1, 8)
    cand = candidate(managed_repo, tmp_path, quality=2, holdout_quality=2)
    result = sg(managed_repo, "promote", "social", "--candidate", str(cand), "--expected", EXPECTED, "--runner", RUNNER,
                "--json")
    assert result.code == 0, result
    data = json.loads(result.out)
    # 64 runs cached; the holdout's champion gets 2 fresh runs a case, the candidate 4 runs a case.
    assert (data["cached_champion_runs"], data["runs"]) == (64, 10 + 32)
    cleared = json.loads(sg(managed_repo, "eval", "cache", "--clear", "--json").out)
    assert (cleared["cleared"], cleared["runs"]) == (64 + 10 + 32, 0)  # and the accepted candidate's runs


def test_eval_run_takes_a_candidate_file_or_an_earlier_version(sg, managed_repo: Path, tmp_path: Path) -> None:
    repo = managed_repo
    add_evals(sg, repo, quality=1)
    path = candidate(repo, tmp_path, quality=3)
    assert sg(repo, "promote", "social", "--candidate", str(path), "--expected", EXPECTED, "--runner", RUNNER).code == 0
    assert eval_run(sg, repo, "--candidate", str(path), "--json").code == 0
    old = json.loads(eval_run(sg, repo, "--version", "v2", "--json").out)
    assert [c["status"] for c in old["train"]] == ["pass", "fail", "fail"]
    assert old["target"].startswith("v2 (")


def test_eval_run_reports_a_broken_runner_per_case_as_error(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo, holdout=None)
    result = sg(managed_repo, "eval", "run", "social", "--runner", "false")
    assert result.code == 1
    assert result.out.count("  error ") == 3


def test_eval_run_prints_no_holdout_case_content(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo, holdout="gate_holdout_canary.jsonl")
    for extra in ((), ("--json",)):
        result = eval_run(sg, managed_repo, *extra)
        assert CANARY not in result.out + result.err


def test_eval_run_without_evals_or_runner_exits_2(sg, managed_repo: Path) -> None:
    assert eval_run(sg, managed_repo).code == 2
    add_evals(sg, managed_repo)
    configure_runner(managed_repo, None)
    result = sg(managed_repo, "eval", "run", "social")
    assert result.code == 2
    assert "set `eval.runner` in skillgit.yaml" in result.err


def test_eval_run_with_an_edited_holdout_exits_3(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo)
    with open(managed_repo / EVAL_DIR / "holdout.jsonl", "a") as f:
        f.write("\n\n")
    assert eval_run(sg, managed_repo).code == 3


# -- eval compare (replay) ---------------------------------------------------------------------


def _session(sid: str, outcome: str, tools: list[tuple[str, str]], version: str | None, *,
             skill: str = "social", how: str = "invoked", started: str = "2026-01-01T10:00:00+00:00") -> str:
    use: dict[str, object] = {"name": skill, "how": how}
    if version:
        use["version"] = version
    return json.dumps({
        "kind": "session", "id": sid, "source": "test", "started": started, "outcome": outcome,
        "final_message": f"{outcome} in {sid}",
        "tool_calls": [{"name": n, "args": {"command": c}, "ok": True} for n, c in tools],
        "skills": [use],
    })


def test_eval_compare_shows_per_version_pass_rates_that_match_a_hand_count(sg, managed_repo: Path, tmp_path: Path) -> None:
    repo = managed_repo
    (repo / EVAL_DIR).mkdir(parents=True)
    shutil.copy(EVALS / "replay_evals.yaml", repo / EVAL_DIR / "evals.yaml")
    assert sg(repo, "record", "social", "-m", "Replay cases").code == 0
    v1 = git(repo, "rev-parse", f"HEAD:{SKILL}").strip()
    (repo / SKILL).write_text((repo / SKILL).read_text() + "\nRun the tests before replying.\n")
    assert sg(repo, "refine", "social", "--expected", EXPECTED).code == 0
    v2 = git(repo, "rev-parse", f"HEAD:{SKILL}").strip()
    pytest_call = [("Bash", "pytest -q"), ("Read", "notes.md")]
    lines = [
        _session("s1", "success", pytest_call, v1),                                   # succeeds ✓, runs-tests ✓
        _session("s2", "failure", [("Read", "README.md")], v1),                        # succeeds ✗
        _session("s3", "success", [("Bash", "pytest -x")] + pytest_call * 2, v1[:10]),  # succeeds ✓, runs-tests ✗ (5 calls)
        _session("s4", "success", [], v2),                                             # succeeds ✓
        _session("s5", "success", [("Bash", "pytest")], None, started="2099-01-01T00:00:00+00:00"),  # v2 by time: ✓ ✓
        _session("s6", "failure", [("Bash", "pytest")], v1, skill="research"),        # another skill: not counted
        _session("s7", "failure", [("Bash", "pytest")], None, how="keyword"),          # weak evidence: not counted
    ]
    traces = tmp_path / "sessions.jsonl"
    traces.write_text('{"kind": "header", "format": "skillgit-sessions", "version": 1}\n' + "\n".join(lines) + "\n")
    assert sg(repo, "ingest", str(traces)).code == 0
    result = sg(repo, "eval", "compare", "social", "--json")
    assert result.code == 0, result
    data = json.loads(result.out)
    rows = {r["blob"]: r for r in data["versions"]}
    # Hand count. v1: succeeds 2/3 (s1, s3 pass; s2 fails), runs-tests 1/2 (s1 passes; s3 has 5 calls > 3).
    assert (rows[v1]["sessions"], rows[v1]["graded"], rows[v1]["passed"], rows[v1]["pass_rate"]) == (3, 5, 3, 0.6)
    assert rows[v1]["cases"] == {"succeeds": {"passed": 2, "graded": 3}, "runs-tests": {"passed": 1, "graded": 2}}
    # v2: succeeds 2/2 (s4, s5), runs-tests 1/1 (s5; s4 never mentions pytest).
    assert (rows[v2]["sessions"], rows[v2]["graded"], rows[v2]["passed"], rows[v2]["pass_rate"]) == (2, 3, 3, 1.0)
    assert rows[v1]["versions"] == ["v1"] and rows[v2]["versions"] == ["v2"]  # evals.yaml alone makes no version
    text = sg(repo, "eval", "compare", "social").out.splitlines()
    assert text[0] == "social: 2 case(s) from skills/social/evals/evals.yaml, 5 session(s) replayed"
    assert text[2].split() == ["v1", v1[:7], "3", "5", "3", "0.60"]
    assert text[3].split() == ["v2", v2[:7], "2", "3", "3", "1.00"]


def test_eval_compare_without_an_evals_file_exits_2(sg, managed_repo: Path) -> None:
    result = sg(managed_repo, "eval", "compare", "social")
    assert result.code == 2
    assert "evals.yaml" in result.err


# -- eval ledger --------------------------------------------------------------------------------


def test_eval_ledger_lists_every_gate_decision_from_git_history(sg, managed_repo: Path, tmp_path: Path) -> None:
    repo = managed_repo
    add_evals(sg, repo, quality=1, holdout_quality=1)
    promote = ("promote", "social", "--expected", EXPECTED, "--runner", RUNNER, "--candidate")
    assert sg(repo, *promote, str(candidate(repo, tmp_path, "a.md", quality=2, holdout_quality=2))).code == 0
    assert sg(repo, *promote, str(candidate(repo, tmp_path, "b.md", quality=3, holdout_quality=1))).code == 1
    before = snapshot(repo)
    data = json.loads(sg(repo, "eval", "ledger", "social", "--json").out)
    assert [(d["decision"], d["event"]) for d in data] == [("accepted", "refine"), ("rejected", "refused")]
    assert data[0]["figures"] == {
        "train": {"state": "ok", "n": 3, "trials": 4, "figures": None},
        "holdout": {"champion": 0.2, "challenger": 0.6, "delta": 0.4, "interval": [0.14, 0.66], "n": 5, "trials": 4},
        "runs": 64}
    # The promoted candidate is the new champion, its runs from the first decision cached: the second
    # decision runs the candidate (32) and the champion's fresh holdout runs (10).
    assert data[1]["summary"] == "train ok n=3×4; holdout 0.60->0.20 -0.40 [-0.63,-0.17] n=5×4; runs 42"
    assert data[1]["reason"] == "holdout 0.60->0.20 -0.40 [-0.63,-0.17] n=5×4: the interval is below min_effect 0.12"
    assert [d["commit"] for d in reversed(data)] == git(repo, "log", "-2", "--format=%H").split()
    text = sg(repo, "eval", "ledger", "social").out.splitlines()
    assert "accepted" in text[0] and "rejected" in text[1] and text[2].strip().startswith("reason: holdout 0.60->0.20")
    assert snapshot(repo) == before


def test_eval_ledger_of_a_skill_without_decisions_says_so(sg, managed_repo: Path) -> None:
    result = sg(managed_repo, "eval", "ledger", "social")
    assert (result.code, result.out) == (0, "no gate decisions about `social` yet\n")


# -- eval power, eval cache --------------------------------------------------------------------


def test_eval_power_analyses_and_simulates_from_the_champions_cached_runs(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo, quality=1, holdout_quality=2)
    before = json.loads(sg(managed_repo, "eval", "power", "social", "--runner", RUNNER, "--json",
                           "--decisions", "20").out)
    assert (before["cached_champion_runs"], before["cases_without_runs"], before["effect"]) == (0, 8, 0.12)
    assert eval_run(sg, managed_repo, "--trials", "4").code == 1
    result = sg(managed_repo, "eval", "power", "social", "--runner", RUNNER, "--effect", "0.3", "--json",
                "--decisions", "20")
    assert result.code == 0, result
    data = json.loads(result.out)
    assert (data["cached_champion_runs"], data["cases_without_runs"], data["confirming"], data["cases"]) == (32, 0, "holdout", 5)
    assert data["needed_champion_known"]["runs_per_case"] <= data["needed_now"]["runs_per_case"]
    sims = {(s["effect"], s["cache"]) for s in data["simulations"]}
    assert sims == {(0.3, "as now"), (0.0, "as now"), (0.3, "kept"), (0.0, "kept")}
    assert all(s["decisions"] == 20 and s["max_runs"] <= 400 for s in data["simulations"])
    text = sg(managed_repo, "eval", "power", "social", "--runner", RUNNER, "--decisions", "5").out
    assert "with the champion known:" in text and CANARY not in text


def test_an_unreadable_run_cache_is_a_usage_error_naming_the_file_and_the_fix(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo, quality=1, holdout_quality=1)
    (managed_repo / ".git" / "skillgit").mkdir(exist_ok=True)
    (managed_repo / ".git" / "skillgit" / "eval-runs.sqlite3").write_bytes(b"not a database" * 100)
    result = eval_run(sg, managed_repo)
    assert result.code == 2
    assert "eval-runs.sqlite3: the eval run cache cannot be read" in result.err
    assert result.err.rstrip().endswith("it only holds cached runs.")
    cleared = sg(managed_repo, "eval", "cache", "--clear")
    assert cleared.code == 0 and cleared.out.startswith("removed the unreadable run cache")
    assert eval_run(sg, managed_repo).code == 1  # runs again, and caches again


def test_eval_run_reads_the_work_tree_evals_and_says_when_they_differ_the_gate_does_not(sg, managed_repo: Path,
                                                                                         tmp_path: Path) -> None:
    from gate_helpers import set_markers

    repo = managed_repo
    set_markers(repo, quality=1)
    assert sg(repo, "record", "social", "-m", "Champion without eval cases").code == 0
    (repo / EVAL_DIR).mkdir(parents=True, exist_ok=True)
    shutil.copy(EVALS / "gate_evals.yaml", repo / EVAL_DIR / "evals.yaml")  # written, not committed
    result = eval_run(sg, repo, "--json", "--trials", "2")
    assert result.code == 1, result
    data = json.loads(result.out)
    assert data["evals_differ_from_head"] is True
    assert [(c["case"], c["passed"], c["runs"]) for c in data["train"]] == [("easy", 2, 2), ("medium", 0, 2), ("hard", 0, 2)]
    assert "skills/social/evals/evals.yaml in the work tree differs from HEAD's" in result.err
    # The gate reads committed evals only: the uncommitted cases do not exist for it.
    before = snapshot(repo)
    refused = sg(repo, "promote", "social", "--candidate", str(candidate(repo, tmp_path, quality=3)), "--expected",
                 EXPECTED, "--runner", RUNNER)
    assert refused.code == 2 and "no evals for skill `social`" in refused.err
    assert snapshot(repo) == before
    # Deleted in the work tree: no cases, and the error says where it looked.
    (repo / EVAL_DIR / "evals.yaml").unlink()
    gone = eval_run(sg, repo)
    assert gone.code == 2 and "nor in the work tree" in gone.err
    # Committed and unchanged: no note.
    shutil.copy(EVALS / "gate_evals.yaml", repo / EVAL_DIR / "evals.yaml")
    assert sg(repo, "record", "social", "-m", "Eval cases").code == 0
    same = eval_run(sg, repo, "--json", "--trials", "1")
    assert json.loads(same.out)["evals_differ_from_head"] is False and "differs from HEAD" not in same.err
