"""The sealed holdout: digest compatibility with OrchestKit, `holdout seal`, and `check_seal` failing closed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import CORPUS, CORPUS_FIX, as_agent, git, needs, snapshot, trailers_of
from gate_helpers import EVAL_DIR, EVALS, add_evals, head

from skillgit.errors import SealMismatch
from skillgit.evals.holdout import check_seal
from skillgit.evals.seal import holdout_digest, read_lock
from skillgit.workspace import Workspace

PEERS = CORPUS / "peers"
ORK_HOLDOUT = PEERS / "yonatangross__orchestkit__src__skills__assess__evals__holdout.jsonl"
ORK_LOCK = PEERS / "yonatangross__orchestkit__src__skills__assess__evals__holdout.lock.json"
ORK_RUBRIC = PEERS / "yonatangross__orchestkit__src__skills__assess__rubric.json"
needs_corpus = needs(ORK_LOCK.is_file(), f"the OrchestKit files in peers/ of {CORPUS_FIX}")
HOLDOUT = f"{EVAL_DIR}/holdout.jsonl"
LOCK = f"{EVAL_DIR}/holdout.lock.json"


@needs_corpus
def test_skillgits_digest_of_orchestkits_holdout_equals_the_hash_in_their_lock() -> None:
    ork = json.loads(ORK_LOCK.read_text())
    assert holdout_digest(ORK_HOLDOUT.read_bytes()) == ork["hash"]


@needs_corpus
def test_sealing_orchestkits_holdout_writes_their_hash_and_keeps_their_keys(sg, managed_repo: Path) -> None:
    repo = managed_repo
    (repo / EVAL_DIR).mkdir(parents=True)
    shutil.copy(ORK_HOLDOUT, repo / HOLDOUT)
    shutil.copy(ORK_LOCK, repo / LOCK)  # an existing lock: its keys (rubric, note, …) are kept on re-seal
    result = sg(repo, "holdout", "seal", "social")
    assert result.code == 0, result
    ours, theirs = json.loads((repo / LOCK).read_text()), json.loads(ORK_LOCK.read_text())
    assert ours["hash"] == theirs["hash"]
    assert (ours["n"], ours["margin"], ours["min_pass"]) == (7, 0.5, 7.0)
    assert set(theirs) <= set(ours)
    assert ours["schema"] == "ork-holdout/1.0" and ours["rubric"] == theirs["rubric"] and ours["note"] == theirs["note"]
    assert git(repo, "show", f"HEAD:{LOCK}") == (repo / LOCK).read_text()


@needs_corpus
def test_orchestkits_lock_copied_verbatim_is_accepted_by_the_seal_check(managed_repo: Path) -> None:
    repo = managed_repo
    (repo / EVAL_DIR).mkdir(parents=True)
    shutil.copy(ORK_HOLDOUT, repo / HOLDOUT)
    shutil.copy(ORK_LOCK, repo / LOCK)
    git(repo, "add", EVAL_DIR)
    git(repo, "commit", "-q", "-m", "Import the assess holdout")
    lock = check_seal(Workspace.open(repo), "social")
    assert lock is not None and lock.n == 7 and lock.margin == 0.5 and lock.min_pass == 7.0


def test_holdout_seal_is_one_manual_commit_of_the_holdout_and_its_lock(sg, managed_repo: Path) -> None:
    repo = managed_repo
    add_evals(sg, repo, holdout=None)
    blob = git(repo, "rev-parse", "HEAD:skills/social/SKILL.md").strip()
    shutil.copy(EVALS / "gate_holdout.jsonl", repo / HOLDOUT)
    result = sg(repo, "holdout", "seal", "social", "--margin", "0.1", "--min-pass", "0.4")
    assert result.code == 0, result
    assert sorted(git(repo, "show", "--name-only", "--format=", "HEAD").split()) == [HOLDOUT, LOCK]
    digest = holdout_digest((repo / HOLDOUT).read_bytes())
    assert trailers_of(repo) == [("Skill-Event", "manual"), ("Skill-Name", "social"), ("Skill-Version", f"{blob}..{blob}")]
    assert f"Seal holdout: n=5, sha256={digest.split(':')[1]}" in git(repo, "log", "-1", "--format=%b")
    lock = json.loads((repo / LOCK).read_text())
    assert (lock["hash"], lock["n"], lock["margin"], lock["min_pass"]) == (digest, 5, 0.1, 0.4)
    assert git(repo, "status", "--porcelain") == ""


def test_margin_and_min_pass_default_to_the_config(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo)
    lock = json.loads((managed_repo / LOCK).read_text())
    assert (lock["margin"], lock["min_pass"]) == (0.05, 0.6)


def test_sealing_again_without_changes_is_refused_as_nothing_to_do(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo)
    before = snapshot(managed_repo)
    result = sg(managed_repo, "holdout", "seal", "social")
    assert result.code == 2
    lock = json.loads((managed_repo / LOCK).read_text())
    assert result.err == (f"skillgit: {HOLDOUT} is already sealed with these numbers ({lock['hash']}); "
                          "nothing to do.\n")
    assert snapshot(managed_repo) == before


def test_a_grown_holdout_is_resealed_keeping_the_locks_numbers(sg, managed_repo: Path) -> None:
    repo = managed_repo
    add_evals(sg, repo, seal_args=("--margin", "0.2"))
    with open(repo / HOLDOUT, "a") as f:
        f.write('{"id": "h6", "level": 1, "graders": [{"type": "outcome", "expect": "success"}]}\n')
    assert sg(repo, "holdout", "seal", "social").code == 0
    lock = json.loads((repo / LOCK).read_text())
    assert (lock["n"], lock["margin"]) == (6, 0.2)
    assert check_seal(Workspace.open(repo), "social") is not None


def test_an_agent_identity_cannot_seal(sg, managed_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    add_evals(sg, managed_repo, holdout=None)
    shutil.copy(EVALS / "gate_holdout.jsonl", managed_repo / HOLDOUT)
    for key, value in as_agent().items():
        monkeypatch.setenv(key, value)
    before = head(managed_repo)
    result = sg(managed_repo, "holdout", "seal", "social")
    assert result.code == 2
    assert "maintainer" in result.err
    assert head(managed_repo) == before


@pytest.mark.parametrize("content, message", [
    (None, "no holdout to seal"),
    (b'{"id": "h1", "graders": [{"type": "behavior"}]}\n', "cannot fail"),
    (b"not json\n", "not valid JSON"),
])
def test_an_absent_or_invalid_holdout_is_not_sealed(sg, managed_repo: Path, content: bytes | None, message: str) -> None:
    add_evals(sg, managed_repo, holdout=None)
    if content is not None:
        (managed_repo / HOLDOUT).write_bytes(content)
    before = head(managed_repo)
    result = sg(managed_repo, "holdout", "seal", "social")
    assert result.code == 2
    assert message in result.err
    assert head(managed_repo) == before


# -- check_seal: fail closed --------------------------------------------------------------------


def _commit_plainly(repo: Path, message: str) -> None:
    git(repo, "add", EVAL_DIR)
    git(repo, "commit", "-q", "--no-verify", "-m", message)


@pytest.mark.parametrize("tamper, expected", [
    ("append_case", "does not match"),
    ("reorder_lines", None),
    ("drop_lock", "not sealed"),
    ("drop_holdout", "is missing"),
    ("garbage_lock", "not valid JSON"),
    ("wrong_n", "says n=9"),
])
def test_a_committed_holdout_change_fails_the_seal_check_unless_it_only_reorders(
    sg, managed_repo: Path, tamper: str, expected: str | None
) -> None:
    repo = managed_repo
    add_evals(sg, repo)
    holdout, lock = repo / HOLDOUT, repo / LOCK
    if tamper == "append_case":
        holdout.write_bytes(holdout.read_bytes() + b'{"id": "h9", "level": 1, "graders": [{"type": "outcome", "expect": "success"}]}\n')
    elif tamper == "reorder_lines":
        holdout.write_bytes(b"".join(reversed(holdout.read_bytes().splitlines(keepends=True))))
    elif tamper == "drop_lock":
        lock.unlink()
    elif tamper == "drop_holdout":
        holdout.unlink()
    elif tamper == "garbage_lock":
        lock.write_text("{not json")
    else:
        data = json.loads(lock.read_text())
        lock.write_text(json.dumps({**data, "n": 9}))
    _commit_plainly(repo, f"Tamper: {tamper}")
    ws = Workspace.open(repo)
    if expected is None:
        assert check_seal(ws, "social") is not None
        return
    with pytest.raises(SealMismatch) as info:
        check_seal(ws, "social")
    assert expected in str(info.value)
    assert info.value.exit_code == 3
    assert str(info.value).endswith("`skillgit holdout seal social`.") or "skillgit holdout seal social" in str(info.value)


def test_an_uncommitted_holdout_edit_fails_the_seal_check_too(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo)
    path = managed_repo / HOLDOUT
    path.write_bytes(path.read_bytes().replace(b'"level": 4', b'"level": 1'))
    with pytest.raises(SealMismatch, match="uncommitted edit in the work tree"):
        check_seal(Workspace.open(managed_repo), "social")
    assert check_seal(Workspace.open(managed_repo), "social", worktree=False) is not None


def test_a_skill_without_holdout_has_no_seal_to_check(sg, managed_repo: Path) -> None:
    add_evals(sg, managed_repo, holdout=None)
    assert check_seal(Workspace.open(managed_repo), "social") is None


def test_the_lock_reader_accepts_bare_hex_hashes() -> None:
    lock = read_lock(b'{"hash": "' + b"A" * 64 + b'", "n": 1}')
    assert lock.hash == "sha256:" + "a" * 64
