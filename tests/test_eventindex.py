"""The event index on real repositories: every walk it gives is what `git log --grep` gives, through amends,
resets, rebases, branches, merges, shallow clones and replacement refs; a database it cannot use is read
around, and several writers at once leave it whole."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import git
from evidence_support import write_lock_held

from skillgit.eventindex import EventIndex, EventLog, all_events, event_log, read_git
from skillgit.events import Event
from skillgit.git import Repo

SKILLGIT = [sys.executable, "-m", "skillgit"]


def event(repo: Path, kind: str, skill: str = "social", *, title: str | None = None, when: int | None = None) -> str:
    """An event commit (no file change: the index reads messages), dated `when` when given."""
    env = {}
    if when is not None:
        env = {"GIT_AUTHOR_DATE": f"@{when} +0000", "GIT_COMMITTER_DATE": f"@{when} +0000"}
    git(repo, "commit", "-q", "--allow-empty", "--no-verify", "-m", f"{title or f'{kind} {skill}'}\n\n"
        f"Skill-Event: {kind}\nSkill-Name: {skill}", env=env)
    return git(repo, "rev-parse", "HEAD").strip()


def plain(repo: Path, title: str = "Code change", *, when: int | None = None) -> str:
    env = {}
    if when is not None:
        env = {"GIT_AUTHOR_DATE": f"@{when} +0000", "GIT_COMMITTER_DATE": f"@{when} +0000"}
    git(repo, "commit", "-q", "--allow-empty", "--no-verify", "-m", title, env=env)
    return git(repo, "rev-parse", "HEAD").strip()


def from_git(repo: Path, rev: str = "HEAD") -> list[Event]:
    """The events as git alone gives them (no index)."""
    return list(read_git(Repo.discover(repo), rev, lazy=False))


def indexed(repo: Path, rev: str = "HEAD") -> list[Event]:
    """The events through the index (built or extended as needed); asserts the index was used."""
    r = Repo.discover(repo)
    index = EventIndex.open(r, create=True)
    assert index is not None, "the index should be usable here"
    index.close()
    return all_events(r, rev)


def walks(repo: Path) -> dict[str, int]:
    with sqlite3.connect(Repo.discover(repo).state_dir / "evidence.db") as con:
        return dict(con.execute("SELECT tip, count FROM event_walks"))


def history(repo: Path) -> Path:
    """init, a few events and plain commits, linear."""
    git(repo, "init", "-q", "-b", "main")
    event(repo, "init", "social", when=1_700_000_000)
    for i in range(6):
        plain(repo, f"Code {i}", when=1_700_000_100 + 200 * i)
        event(repo, "refine" if i % 2 else "manual", f"skill-{i % 3}", when=1_700_000_200 + 200 * i)
    return repo


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "repo").mkdir()
    return history(tmp_path / "repo")


def test_the_index_gives_what_git_log_gives_and_keeps_the_walk(repo: Path) -> None:
    assert indexed(repo) == from_git(repo)
    head = git(repo, "rev-parse", "HEAD").strip()
    assert walks(repo) == {head: 7}
    assert indexed(repo) == from_git(repo)  # read back from the rows


def newest_naming(events: list[Event], n: int) -> dict[str, tuple[str, str]]:
    """(type, commit) of the newest of the `n` newest `events` naming each skill (or the name a rename left)."""
    out: dict[str, tuple[str, str]] = {}
    for e in events[:n]:
        for name in (*e.skills, *([e.renamed_from] if e.renamed_from else [])):
            out.setdefault(name, (str(e.kind), e.commit))
    return out


def test_each_skills_newest_event_from_the_index_is_the_one_the_events_of_git_give(repo: Path) -> None:
    """Also among the newest few only, and with events the index has not stored (a walk it could not write)."""
    git(repo, "commit", "-q", "--allow-empty", "--no-verify", "-m",
        "rename skill-1\n\nSkill-Event: rename\nSkill-Name: skill-9\nSkill-Renamed-From: skill-1")
    event(repo, "refine", "skill-2")
    events = from_git(repo)
    r = Repo.discover(repo)
    with event_log(r, "HEAD", build=True) as log:
        assert log.indexed
        for n in (1, 3, len(events)):
            assert log.latest_by_skill(n) == newest_naming(events, n)
    index = EventIndex.open(r, create=False)
    assert index is not None
    items = index.walk(r.resolve("HEAD"), build=False)
    assert items is not None and len(items) == len(events)
    mixed = EventLog([events[0], *items[1:3], events[3], *items[4:]], index)  # closes the index
    with mixed:
        assert mixed.latest_by_skill(len(events)) == newest_naming(events, len(events))


def test_new_commits_extend_a_kept_walk(repo: Path) -> None:
    indexed(repo)
    event(repo, "refine", "skill-9")
    plain(repo)
    head = event(repo, "no-op", "")
    assert indexed(repo) == from_git(repo)
    assert walks(repo)[head] == 9


def test_an_amend_a_reset_and_a_new_branch_give_their_own_walks(repo: Path) -> None:
    indexed(repo)
    git(repo, "commit", "-q", "--amend", "--allow-empty", "--no-verify", "-m", "retitled\n\nSkill-Event: retire\nSkill-Name: skill-2")
    assert indexed(repo) == from_git(repo)
    assert [e.kind for e in indexed(repo)][:1] == ["retire"]
    git(repo, "reset", "-q", "--hard", "HEAD~3")
    assert indexed(repo) == from_git(repo)  # commits taken off a kept walk
    git(repo, "checkout", "-q", "-b", "side", "HEAD~2")
    event(repo, "create", "side-skill")
    assert indexed(repo) == from_git(repo)
    assert indexed(repo, "main") == from_git(repo, "main")
    git(repo, "checkout", "-q", "main")
    assert indexed(repo, "side") == from_git(repo, "side")


def test_a_rebase_and_a_merge_with_older_dates_give_git_logs_order(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD~4").strip()
    indexed(repo)
    git(repo, "checkout", "-q", "-b", "topic", base)
    for i in range(3):  # dated between main's commits: a walk interleaves them by date
        event(repo, "refine", f"topic-{i}", when=1_700_000_650 + 200 * i)
    indexed(repo)
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "--no-verify", "-m", "Merge topic", "topic")
    assert indexed(repo) == from_git(repo)
    at = [i for i, e in enumerate(from_git(repo)) if (e.skill or "").startswith("topic-")]
    assert len(at) == 3 and at[-1] - at[0] > 2  # interleaved with main's events by date
    git(repo, "checkout", "-q", "topic")
    git(repo, "rebase", "-q", "main~1")
    assert indexed(repo) == from_git(repo)
    git(repo, "rebase", "-q", "-i", "HEAD~2", env={"GIT_SEQUENCE_EDITOR": "sed -i 1s/^pick/drop/"})
    assert indexed(repo) == from_git(repo)


def test_a_lazy_log_reads_from_the_index_without_building_it(repo: Path) -> None:
    r = Repo.discover(repo)
    with event_log(r, "HEAD", build=False) as log:  # no database yet: git, stopped when the reader stops
        assert not log.indexed and log.get(0) == from_git(repo)[0]
    assert not (r.state_dir / "evidence.db").exists()
    indexed(repo)
    with event_log(r, "HEAD~1", build=False) as log:  # taken off the kept walk
        assert log.indexed and list(log) == from_git(repo, "HEAD~1")


def test_a_shallow_clone_whose_boundary_moves_reads_its_walks_again(repo: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "4", f"file://{repo}", str(clone))
    assert indexed(clone) == from_git(clone)
    shallow = len(indexed(clone))
    git(clone, "fetch", "-q", "--deepen", "4")
    assert indexed(clone) == from_git(clone)
    assert len(indexed(clone)) > shallow
    git(clone, "fetch", "-q", "--unshallow")
    assert indexed(clone) == from_git(clone) == from_git(repo)


def test_replacement_refs_bypass_the_index(repo: Path) -> None:
    indexed(repo)
    middle = git(repo, "rev-parse", "HEAD~5").strip()
    git(repo, "replace", "--graft", middle)  # the history below `middle` disappears from git log
    r = Repo.discover(repo)
    assert EventIndex.open(r, create=True) is None
    assert all_events(r, "HEAD") == from_git(repo)
    assert len(from_git(repo)) < 7
    git(repo, "replace", "-d", middle)
    assert indexed(repo) == from_git(repo)
    assert len(from_git(repo)) == 7


def test_changed_parsing_rules_read_the_events_again(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from skillgit import eventindex

    indexed(repo)
    monkeypatch.setattr(eventindex, "_PARSER", ["another-parser"])
    assert indexed(repo) == from_git(repo)
    with sqlite3.connect(Repo.discover(repo).state_dir / "evidence.db") as con:
        assert con.execute("SELECT value FROM meta WHERE key = 'events_parser'").fetchone()[0] == "another-parser"


def journal(repo: Path, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SKILLGIT, "-C", str(repo), "journal", "--json"], capture_output=True, text=True, timeout=timeout)


def journal_commits(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert result.returncode == 0, result.stderr
    return [row["commit"] for row in json.loads(result.stdout)]


def git_commits(repo: Path) -> list[str]:
    return [e.commit for e in from_git(repo)]


def test_a_corrupt_database_is_read_around(repo: Path) -> None:
    path = Repo.discover(repo).state_dir / "evidence.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a database at all" * 100)
    before = path.read_bytes()
    assert journal_commits(journal(repo)) == git_commits(repo)
    assert path.read_bytes() == before  # the user's file is left as it was


def test_a_database_from_a_newer_skillgit_is_read_around_untouched(repo: Path) -> None:
    indexed(repo)
    path = Repo.discover(repo).state_dir / "evidence.db"
    with sqlite3.connect(path) as con:
        con.execute("PRAGMA user_version = 99")
    with sqlite3.connect(path) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    event(repo, "refine", "later")
    before = path.read_bytes()
    assert journal_commits(journal(repo)) == git_commits(repo)
    assert path.read_bytes() == before


def test_a_database_locked_by_another_writer_is_read_around_without_waiting(repo: Path) -> None:
    indexed(repo)
    event(repo, "refine", "later")  # the next reader must write a walk
    path = Repo.discover(repo).state_dir / "evidence.db"
    with write_lock_held(path):
        started = time.monotonic()
        result = journal(repo, timeout=20)
        took = time.monotonic() - started
    assert journal_commits(result) == git_commits(repo)
    assert took < 10, f"journal waited {took:.1f} s for another writer"
    head = git(repo, "rev-parse", "HEAD").strip()
    assert head not in walks(repo)  # nothing stored while locked
    assert journal_commits(journal(repo)) == git_commits(repo)
    assert head in walks(repo)


def test_concurrent_writers_leave_a_whole_index(repo: Path) -> None:
    branches = []
    for i in range(4):
        git(repo, "checkout", "-q", "-b", f"b{i}", "main")
        for j in range(3):
            event(repo, "refine", f"s{i}-{j}")
            plain(repo)
        branches.append(f"b{i}")
    git(repo, "checkout", "-q", "main")
    script = ("import json, sys\nfrom skillgit.eventindex import all_events\nfrom skillgit.git import Repo\n"
              "print(json.dumps([e.commit for e in all_events(Repo.discover(sys.argv[1]), sys.argv[2])]))\n")
    procs = [subprocess.Popen([sys.executable, "-c", script, str(repo), rev], stdout=subprocess.PIPE, text=True)
             for rev in [*branches, *branches, "main"]]
    outs = [(proc.args[-1], proc.communicate(timeout=60)[0], proc.returncode) for proc in procs]  # type: ignore[index]
    for rev, out, code in outs:
        assert code == 0
        assert json.loads(out) == git_commits_of(repo, rev)
    with sqlite3.connect(Repo.discover(repo).state_dir / "evidence.db") as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 7 + 12
    for rev in [*branches, "main"]:
        assert indexed(repo, rev) == from_git(repo, rev)


def git_commits_of(repo: Path, rev: str) -> list[str]:
    return [e.commit for e in from_git(repo, rev)]


def test_a_reader_that_stops_early_ends_git_without_an_error(repo: Path) -> None:
    r = Repo.discover(repo)
    chunks = r.iter_log_chunks("HEAD", lazy=True)
    assert next(chunks)
    chunks.close()  # no GitError from git being stopped
    chunks = r.iter_log_chunks("HEAD")
    assert next(chunks)
    chunks.close()


def test_verify_status_and_journal_say_the_same_with_and_without_the_index(tmp_path: Path) -> None:
    repo = tmp_path / "gen"
    subprocess.run([sys.executable, str(Path(__file__).resolve().parent.parent / "bench" / "gen_repo.py"), "--commits", "700",
                    "--events", "100", "--skills", "30", "--merge-every", "7", "--out", str(repo)], check=True,
                   stdout=subprocess.DEVNULL)
    git(repo, "checkout", "-q", "main")
    last = git(repo, "log", "-1", "--format=%H%x00%B", "--author=yoyo-bot", "-E", "--grep=^Skill-Event: refine").split("\x00")
    skill = next(line.split(": ", 1)[1] for line in last[1].splitlines() if line.startswith("Skill-Name:"))
    path = repo / "skills" / skill / "SKILL.md"
    path.write_text(path.read_text() + "Once more.\n")
    git(repo, "commit", "-q", "--no-verify", "-am", last[1], env={"GIT_AUTHOR_NAME": "yoyo-bot",
                                                                    "GIT_AUTHOR_EMAIL": "yoyo-bot@example.com"})
    tips = git(repo, "log", "-E", "--grep=^Skill-Event", "--format=%H", "-6").split()
    commands = [["verify", "--format", "json"], *(["verify", f"{tip}~3..{tip}", "--format", "json"] for tip in tips),
                ["journal", "--json"], ["journal", "--json", "--skill", skill], ["status", "--json"]]

    def outputs(env: dict[str, str] | None = None) -> list[tuple[int, str]]:
        runs = [subprocess.run([*SKILLGIT, "-C", str(repo), *cmd], capture_output=True, text=True, timeout=120,
                               env={**os.environ, **(env or {})}) for cmd in commands]
        return [(r.returncode, r.stdout) for r in runs]

    # a replace-ref namespace with nothing in it: git shows the same history, skillgit does not use the index
    without = outputs({"GIT_REPLACE_REF_BASE": "refs/nothing-replaced/"})
    assert not (Repo.discover(repo).state_dir / "evidence.db").exists()
    with_index = outputs()
    assert walks(repo)  # the index was built and used
    assert with_index == without
    assert outputs() == without
    assert without[1][0] == 1 and "SG009" in without[1][1]  # the thrash is found both ways
