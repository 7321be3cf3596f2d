"""What `verify` keeps while it walks: the log read ahead, history views, the skill folders, blobs read
ahead, and a whole run with every shortcut turned off giving the same report."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
from conftest import as_agent, git
from hookkit import CASES, agent_refine, commit, make_managed, refine_message

from skillgit.config import Config
from skillgit.git import BlobReader, Repo
from skillgit.git.records import log_record
from skillgit.policy import verify as verify_module
from skillgit.policy.lookups import skills_changed_lookup
from skillgit.policy.model import Change
from skillgit.policy.prefetch import BlobPrefetch, skill_file_pattern
from skillgit.policy.readahead import read_ahead
from skillgit.policy.rules import common, content
from skillgit.policy.rules.trailers import check_trailers
from skillgit.policy.trees import BlobCache, TreeFiles
from skillgit.policy.walk import HistoryView, SkillFolders, Walk
from skillgit.trailers import parse_message
from skillgit.workspace import Workspace

# -- reading ahead ---------------------------------------------------------------------------------


def test_read_ahead_hands_over_every_item_in_order_and_calls_back_per_batch() -> None:
    items = [str(i).encode() for i in range(1000)]
    seen: list[int] = []
    assert list(read_ahead(iter(items), lambda batch: seen.append(len(batch)))) == items
    assert sum(seen) == 1000 and len(seen) > 1


def test_read_ahead_raises_the_readers_error_after_the_items_read_before_it() -> None:
    def failing():  # type: ignore[no-untyped-def]
        yield b"a"
        yield b"b"
        raise RuntimeError("git log failed")

    got: list[bytes] = []
    with pytest.raises(RuntimeError, match="git log failed"):
        for item in read_ahead(failing()):
            got.append(item)
    assert got == [b"a", b"b"]


def test_a_failing_callback_does_not_lose_items() -> None:
    def boom(batch: list[bytes]) -> None:
        raise OSError("cat-file went away")

    assert list(read_ahead(iter([b"x"] * 600), boom)) == [b"x"] * 600


def test_the_walk_takes_every_batch_waiting_at_once_and_the_reader_waits_for_room() -> None:
    import threading

    from skillgit.policy.readahead import _Handoff

    box, stop = _Handoff(3), threading.Event()
    assert all(box.put(i, stop) for i in range(3))
    refused: list[bool] = []
    giver = threading.Thread(target=lambda: refused.append(box.put(3, stop)))
    giver.start()
    giver.join(0.2)
    assert giver.is_alive()  # no room: the fourth waits
    assert box.take() == [0, 1, 2]
    giver.join(5)
    assert refused == [True] and box.take() == [3]
    stop.set()
    assert box.put(4, stop) is False


# -- history views ---------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 3, 5])
def test_a_history_view_behaves_as_the_tuple_of_its_first_events(n: int) -> None:
    events: list[object] = list("abcde")
    view = HistoryView(events, n)  # type: ignore[arg-type]
    events.append("f")  # the walk goes on; the view does not grow
    want = tuple("abcde"[:n])
    assert len(view) == n and bool(view) == bool(want)
    assert tuple(view) == want and tuple(reversed(view)) == want[::-1]
    assert view[1:] == want[1:] and view[::-2] == want[::-2] and view[-3:] == want[-3:]
    for i in range(-n, n):
        assert view[i] == want[i]
    for bad in (n, -n - 1):
        with pytest.raises(IndexError):
            view[bad]
    assert ("c" in view) == ("c" in want)


# -- the skill folders follow the walk -------------------------------------------------------------


def write(repo: Path, path: str, text: str) -> None:
    (repo / path).parent.mkdir(parents=True, exist_ok=True)
    (repo / path).write_text(text, encoding="utf-8")


def commit_steps(repo: Path, steps: list[dict[str, str | None]]) -> None:
    """One commit per step: each path written with its text, or removed (None)."""
    for step in steps:
        for path, text in step.items():
            if text is None:
                git(repo, "rm", "-q", "-r", "--", path)
            else:
                write(repo, path, text)
                git(repo, "add", "--", path)
        git(repo, "commit", "-q", "-m", "step")


def history_with_every_kind_of_change(repo: Path) -> None:
    """Adds, edits, deletes, moves to the attic, a file that becomes a folder, a symlink, a submodule
    entry, a type change, odd names, a side branch and a merge."""
    git(repo, "commit", "-q", "--allow-empty", "-m", "root")
    steps: list[dict[str, str | None]] = [
        {"skills/a/SKILL.md": "a1", "skills/b/SKILL.md": "b1", "skills/b/evals/holdout.jsonl": "{}", "src/x.py": "x"},
        {"skills/a/SKILL.md": "a2", "skills/README.md": "top-level file"},
        {"skills/b/evals/holdout.jsonl": None, "skills/b/evals/holdout.lock.json": "{}"},
        {"skills/b/SKILL.md": None, "skills/b/evals/holdout.lock.json": None, "skills_attic/b/SKILL.md": "b1"},
        {"skills/c": "a file where a folder will be"},
        {"skills/c": None, "skills/c/SKILL.md": "c1", "skills/é t/SKILL.md": "odd name", 'skills/q"uote/SKILL.md': "q"},
        {"src/y.py": "only outside the roots"},
    ]
    commit_steps(repo, steps)
    os.symlink("SKILL.md", repo / "skills" / "a" / "link")
    git(repo, "add", "skills/a/link")
    oid = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{oid},skills/a/sub")
    git(repo, "commit", "-q", "-m", "symlink and submodule")
    (repo / "skills" / "a" / "link").unlink()
    write(repo, "skills/a/link", "now a file")
    git(repo, "add", "skills/a/link")
    git(repo, "commit", "-q", "-m", "type change")
    git(repo, "checkout", "-q", "-b", "side", "HEAD~3")
    write(repo, "skills/d/SKILL.md", "d on a branch")
    git(repo, "add", "-A", "skills")
    git(repo, "commit", "-q", "-m", "side")
    git(repo, "checkout", "-q", "-")
    git(repo, "merge", "-q", "--no-edit", "side")
    write(repo, "skills/a/SKILL.md", "a3 after the merge")
    git(repo, "add", "skills/a/SKILL.md")
    git(repo, "commit", "-q", "-m", "after merge")


PREFIXES = ["skills", "skills_attic", "skills/a", "skills/a/SKILL.md", "skills/b", "skills/b/evals",
            "skills/b/evals/holdout.jsonl", "skills_attic/b", "skills/c", "skills/c/SKILL.md", "skills/d",
            "skills/README.md", "skills/é t", 'skills/q"uote/SKILL.md', "skills/a/sub", "skills/a/link", "skills/zz"]


def test_the_skill_folders_answer_every_lookup_as_git_does_at_every_commit(empty_repo: Path) -> None:
    history_with_every_kind_of_change(empty_repo)
    repo = Repo.discover(empty_repo)
    chunks = list(repo.iter_log_chunks("--topo-order", "--reverse", "HEAD", "--", raw=True))
    with repo.blob_reader() as reader:
        folders = SkillFolders(reader, ("skills", "skills_attic"))
        answered = 0
        for chunk in chunks:
            record = log_record(chunk)
            if len(record.parents) > 1:
                folders.follow_merge(record.commit, record.parents)
            elif any(f.path.startswith(("skills/", "skills_attic/")) for f in record.files):
                folders.advance(record.commit, record.parents, record.files)
            else:  # as verify moves over a commit it does not parse
                folders.step(record.commit, " ".join(record.parents))
            plain = TreeFiles(reader, record.commit)
            for prefix in PREFIXES:
                known = folders.lookup(record.commit, prefix)
                if known is not None:
                    answered += 1
                    assert known == dict(plain(prefix)), (record.commit, prefix)
                fast = TreeFiles(reader, record.commit, folders)
                assert dict(fast(prefix)) == dict(plain(prefix)), (record.commit, prefix)
        assert answered > len(PREFIXES) * len(chunks) // 2
        assert folders.lookup("someother", "skills") is None


def test_the_skills_listed_from_the_folders_are_those_a_listing_of_the_tree_gives(empty_repo: Path) -> None:
    """Skills inside skills, category folders, a name in two folders: kept across adds and removes."""
    repo = empty_repo
    git(repo, "commit", "-q", "--allow-empty", "-m", "root")
    steps: list[dict[str, str | None]] = [
        {"skills/a/SKILL.md": "a", "skills/a/inner/SKILL.md": "inside a", "skills/.curated/x/SKILL.md": "x"},
        {"skills/d/SKILL.md": "d", "skills/.curated/d/SKILL.md": "d again", "skills/a/notes.md": "n"},
        {"skills/a/SKILL.md": None},  # inner is a skill of its own now
        {"skills/a/SKILL.md": "a back", "skills/.curated/x/SKILL.md": None, "skills_attic/x/SKILL.md": "x"},
        {"skills/d/SKILL.md": None, "skills/a/inner/deeper/SKILL.md": "deeper"},
        {"skills/a/SKILL.md": "a edited"},
    ]
    commit_steps(repo, steps)
    layout = Config.defaults().layout
    chunks = list(Repo.discover(repo).iter_log_chunks("--topo-order", "--reverse", "HEAD", "--", raw=True))
    with BlobReader(repo) as reader:
        folders = SkillFolders(reader, layout.scan_roots)
        for chunk in chunks:
            record = log_record(chunk)
            folders.advance(record.commit, record.parents, record.files)
            plain = TreeFiles(reader, record.commit)
            want: dict[tuple[str, str], str] = {}
            files = [path for root in layout.scan_roots for path in plain(root)]
            for place in layout.skill_files(files).values():
                want.setdefault((place.name, place.location), place.dir)
            assert folders.skill_places(record.commit, layout) == want, record.commit
            assert TreeFiles(reader, record.commit, folders).skill_places(layout) == want
        assert folders.skill_places("someother", layout) is None


def test_overlapping_roots_are_left_to_git(empty_repo: Path) -> None:
    with BlobReader(empty_repo) as reader:
        folders = SkillFolders(reader, ("skills", "skills/attic"))
        folders.advance("c", [], None)
        assert not folders.usable and folders.lookup("c", "skills/x") is None


# -- blobs read ahead ------------------------------------------------------------------------------


def test_read_many_answers_as_one_read_at_a_time(empty_repo: Path) -> None:
    history_with_every_kind_of_change(empty_repo)
    repo = Repo.discover(empty_repo)
    commits = git(empty_repo, "rev-list", "HEAD").split()
    specs = [f"{c}:{p}" for c in commits for p in ("skills/a/SKILL.md", "skills", "nope")] + ["bad\nspec", "HEAD"]
    specs = specs * 30  # more than fits in one pipe buffer
    with repo.blob_reader() as reader:
        assert reader.read_many(specs) == [reader.read_object(s) for s in specs]
        assert reader.read_many([]) == []


def test_the_prefetch_pattern_finds_skill_files_added_changed_or_removed_under_the_roots() -> None:
    z, a, b = "0" * 40, "a" * 40, "b" * 40
    raw = "\n".join([
        f":000000 100644 {z} {a} A\tskills/x/SKILL.md",
        f":100644 100644 {a} {b} M\tskills_attic/y/SKILL.md",
        f":100644 000000 {a} {z} D\tskills/gone/SKILL.md",
        f":100644 100644 {a} {b} M\tskills/x/notes.md",
        f":100644 100644 {a} {b} M\tskills/x/deep/SKILL.md",
        f":100644 100644 {a} {b} M\tother/x/SKILL.md",
        f':100644 100644 {a} {b} M\t"skills/\\303\\251/SKILL.md"',
    ]).encode()
    assert skill_file_pattern(["skills", "skills_attic/"]).findall(raw) == [
        (z.encode(), a.encode()), (a.encode(), b.encode()), (a.encode(), z.encode()),
    ]


def test_the_prefetch_fills_the_blob_cache_from_a_batch_of_records(empty_repo: Path) -> None:
    history_with_every_kind_of_change(empty_repo)
    repo = Repo.discover(empty_repo)
    chunks = list(repo.iter_log_chunks("HEAD", raw=True))
    a2 = git(empty_repo, "rev-parse", "HEAD~1:skills/a/SKILL.md").strip()
    with repo.blob_reader() as reader:
        cache = BlobCache(reader)
        prefetch = BlobPrefetch(repo.root, cache)
        prefetch(chunks)
        assert a2 not in cache  # nothing before `watch`
        prefetch.watch(["skills", "skills_attic"])
        prefetch(chunks)
        prefetch.close()
        assert a2 in cache and cache(a2) == reader.read(a2)


# -- caches that must not change answers -----------------------------------------------------------


def test_parsed_skills_are_reused_and_the_cache_stays_within_its_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "_PARSED", {})
    monkeypatch.setattr(common, "_cached_bytes", [0])
    monkeypatch.setattr(common, "_CACHE_MAX_BYTES", 300)
    texts = [f"---\nname: s{i}\ndescription: d\n---\nbody {i}\n".encode() for i in range(20)]
    first = common.load_skill(texts[0], "skills/s0/SKILL.md")
    assert common.load_skill(texts[0], "skills/s0/SKILL.md") is first
    for i, raw in enumerate(texts):
        common.load_skill(raw, f"skills/s{i}/SKILL.md")
    assert common._cached_bytes[0] <= 300
    assert common._cached_bytes[0] == sum(len(k[0]) for k in common._PARSED)


def test_trailer_problems_come_back_as_a_new_list_each_time() -> None:
    message = parse_message("t\n\nSkill-Event: bogus\n")
    first = check_trailers(message)
    first.clear()
    assert [p.rule for p in check_trailers(message)] == ["SG001"]


# -- a whole run: every shortcut off gives the same report ----------------------------------------


def all_shortcuts_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SkillFolders, "lookup", lambda self, commit, prefix: None)
    monkeypatch.setattr(BlobPrefetch, "__call__", lambda self, batch: None)
    monkeypatch.setattr(verify_module, "plain_roots", lambda roots: False)
    monkeypatch.setattr(verify_module, "HistoryView", tuple)
    monkeypatch.setattr(verify_module, "_same_as_work_tree", lambda ws, committed, rev: None)
    monkeypatch.setattr(content, "_counted", lambda change, config: None)
    monkeypatch.setattr(content, "within", lambda old, new, _added, _removed: content.line_counts(old, new))

    def since(self: Walk, ws: Workspace, parent: str | None):  # type: ignore[no-untyped-def]
        return skills_changed_lookup(ws.repo, parent, ws.layout)

    monkeypatch.setattr(Walk, "since", since)

    def placer(self: verify_module._Run, change: Change | None):  # type: ignore[no-untyped-def]
        # the walk places each path itself, in the tree after the commit, instead of taking the rules' places
        assert change is not None and self.config is not None
        touched = {f.path for f in change.files}
        after = TreeFiles(self.reader, change.commit or "", self.folders)
        return lambda path: self.config.layout.place(
            path, lambda folder: f"{folder}/SKILL.md" in touched or bool(after(f"{folder}/SKILL.md")))

    monkeypatch.setattr(verify_module._Run, "_placer", placer)


def test_verify_reports_the_same_with_every_shortcut_off(empty_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_managed(empty_repo, hooks=False)
    for case in CASES:
        try:
            text, env = case.stage(repo)
        except Exception:  # a case that needs a state an earlier case changed: leave it out
            git(repo, "reset", "-q", "--hard")
            git(repo, "clean", "-q", "-fd")
            continue
        assert commit(repo, text, env=env, no_verify=True).returncode == 0
    agent_refine(repo, "social", tag="after")
    git(repo, "checkout", "-q", "-b", "side", "HEAD~2")
    name = sorted(p.parent.name for p in (repo / "skills").glob("*/SKILL.md"))[0]
    (repo / "skills" / name / "SKILL.md").write_text(f"---\nname: {name}\n---\nbroken on a branch\n")
    git(repo, "add", "-A")
    commit(repo, refine_message(repo, name), env=as_agent(), no_verify=True)
    git(repo, "checkout", "-q", "-")
    git(repo, "merge", "-q", "--no-edit", "side")
    git(repo, "revert", "--no-edit", "HEAD~1")
    ws = Workspace.open(repo)
    fast = verify_module.verify(ws, "HEAD")
    part = verify_module.verify(ws, "HEAD~4..HEAD")
    assert fast.violations and {v.rule for v in fast.violations} >= {"SG002", "SG004", "SG006", "SG007"}
    with monkeypatch.context() as m:
        all_shortcuts_off(m)
        assert verify_module.verify(ws, "HEAD") == dataclasses.replace(fast)
        assert verify_module.verify(ws, "HEAD~4..HEAD") == part


def test_a_closed_prefetch_reads_nothing_more(empty_repo: Path) -> None:
    history_with_every_kind_of_change(empty_repo)
    repo = Repo.discover(empty_repo)
    chunks = list(repo.iter_log_chunks("HEAD", raw=True))
    with repo.blob_reader() as reader:
        cache = BlobCache(reader)
        prefetch = BlobPrefetch(repo.root, cache)
        prefetch.watch(["skills"])
        prefetch.close()
        prefetch(chunks)
        assert prefetch._reader._proc is None  # no cat-file started after close
        assert git(empty_repo, "rev-parse", "HEAD~1:skills/a/SKILL.md").strip() not in cache


# -- SG008 counted from the skills changed since the last create ----------------------------------


def _skill_text(name: str, keywords: list[str], *, status: str | None, core: bool) -> str:
    lines = ["---", f"name: {name}", f"description: Recover from {name} failures", "origin: yoyo",
             f"keywords: [{', '.join(keywords)}]"]
    lines += [f"status: {status}"] if status else []
    lines += ["core: true"] if core else []
    return "\n".join([*lines, "---", "", f"# {name}", "", "Check the output before retrying.", ""])


def _history_of_creates(repo: Path, overlap: int, seed: int) -> None:
    """Agent creates (overlapping keywords, every status, core or not), refines that change keywords,
    status and core, retires, a maintainer's deletion, a nested and an unparseable SKILL.md."""
    import random

    rng = random.Random(seed)
    make_managed(repo, hooks=False)
    config = repo / "skillgit.yaml"
    config.write_text(config.read_text() + f"policy:\n  max_active: 6\n  max_non_core: 7\n  keyword_overlap: {overlap}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Tighten the limits")
    pool = ["flaky", "ci", "rerun", "docs", "lint", "Release", "release ", "gh api"]
    names: list[str] = []
    for step in range(36):
        roll = rng.random()
        live = [n for n in names if (repo / "skills" / n / "SKILL.md").exists()]
        if roll < 0.45 or not live:
            name = f"s{step}" if step % 7 else f"s{step}-x"  # `s1-x` sorts after `s1` by name, before it by path
            names.append(name)
            kind, path = "create", f"skills/{name}/SKILL.md"
            text = _skill_text(name, rng.sample(pool, rng.randint(0, 3)), status=rng.choice([None, "active", "candidate", "retired"]),
                               core=rng.random() < 0.2)
        elif roll < 0.75:
            name = rng.choice(live)
            kind, path = "refine", f"skills/{name}/SKILL.md"
            text = _skill_text(name, rng.sample(pool, rng.randint(0, 3)), status=rng.choice([None, "refined", "candidate"]),
                               core=rng.random() < 0.3)
        elif roll < 0.85:
            name = rng.choice(live)
            (repo / "skills_attic").mkdir(exist_ok=True)
            git(repo, "mv", f"skills/{name}", f"skills_attic/{name}")
            commit(repo, f"skillgit: retire {name}\n\nSkill-Event: retire\nSkill-Name: {name}\n", env=as_agent(), no_verify=True)
            continue
        elif roll < 0.92:
            name = rng.choice(live)
            git(repo, "rm", "-q", "-r", f"skills/{name}")
            commit(repo, f"Drop {name}\n", no_verify=True)
            continue
        else:
            name = f"odd{step}"
            kind, path = "create", rng.choice([f"skills/cat/{name}/SKILL.md", f"skills/{name}/SKILL.md"])
            text = "---\nname: [unclosed\n---\n" if path.count("/") == 2 else _skill_text(name, ["ci"], status=None, core=False)
        write(repo, path, text)
        git(repo, "add", "-A")
        commit(repo, f"skillgit: {kind} {name}\n\nSkill-Event: {kind}\nSkill-Name: {name}\n", env=as_agent(), no_verify=True)


@pytest.mark.parametrize(("overlap", "seed"), [(1, 1), (2, 2), (1, 3)])
def test_sg008_counted_from_the_changes_since_the_last_create_as_from_the_whole_tree(
        empty_repo: Path, monkeypatch: pytest.MonkeyPatch, overlap: int, seed: int) -> None:
    _history_of_creates(empty_repo, overlap, seed)
    ws = Workspace.open(empty_repo)
    ranges = ["HEAD", "HEAD~9..HEAD", "HEAD~30..HEAD~4"]
    counted = [verify_module.verify(ws, spec) for spec in ranges]  # each starts from the count the one before left
    checks = {v.check for r in counted for v in r.violations if v.rule == "SG008"}
    assert checks == {"max-active", "max-non-core", "keyword-overlap"}
    with monkeypatch.context() as m:
        m.setattr(content, "_counted", lambda change, config: None)  # every create lists the whole tree
        assert [verify_module.verify(ws, spec) for spec in ranges] == counted
    with monkeypatch.context() as m:
        # each create compares the listing of every SKILL.md with the last one, not the walk's changes since
        m.setattr(SkillFolders, "skill_changes", lambda self, commit, root, since: None)
        assert [verify_module.verify(ws, spec) for spec in ranges] == counted
    content._COUNTED.clear()
    assert [verify_module.verify(ws, spec) for spec in reversed(ranges)] == counted[::-1]
