"""The shortcuts `verify` takes give the same answers as the plain definitions they replace."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import git
from hypothesis import given
from hypothesis import strategies as st

from skillgit import trailers as T
from skillgit.config import Config
from skillgit.events import CYCLE_EVENTS, EVENT_TYPES, Event
from skillgit.git import BlobReader, Repo
from skillgit.policy.rules.history import REAL_EVENTS, _real_events_before, thrash_window
from skillgit.policy.trees import BlobCache, TreeFiles, parse_tree
from skillgit.trailers import Message, Trailers, _separator_pos


def is_agent_email(email: str, config: Config) -> bool:
    return config.agent.is_agent(email)


# -- trailers --------------------------------------------------------------------------------------


def reference_separator_pos(line: str) -> int:
    """git's find_separator, character by character (what the regular expression replaces)."""
    whitespace_found = False
    for i, ch in enumerate(line):
        if ch == ":":
            return i
        if not whitespace_found and (ch.isascii() and (ch.isalnum() or ch == "-")):
            continue
        if i != 0 and ch in " \t":
            whitespace_found = True
            continue
        break
    return -1


@given(st.text(alphabet="aZ09-_: \t\u00e9\u0660\u212a#x", max_size=12))
def test_the_separator_is_found_where_gits_scan_finds_it(line: str) -> None:
    assert _separator_pos(line) == reference_separator_pos(line)


def test_trailer_lookups_are_case_insensitive_and_keep_every_value_in_order() -> None:
    tr = Trailers((("Skill-Event", "refine"), ("skill-name", "a"), ("SKILL-NAME", "b"), ("Other", "x")))
    assert tr.get("Skill-Name") == "b"
    assert tr.get_all("skill-name") == ["a", "b"]
    assert tr.get("missing") is None and tr.get_all("missing") == []
    assert "skill-event" in tr and "Nope" not in tr and 3 not in tr
    tr.get_all("skill-name").append("c")
    assert tr.get_all("Skill-Name") == ["a", "b"]


def test_an_indexed_trailer_block_still_compares_and_hashes_by_its_items() -> None:
    a, b = Trailers((("K", "v"),)), Trailers((("K", "v"),))
    assert a.get("k") == "v"
    assert a == b and hash(a) == hash(b)


# -- history rules ---------------------------------------------------------------------------------

WHEN = datetime(2024, 1, 1, tzinfo=UTC)
KINDS = [*EVENT_TYPES, None]


def event(i: int, kind: str | None, cycle: bool, email: str) -> Event:
    pairs = [(T.EVENT, kind)] if kind else []
    if cycle:
        pairs.append((T.TRIGGER, "5 new sessions"))
    message = Message(f"event {i}", "", Trailers(tuple(pairs)))
    return Event(f"{i:040x}", (f"{i + 1000:040x}",), "n", email, WHEN, message, kind)


histories = st.lists(
    st.tuples(st.sampled_from(KINDS), st.booleans(), st.sampled_from(["bot@x.org", "dev@x.org"])), max_size=30
).map(lambda rows: [event(i, *row) for i, row in enumerate(rows)])


def reference_thrash_window(history: list[Event], cycles: int) -> tuple[int, str | None, str] | None:
    """The window as first written: every init and every cycle event, collected front to back."""
    if not history:
        return None
    inits = [i for i, e in enumerate(history) if e.kind == "init"]
    after = inits[-1] + 1 if inits else 0
    ring = [i for i in range(after, len(history)) if history[i].is_cycle]
    if len(ring) >= cycles:
        start = ring[-cycles]
        e = history[start]
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(cycles, "th")
        return start, (e.parents[0] if e.parents else None), f"since {e.commit[:12]}, the {cycles}{suffix} most recent cycle event"
    if inits:
        init = history[inits[-1]]
        return after, init.commit, f"since the init event {init.commit[:12]} (fewer than {cycles} cycle events since)"
    first = history[0]
    return 0, (first.parents[0] if first.parents else None), f"since {first.commit[:12]}, the first event"


@given(histories, st.integers(min_value=1, max_value=5))
def test_the_thrash_window_read_backwards_is_the_window_read_forwards(history: list[Event], cycles: int) -> None:
    want = reference_thrash_window(history, cycles)
    assert thrash_window(history, cycles) == (None if want is None else (len(history) - want[0], *want[1:]))


@given(histories, st.integers(min_value=0, max_value=4))
def test_counting_real_agent_events_stops_at_the_threshold_with_the_same_verdict(history: list[Event], enough: int) -> None:
    config = Config.from_text("agent:\n  identities: ['bot@*']\n")
    every = [e for e in history if e.kind in REAL_EVENTS and (e.is_cycle or is_agent_email(e.author_email, config))]
    assert _real_events_before(history, config, enough) == min(len(every), max(enough, 0))


def test_a_cycle_event_is_one_of_the_cycle_types_carrying_a_trigger() -> None:
    assert event(1, "refine", True, "a@b").is_cycle
    assert not event(2, "refine", False, "a@b").is_cycle
    assert not event(3, "manual", True, "a@b").is_cycle
    assert "manual" not in CYCLE_EVENTS


# -- trees and blobs -------------------------------------------------------------------------------


@pytest.fixture
def tree_repo(empty_repo: Path) -> Path:
    files = {
        "skillgit.yaml": "version: 1\n",
        "skills/a/SKILL.md": "a\n",
        "skills/a/evals/holdout.jsonl": "{}\n",
        "skills/a/evals/deep/x.txt": "x\n",
        "skills/b/SKILL.md": "b\n",
        "skills/b c/SKILL.md": "spaced\n",
        "skills/é/SKILL.md": "accent\n",
        "skills_attic/c/SKILL.md": "c\n",
    }
    for path, text in files.items():
        (empty_repo / path).parent.mkdir(parents=True, exist_ok=True)
        (empty_repo / path).write_text(text, encoding="utf-8")
    (empty_repo / "skills" / "link").symlink_to("a/SKILL.md")
    git(empty_repo, "add", "-A")
    git(empty_repo, "commit", "-q", "-m", "files")
    return empty_repo


PREFIXES = [
    "", "skills", "skills/", "skills/a", "skills/a/SKILL.md", "skills/a/evals", "skills/a/evals/holdout.jsonl",
    "skills/a/evals/holdout.lock.json", "skills/a/evals/deep", "skills/a/evals/deep/x.txt", "skills/a/SKILL.md/x",
    "skills/b c/SKILL.md", "skills/é/SKILL.md", "skills/link", "skills/missing/SKILL.md", "skills_attic/c/evals/holdout.jsonl",
    "skills_attic/c", "skillgit.yaml", "nope", "skills/./a/SKILL.md", "skills//a",
]


def reference_list(reader: BlobReader, tree: str, prefix: str) -> dict[str, str]:
    """The listing as first written: `rev:prefix` through cat-file, then every subtree read in turn."""
    prefix = prefix.strip("/")
    found = reader.read_object(f"{tree}:{prefix}" if prefix else f"{tree}^{{tree}}")
    if found is None:
        return {}
    if found[1] == "blob":
        return {prefix: found[0]}
    out: dict[str, str] = {}
    stack = [(found[0], prefix)]
    while stack:
        oid, base = stack.pop()
        for mode, name, child in reader.tree_entries(oid) or ():
            path = f"{base}/{name}" if base else name
            if mode == "40000":
                stack.append((child, path))
            elif mode != "160000":
                out[path] = child
    return out


@pytest.mark.parametrize("prefix", PREFIXES)
def test_tree_lookups_list_what_git_lists_for_the_same_prefix(tree_repo: Path, prefix: str) -> None:
    repo = Repo.discover(tree_repo)
    head = repo.resolve("HEAD")
    with repo.blob_reader() as reader:
        expected = reference_list(reader, head, prefix)
        if "/./" not in prefix and "//" not in prefix:
            assert expected == {path: oid for path, (_mode, oid) in repo.tree_files(head, prefix.strip("/")).items()}
        assert dict(TreeFiles(reader, head)(prefix)) == expected
        tree = repo.run("rev-parse", "HEAD^{tree}").strip()
        assert dict(TreeFiles(reader, lambda: tree)(prefix)) == expected


def test_a_tree_lookup_answers_siblings_from_one_read_of_their_folder(tree_repo: Path) -> None:
    repo = Repo.discover(tree_repo)
    with repo.blob_reader() as reader:
        calls: list[str] = []
        real = reader.read_object

        def counted(spec: str) -> tuple[str, str, bytes] | None:
            calls.append(spec)
            return real(spec)

        reader.read_object = counted  # type: ignore[method-assign]
        files = TreeFiles(reader, repo.resolve("HEAD"))
        for path in ("skills/a/SKILL.md", "skills/a/evals/holdout.jsonl", "skills/a/evals/holdout.lock.json", "skills/a/x"):
            files(path)
        assert len([c for c in calls if c.endswith(":skills/a")]) == 1


def test_a_tree_is_parsed_into_its_entries(tree_repo: Path) -> None:
    repo = Repo.discover(tree_repo)
    with repo.blob_reader() as reader:
        found = reader.read_object("HEAD:skills")
        assert found is not None
        entries = parse_tree(found[0], found[2])
    assert sorted(entries) == ["a", "b", "b c", "link", "é"]
    assert entries["a"][0] == "40000" and entries["link"][0] == "120000"
    assert entries["é"][1] == repo.run("rev-parse", "HEAD:skills/é").strip()


def test_the_blob_cache_reads_each_blob_once_and_stays_within_its_bound(tree_repo: Path) -> None:
    repo = Repo.discover(tree_repo)
    a = repo.run("rev-parse", "HEAD:skills/a/SKILL.md").strip()
    b = repo.run("rev-parse", "HEAD:skills/b/SKILL.md").strip()
    with repo.blob_reader() as reader:
        reads: list[str] = []
        real = reader.read

        def counted(oid: str) -> bytes:
            reads.append(oid)
            return real(oid)

        reader.read = counted  # type: ignore[method-assign]
        cache = BlobCache(reader, max_bytes=2)
        assert cache(a) == b"a\n" and cache(a) == b"a\n"
        assert reads == [a]
        assert cache(b) == b"b\n" and cache(a) == b"a\n"
        assert reads == [a, b, a]


# -- config ----------------------------------------------------------------------------------------
