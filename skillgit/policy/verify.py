"""`skillgit verify`: every commit of a range checked with the rules, in one `git log --raw` pass.

The config is the one committed at the range's base, so a branch cannot loosen the rules and
profit in the same range (a base without skillgit.yaml: the config of the range's `init` event).
Commits before the first `init` event are not managed and not checked. The events before each
commit (its `history`) start from the events reachable from the base and grow as the walk goes
oldest → newest. A merge commit is checked for its message only; the commits it brings in are in
the range and checked on their own. A plain `git revert` of an event is accepted without trailers
when it undoes that event exactly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from skillgit import trailers as T
from skillgit.config import CONFIG_FILE, Config
from skillgit.errors import UsageError
from skillgit.git import LogRecord
from skillgit.policy.changes import (
    build_change,
    file_changes,
    is_exact_revert,
    mentions_governed,
    revert_target,
    tree_lookup,
)
from skillgit.policy.model import FileChange, Violation

if TYPE_CHECKING:
    from skillgit.events import Event
    from skillgit.workspace import Workspace

SIGNED_RULE = ("SG100", "signed-agent")
_NONE: frozenset[str] = frozenset()
GOOD_SIGNATURES = ("G", "U")


@dataclass(frozen=True)
class Range:
    """What to check: commits reachable from `head` and not from `base` (None: all history)."""

    spec: str
    base: str | None
    head: str

    @property
    def log_args(self) -> list[str]:
        return [f"{self.base}..{self.head}"] if self.base else [self.head]


@dataclass(frozen=True)
class Report:
    range: Range
    commits: int
    """Commits in the range."""
    checked: int
    """Commits the rules looked at (managed commits)."""
    violations: tuple[Violation, ...]
    config_source: str

    @property
    def ok(self) -> bool:
        return not self.violations

    def to_json(self) -> dict[str, object]:
        return {
            "range": self.range.spec,
            "base": self.range.base,
            "head": self.range.head,
            "commits": self.commits,
            "checked": self.checked,
            "config": self.config_source,
            "ok": self.ok,
            "violations": [v.to_json() for v in self.violations],
        }


def resolve_range(ws: Workspace, spec: str | None) -> Range:
    """`A..B`, `A...B` (from their merge base), `REV` (all its history) or None (upstream..HEAD, else all).

    An all-zero `A` (the `before` of a new branch's push) means: from where the branch left the
    remote's default branch (`origin/HEAD`), else all history.
    """
    repo = ws.repo
    if repo.head() is None and spec is None:
        raise UsageError("the repository has no commits yet; nothing to verify.")
    if spec is None:
        upstream = repo.run("rev-parse", "-q", "--verify", "@{upstream}", check=False).strip()
        head = repo.resolve("HEAD")
        if upstream:
            return Range(f"{upstream[:12]}..HEAD", repo.merge_base(upstream, head) or upstream, head)
        return Range("HEAD", None, head)
    if spec.startswith("-"):
        raise UsageError(f"{spec!r} is not a range; pass BASE..HEAD, e.g. `skillgit verify origin/main..HEAD`.")
    if "..." in spec:
        left, right = spec.split("...", 1)
        head = repo.resolve(right or "HEAD")
        base = repo.merge_base(repo.resolve(left or "HEAD"), head)
        return Range(spec, base, head)
    if ".." in spec:
        left, right = spec.split("..", 1)
        head = repo.resolve(right or "HEAD")
        if left and set(left) == {"0"}:
            default = repo.run("rev-parse", "-q", "--verify", "refs/remotes/origin/HEAD", check=False).strip()
            return Range(spec, repo.merge_base(default, head) if default else None, head)
        return Range(spec, _resolve_base(ws, left or "HEAD"), head)
    return Range(spec, None, repo.resolve(spec))


def _resolve_base(ws: Workspace, rev: str) -> str:
    out = ws.repo.run("rev-parse", "-q", "--verify", f"{rev}^{{commit}}", check=False).strip()
    if not out:
        raise UsageError(
            f"{rev}: the range's base is not in this clone; fetch the full history "
            "(actions/checkout with `fetch-depth: 0`, or `git fetch --unshallow`) and run verify again."
        )
    return out


def verify(ws: Workspace, spec: str | None = None, *, require_signed_agent: bool = False) -> Report:
    """Check every commit of the range; the Report lists each violation with commit, rule, path and fix."""
    from skillgit.operations import load_config_at
    from skillgit.policy.engine import check, memo_config
    from skillgit.policy.trees import BlobCache
    from skillgit.workspace import Workspace

    rng = resolve_range(ws, spec)
    repo = ws.repo
    config: Config | None = None
    history: list[Event] = []
    if rng.base is not None:
        if repo.read_file(rng.base, CONFIG_FILE) is not None:
            config = memo_config(load_config_at(ws, rng.base))
        history = events_before(ws, rng.base)
    managed = any(e.kind == "init" for e in history)
    scope: Workspace | None = None
    roots: tuple[str, ...] = ()
    agents: dict[str, bool] = {}
    walk = Walk()
    touched: dict[str, tuple[FileChange, ...]] = {}
    violations: list[Violation] = []
    commits = checked = 0
    # Read newest first and parse events while git is still producing the log (two processes, two
    # cores), then walk oldest first.
    records = [
        (record, _event_of(record) if mentions_governed(record.message) else None)
        for record in repo.iter_log("--topo-order", *rng.log_args, "--", raw=True, signatures=require_signed_agent)
    ]
    records.reverse()
    with repo.blob_reader() as reader:
        read_blob = BlobCache(reader)
        for record, event in records:
            commits += 1
            governed = event is not None or mentions_governed(record.message)
            if not managed and event is not None and event.kind == "init":
                managed = True
            if config is None and managed:
                config = memo_config(load_config_at(ws, record.commit))
            if not managed or config is None:
                if event is not None:
                    history.append(event)
                walk.skip(record.commit)
                continue
            if scope is None:
                scope = Workspace(repo, config)
                roots = (scope.skills_root + "/", scope.attic_root + "/")
            checked += 1
            merge = len(record.parents) > 1
            raw = () if merge else record.files
            in_skills = any(c.path.startswith(roots) for c in raw)
            email = record.author_email
            if email not in agents:
                agents[email] = scope.is_agent(email)
            agent = agents[email] or (event is not None and event.is_cycle)
            files: tuple[FileChange, ...] = ()
            if agent or governed or in_skills:
                files = file_changes(raw)
                if event is not None:
                    touched[record.commit] = files
                revert_of = _exact_revert_of(ws, record, files, touched) if governed and not merge else None
                parent = record.parents[0] if record.parents else None
                change = build_change(
                    commit=record.commit,
                    parent=parent,
                    author_name=record.author_name,
                    author_email=email,
                    message=event.message if event is not None else T.parse_message(record.message),
                    files=files,
                    agent=agent,
                    read_blob=read_blob,
                    history=tuple(history),
                    revert_of=revert_of,
                    tree_files=tree_lookup(reader, record.commit),
                    skills_changed_since=walk.since(scope, parent),
                )
                for violation in check(change, config):
                    violations.append(violation if violation.commit else dataclasses.replace(violation, commit=record.commit))
            if require_signed_agent and agent and record.signature not in GOOD_SIGNATURES:
                violations.append(_unsigned(record))
            if event is not None:
                history.append(event)
            if in_skills:
                walk.add(record.commit, files, scope)
            else:
                walk.skip(record.commit)
    return Report(rng, commits, checked, tuple(violations), config.source if config else "(not managed)")


def _event_of(record: LogRecord) -> Event | None:
    from skillgit.events import event_from_commit

    event = event_from_commit(record.commit, record.parents, record.author_name, record.author_email, record.time, record.message)
    return event if event.kind is not None else None


def events_before(ws: Workspace, rev: str) -> list[Event]:
    """The events reachable from `rev` (itself included), oldest first; works without a checked-out HEAD."""
    from skillgit.events import event_from_commit
    from skillgit.workspace import EVENT_GREP

    events = [
        event_from_commit(r.commit, r.parents, r.author_name, r.author_email, r.time, r.message)
        for r in ws.repo.log(*EVENT_GREP, "--reverse", rev, "--")
    ]
    return [e for e in events if e.kind is not None]


class Walk:
    """The skills each walked commit touched, for `Change.skills_changed_since` without a git call per commit.

    `since(base)` is the union over the commits walked after `base` (linear order of the walk); a
    base outside the walk falls back to `git log base..parent`. Results grow incrementally per base.
    """

    def __init__(self) -> None:
        self.order: list[frozenset[str]] = []
        self.position: dict[str, int] = {}
        self._cache: dict[str, tuple[int, set[str]]] = {}

    def add(self, commit: str, files: tuple[FileChange, ...], ws: Workspace | None) -> None:
        names: set[str] = set()
        if ws is not None:
            for f in files:
                hit = ws.skill_name_of(f.path)
                if hit:
                    names.add(hit[0])
        self.position[commit] = len(self.order)
        self.order.append(frozenset(names))

    def skip(self, commit: str) -> None:
        """A walked commit that touched no skill."""
        self.position[commit] = len(self.order)
        self.order.append(_NONE)

    def since(self, ws: Workspace, parent: str | None) -> Callable[[str | None], frozenset[str]]:
        end = len(self.order)

        def lookup(base: str | None) -> frozenset[str]:
            start = self.position.get(base) if base else None
            if base is None or start is None or parent is None:
                from skillgit.policy.lookups import skills_changed_lookup

                return skills_changed_lookup(ws.repo, parent, (ws.skills_root, ws.attic_root))(base)
            done, names = self._cache.get(base, (start + 1, set()))
            for index in range(done, end):
                names |= self.order[index]
            self._cache[base] = (max(done, end), names)
            return frozenset(names)

        return lookup


def _exact_revert_of(
    ws: Workspace, record: LogRecord, files: tuple[FileChange, ...], touched: dict[str, tuple[FileChange, ...]]
) -> str | None:
    """The event `record` reverts, when it is a plain `git revert` that undoes that event exactly."""
    target = revert_target(record.message)
    if target is None:
        return None
    full = ws.repo.run("rev-parse", "-q", "--verify", f"{target}^{{commit}}", check=False).strip()
    if not full:
        return None
    reverted = touched.get(full)
    if reverted is None:
        found = ws.repo.log("-1", full, "--")
        if not found or not mentions_governed(found[0].message):
            return None
        parent = found[0].parents[0] if found[0].parents else None
        reverted = file_changes(ws.repo.diff_trees(parent, full))
    return full if is_exact_revert(files, reverted) else None


def _unsigned(record: LogRecord) -> Violation:
    status = {"N": "no signature", "B": "a bad signature", "E": "a signature that cannot be checked",
              "X": "an expired signature", "Y": "a signature by an expired key", "R": "a signature by a revoked key"}
    what = status.get(record.signature, f"signature status {record.signature or '?'}")
    return Violation(
        SIGNED_RULE[0],
        SIGNED_RULE[1],
        f"agent commit has {what}; --require-signed-agent needs a good signature",
        "Sign agent commits (commit.gpgsign with the agent's key) and give the verifier the public key "
        "(gpg keyring, or gpg.ssh.allowedSignersFile).",
        commit=record.commit,
    )
