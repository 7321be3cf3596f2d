"""The cycle against an adversarial proposer and runner, and a user working while it runs.

Every attack comes from a real process: tests/samples/sandbox/attack_proposer.py as the cycle's
proposer (the repository path is passed to it on its command line, as if learned out of band), a
runner command, or a `setsid` daemon one of them started. They report what they tried on a TCP
channel (tests/channel.py), which works with and without the sandbox. The user acts from the test,
in a thread, while the proposer (or the runner) waits for it.
"""

from __future__ import annotations

import shlex
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES, git, snapshot
from cycle_util import Clock, configure, events, failing_release_batch, feed, head, make_repo

BOX = SAMPLES / "sandbox"
PY = shlex.quote(sys.executable)
SKILL = "skills/release/SKILL.md"


@pytest.fixture
def repo(tmp_path: Path, clock: Clock, bwrap: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo repository, ready for a refine of `release`, with a bare `origin`; the cycle is
    started from inside it, with OLDPWD and GIT_DIR pointing at it (as from a git hook)."""
    repo = make_repo(tmp_path / "repo", clock)
    configure(repo, proposer_timeout_seconds=60)
    feed(repo, "a.jsonl", failing_release_batch(clock))
    clock.tick(hours=1)
    git(tmp_path, "init", "-q", "--bare", "origin.git")
    git(repo, "remote", "add", "origin", str(tmp_path / "origin.git"))
    monkeypatch.chdir(repo)
    monkeypatch.setenv("OLDPWD", str(repo))
    monkeypatch.setenv("GIT_DIR", str(repo / ".git"))
    return repo


def cycle(sg, repo: Path, clock: Clock, channel, *modes: str, runner: str | None = None):  # type: ignore[no-untyped-def]
    proposer = f"{PY} {shlex.quote(str(BOX / 'attack_proposer.py'))} {channel.port} {shlex.quote(str(repo))} {' '.join(modes)}"
    args = ["cycle", "--on-propose", "auto", "--now", clock.iso, "--proposer", proposer]
    return sg(repo, *args, *(["--runner", runner] if runner else []))


def attempts(channel) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {m["name"]: m["result"] for m in channel.of("attempt")}


def all_blocked(channel, *names: str) -> None:  # type: ignore[no-untyped-def]
    tried = attempts(channel)
    assert set(names) <= set(tried), tried
    assert all(result.startswith("blocked") for result in tried.values()), tried


def refs(repo: Path) -> list[str]:
    """Every ref but the branch the cycle commits to."""
    return [r for r in git(repo, "for-each-ref", "--format=%(refname) %(objectname)").splitlines()
            if not r.startswith("refs/heads/main ")]


def while_waiting(channel, kind: str, name: str, act: Callable[[], None]) -> threading.Thread:  # type: ignore[no-untyped-def]
    """In a thread: when the script reports `kind`, `act` (as the user), then let it go on."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            channel.wait_for(kind)
            act()
        except BaseException as exc:  # noqa: BLE001 - handed to the test below
            errors.append(exc)
        finally:
            channel.release(name)

    thread = threading.Thread(target=run)
    thread.errors = errors  # type: ignore[attr-defined]
    thread.start()
    return thread


def joined(thread: threading.Thread) -> None:
    thread.join(120)
    for exc in thread.errors:  # type: ignore[attr-defined]
        raise exc


# -- hole 7: the proposer is confined ------------------------------------------------------------


def test_a_proposer_cannot_reach_the_holdout_by_any_path(sg, repo: Path, clock: Clock, channel) -> None:  # type: ignore[no-untyped-def]
    result = cycle(sg, repo, clock, channel, "holdout")
    assert result.code == 0, result
    all_blocked(channel, "read holdout via absolute", "read holdout via PWD", "read holdout via /proc/PPID/cwd",
                "read holdout via OLDPWD", "read holdout via GIT_DIR/..", "git show HEAD:holdout")
    where = channel.wait_for("where")
    for key in ("cwd", "pwd", "ppid_cwd"):
        assert not where[key].startswith(str(repo)), (key, where[key])
    assert where["oldpwd"] is None and where["git_dir"] is None
    assert events(repo)[0] == "refine"
    assert "Leaked" not in (repo / SKILL).read_text()


def test_a_proposer_cannot_commit_as_the_maintainer(sg, repo: Path, clock: Clock, channel) -> None:  # type: ignore[no-untyped-def]
    before, social = head(repo), (repo / "skills/social/SKILL.md").read_bytes()
    result = cycle(sg, repo, clock, channel, "commit")
    assert result.code == 0, result
    all_blocked(channel, "edit skills/social", "commit as the maintainer")
    assert git(repo, "rev-parse", "HEAD~1").strip() == before
    assert events(repo)[0] == "refine"
    assert (repo / "skills/social/SKILL.md").read_bytes() == social


def test_a_proposer_cannot_set_core_fsmonitor(sg, repo: Path, clock: Clock, channel) -> None:  # type: ignore[no-untyped-def]
    config = (repo / ".git/config").read_bytes()
    result = cycle(sg, repo, clock, channel, "fsmonitor")
    assert result.code == 0, result
    all_blocked(channel, "set core.fsmonitor")
    assert (repo / ".git/config").read_bytes() == config
    assert not (repo.parent / "fsmonitor-ran").exists()


def test_a_proposer_cannot_create_refs_or_tags(sg, repo: Path, clock: Clock, channel) -> None:  # type: ignore[no-untyped-def]
    before = refs(repo)
    result = cycle(sg, repo, clock, channel, "refs")
    assert result.code == 0, result
    all_blocked(channel, "create a tag", "create a branch")
    assert refs(repo) == before


def test_a_proposer_cannot_push(sg, repo: Path, clock: Clock, channel) -> None:  # type: ignore[no-untyped-def]
    result = cycle(sg, repo, clock, channel, "push")
    assert result.code == 0, result
    all_blocked(channel, "git push")
    assert git(repo, "ls-remote", "origin") == ""


def test_a_proposer_cannot_ingest_forged_traces(sg, repo: Path, clock: Clock, channel) -> None:  # type: ignore[no-untyped-def]
    from skillgit.config import Config
    from skillgit.evidence.store import load_sessions
    from skillgit.git import Repo

    result = cycle(sg, repo, clock, channel, "ingest")
    assert result.code == 0, result
    all_blocked(channel, "ingest forged traces")
    sessions = load_sessions(Repo.discover(repo), Config.load(repo))
    assert sessions and not [s.id for s in sessions if s.id.startswith("forged")]


def test_a_proposer_daemon_cannot_swap_the_eval_runner_during_the_gate(sg, repo: Path, clock: Clock,  # type: ignore[no-untyped-def]
                                                                       channel) -> None:
    thread = while_waiting(channel, "swapped", "swapped", lambda: None)
    result = cycle(sg, repo, clock, channel, "swap")
    joined(thread)
    assert result.code == 0, result
    assert "EVIL" not in (repo / SKILL).read_text()
    assert events(repo)[0] == "refused"
    assert "the interval is below min_effect" in git(repo, "log", "-1", "--format=%(trailers:key=Skill-Reason,valueonly)")
    assert channel.wait_for("swapped")["result"].startswith("blocked"), channel.of("swapped")
    assert channel.quiet_since("heartbeat", 0.6)


def test_a_proposer_daemon_is_dead_when_the_cycle_returns(sg, repo: Path, clock: Clock, channel) -> None:  # type: ignore[no-untyped-def]
    result = cycle(sg, repo, clock, channel, "linger")
    assert result.code == 0, result
    assert events(repo)[0] == "refine"
    assert channel.of("heartbeat"), "the daemon never started"
    assert channel.quiet_since("heartbeat", 0.6)
    assert not channel.of("edited")
    assert (repo / SKILL).read_text() == git(repo, "show", f"HEAD:{SKILL}")


def test_a_runner_cannot_reach_the_repository_during_the_gate(sg, repo: Path, clock: Clock, channel) -> None:  # type: ignore[no-untyped-def]
    runner = (f"{PY} {shlex.quote(str(BOX / 'probe_runner.py'))} {channel.port} {shlex.quote(str(repo))} "
              "tools/eval_runner.py")
    result = cycle(sg, repo, clock, channel, runner=runner)
    assert result.code == 0, result
    assert events(repo)[0] == "refine"
    probes = channel.of("probe")
    assert probes, "the runner never ran"
    for seen in probes:
        assert not seen["repo_exists"] and not seen["git_dir_exists"]
        assert all(v.startswith("blocked") for v in seen["holdout"].values()), seen["holdout"]
        assert all(v.startswith("blocked") for v in seen["git"].values()), seen["git"]
        for where in ("cwd", "pwd", "ppid_cwd"):
            assert not seen[where].startswith(str(repo)), (where, seen[where])


def test_a_runner_daemon_is_dead_when_eval_run_returns(sg, repo: Path, channel) -> None:  # type: ignore[no-untyped-def]
    runner = f"{PY} {shlex.quote(str(BOX / 'daemon.py'))} {channel.port} {shlex.quote(str(repo / SKILL))}"
    before = snapshot(repo)
    sg(repo, "eval", "run", "release", "--runner", runner)
    assert channel.of("heartbeat"), "the daemon never started"
    assert channel.quiet_since("heartbeat", 0.6)
    assert snapshot(repo) == before


# -- hole 8: the work tree is the user's ---------------------------------------------------------


def user_work(repo: Path) -> dict[str, Any]:
    """What the user does meanwhile: a new file, a new file inside a skill, an edit to a tracked file."""
    files = {"notes/todo.md": "Ask about the release checklist.\n", "skills/social/draft.md": "A draft.\n",
             "skills/social/SKILL.md": (repo / "skills/social/SKILL.md").read_text() + "\nThe user's own edit.\n"}
    for path, text in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    return files


def test_the_users_new_and_edited_files_while_the_proposer_runs_are_left_as_they_are(  # type: ignore[no-untyped-def]
        sg, repo: Path, clock: Clock, channel) -> None:
    made: dict[str, Any] = {}
    thread = while_waiting(channel, "proposer", "user", lambda: made.update(user_work(repo)))
    result = cycle(sg, repo, clock, channel, "wait")
    joined(thread)
    assert result.code == 0, result
    assert events(repo)[0] == "refine"
    for path, text in made.items():
        assert (repo / path).read_text() == text, path
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == [SKILL]
    assert sorted(git(repo, "status", "--porcelain", "-uall").splitlines()) == [
        " M skills/social/SKILL.md", "?? notes/todo.md", "?? skills/social/draft.md"]


def test_the_users_files_changed_while_the_gate_runs_are_left_as_they_are(sg, repo: Path, clock: Clock,  # type: ignore[no-untyped-def]
                                                                          channel) -> None:
    made: dict[str, Any] = {}
    runner = f"{PY} {shlex.quote(str(BOX / 'signal_runner.py'))} {channel.port} gate tools/eval_runner.py"
    thread = while_waiting(channel, "runner", "gate", lambda: made.update(user_work(repo)))
    result = cycle(sg, repo, clock, channel, runner=runner)
    joined(thread)
    assert result.code == 0, result
    assert events(repo)[0] == "refine"
    for path, text in made.items():
        assert (repo / path).read_text() == text, path


def test_a_user_edit_to_the_skill_being_refined_is_kept_and_nothing_is_committed(sg, repo: Path, clock: Clock,  # type: ignore[no-untyped-def]
                                                                                channel) -> None:
    before = head(repo)
    text = (repo / SKILL).read_text() + "\nThe maintainer's own fix, not committed yet.\n"
    thread = while_waiting(channel, "proposer", "user", lambda: (repo / SKILL).write_text(text))
    result = cycle(sg, repo, clock, channel, "wait")
    joined(thread)
    assert result.code == 4, result
    assert f"{SKILL} changed in the work tree while the cycle ran" in result.err
    assert head(repo) == before
    assert (repo / SKILL).read_text() == text


def test_a_maintainer_commit_while_the_proposer_runs_is_head_moved_with_nothing_changed(  # type: ignore[no-untyped-def]
        sg, repo: Path, clock: Clock, channel) -> None:
    def commit() -> None:
        (repo / "NOTES.md").write_text("Committed while the cycle ran.\n")
        git(repo, "add", "NOTES.md")
        git(repo, "commit", "-q", "-m", "Concurrent work")

    thread = while_waiting(channel, "proposer", "user", commit)
    result = cycle(sg, repo, clock, channel, "wait")
    joined(thread)
    assert result.code == 4, result
    assert "HEAD moved while the proposer ran" in result.err and "a commit landed meanwhile" in result.err
    assert "refused" not in result.err
    assert git(repo, "log", "-1", "--format=%s").strip() == "Concurrent work"
    assert git(repo, "status", "--porcelain") == ""
