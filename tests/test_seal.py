"""The holdout seal: the digest equals `LC_ALL=C sort FILE | sha256sum` and OrchestKit's real lock."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest
from conftest import CORPUS, CORPUS_FIX, SAMPLES, needs
from hypothesis import given, settings
from hypothesis import strategies as st

from skillgit.errors import SealMismatch, UsageError
from skillgit.evals.seal import case_count, holdout_digest, read_lock, seal

PEERS = CORPUS / "peers"
HOLDOUT = PEERS / "yonatangross__orchestkit__src__skills__assess__evals__holdout.jsonl"
LOCK = PEERS / "yonatangross__orchestkit__src__skills__assess__evals__holdout.lock.json"
needs_corpus = needs(HOLDOUT.exists(), f"{HOLDOUT.relative_to(CORPUS)} of {CORPUS_FIX}")


def sort_sha256(data: bytes) -> str:
    """The oracle: what OrchestKit's `sealed_with` command prints."""
    out = subprocess.run(["sort"], input=data, capture_output=True, check=True, env={**os.environ, "LC_ALL": "C"}).stdout
    return "sha256:" + hashlib.sha256(out).hexdigest()


@needs_corpus
def test_the_orchestkit_holdout_digest_equals_the_hash_in_its_lock() -> None:
    assert holdout_digest(HOLDOUT.read_bytes()) == read_lock(LOCK.read_bytes()).hash


@needs_corpus
def test_the_orchestkit_lock_reads_with_its_numbers_and_keeps_other_keys() -> None:
    lock = read_lock(LOCK.read_bytes(), str(LOCK))
    assert (lock.n, lock.margin, lock.min_pass) == (7, 0.5, 7.0)
    assert lock.extra["schema"] == "ork-holdout/1.0"
    assert lock.matches(HOLDOUT.read_bytes())
    assert case_count(HOLDOUT.read_bytes()) == 7


@pytest.mark.parametrize("sample", sorted(p.name for p in (SAMPLES / "seal").glob("*.jsonl")))
def test_the_digest_agrees_with_sort_and_sha256sum(sample: str) -> None:
    data = (SAMPLES / "seal" / sample).read_bytes()
    assert holdout_digest(data) == sort_sha256(data)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=12).map(lambda b: b.replace(b"\n", b"")), max_size=8), st.booleans())
def test_the_digest_agrees_with_sort_for_any_lines(lines: list[bytes], final_newline: bool) -> None:
    data = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
    assert holdout_digest(data) == sort_sha256(data)


def test_line_order_and_the_final_newline_do_not_change_the_digest() -> None:
    assert holdout_digest(b'{"id":"a"}\n{"id":"b"}\n') == holdout_digest(b'{"id":"b"}\n{"id":"a"}')


def test_a_changed_case_changes_the_digest() -> None:
    assert holdout_digest(b'{"id":"a"}\n') != holdout_digest(b'{"id":"a "}\n')


def test_a_lock_made_by_seal_round_trips_through_its_bytes() -> None:
    data = b'{"id":"h1"}\n{"id":"h2"}\n'
    lock = seal(data, margin=0.05, min_pass=0.6, frozen_at="2026-01-01")
    again = read_lock(lock.dumps())
    assert again == lock and again.extra == {"frozen_at": "2026-01-01"} and again.n == 2


def test_a_lock_with_bare_uppercase_hex_is_read_as_sha256() -> None:
    digest = holdout_digest(b"x\n")
    assert read_lock(f'{{"hash": "{digest[7:].upper()}"}}').hash == digest


def test_check_raises_seal_mismatch_naming_the_place() -> None:
    lock = seal(b"a\n", margin=0.1, min_pass=0.5)
    with pytest.raises(SealMismatch) as info:
        lock.check(b"b\n", "skills/x/evals/holdout.jsonl")
    assert str(info.value).startswith("skills/x/evals/holdout.jsonl: holdout digest sha256:")
    assert info.value.exit_code == 3


def test_a_lock_whose_n_disagrees_does_not_match() -> None:
    lock = read_lock('{{"hash": "{}", "n": 3}}'.format(holdout_digest(b"a\nb\n")))
    assert not lock.matches(b"a\nb\n")


@pytest.mark.parametrize(("text", "expected"), [
    ("[]", "lock.json: the lock must be a JSON object with a `hash`; re-seal the holdout to rewrite it."),
    ("{}", "lock.json: key `hash` is missing or not a string; re-seal the holdout to write `sha256:<hex>`."),
    ('{"hash": "md5:abc"}', "lock.json: key `hash` is 'md5:abc', not `sha256:` and 64 hex digits; re-seal the holdout."),
    ('{"hash": "%s", "n": -1}' % ("0" * 64), "lock.json: key `n` is -1, not a case count; re-seal the holdout."),
    ('{"hash": "%s", "margin": "x"}' % ("0" * 64),
     "lock.json: key `margin` is 'x', not a number ≥ 0; fix it and re-seal the holdout."),
    ("{", "lock.json:1: not valid JSON (Expecting property name enclosed in double quotes); re-seal the holdout to rewrite the lock."),
])
def test_a_malformed_lock_is_a_usage_error_naming_the_key(text: str, expected: str) -> None:
    with pytest.raises(UsageError) as info:
        read_lock(text.encode(), "lock.json")
    assert str(info.value) == expected


def test_a_lock_that_is_not_utf8_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not valid UTF-8 at byte 0"):
        read_lock(b"\xff{}", "lock.json")
