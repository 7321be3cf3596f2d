"""`skillgit verify`: every commit of a range checked with the rules, in one `git log --raw` pass.

The config is the one committed at the range's base, so a branch cannot loosen the rules and
profit in the same range (a base without skillgit.yaml: the config of the range's `init` event).
Commits before the first `init` event are not managed and not checked; a range whose base has a
committed skillgit.yaml is managed from its base, as the hooks check every commit made on top of one.
The events before each commit (its `history`) start from the events reachable from the base, read
newest first only as far back as the rules ask (the event index, else a `git log` stopped there),
and grow as the walk goes oldest → newest. A merge commit is checked for its own change: what its tree holds that a clean
re-merge of its parents would not (the commits it brings in are in the range and checked on their
own). A plain `git revert` of an event is accepted without trailers when it undoes that event
exactly.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from skillgit import trailers as T
from skillgit.config import CONFIG_FILE, Config
from skillgit.errors import UsageError
from skillgit.events import revert_target
from skillgit.git import LogRecord, RawChange
from skillgit.git.records import record_fields, record_from_fields
from skillgit.policy.changes import (
    file_changes,
    is_exact_revert,
    mentions_governed,
)
from skillgit.policy.model import Change, FileChange, Violation
from skillgit.policy.ranges import Range, resolve_range
from skillgit.policy.readahead import read_ahead
from skillgit.policy.walk import History, HistoryView, SkillFolders, Walk, plain_roots

if TYPE_CHECKING:
    from skillgit.events import Event
    from skillgit.model.layout import SkillPlace
    from skillgit.workspace import Workspace

SIGNED_RULE = ("SG100", "signed-agent")
GOOD_SIGNATURES = ("G", "U")


@dataclass(frozen=True)
class Report:
    range: Range
    commits: int
    """Commits in the range."""
    checked: int
    """Commits the rules looked at (managed commits)."""
    violations: tuple[Violation, ...]
    config_source: str
    warnings: tuple[str, ...] = ()
    """Things to look at that are not violations (an `agent.identities` pattern that matches nobody)."""

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
            "warnings": list(self.warnings),
        }


def verify(
    ws: Workspace, spec: str | None = None, *, require_signed_agent: bool = False, assume_managed_since: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Check every commit of the range; the Report lists each violation with commit, rule, path and fix.
    `progress(1)` is called as each commit is visited (`skillgit.progress.commits_bar` draws it).

    A shallow clone whose history stops after the `init` event (or before any) is an error, not a
    pass: the rules count events it lacks. `assume_managed_since` names a commit from which the
    history is trusted instead: every commit of the range is then managed, the config is the
    base's (else that commit's), and the rules count the events the clone has."""
    from skillgit.config import config_from_bytes
    from skillgit.workspace import history_error

    rng = resolve_range(ws, spec)
    since = ws.repo.resolve(assume_managed_since) if assume_managed_since else None
    gap = ws.history_gap(rng.head, since)
    if gap is not None:
        raise UsageError(history_error(f"cannot verify {rng.spec}", gap, assume_hint=True))
    run = _Run(ws, require_signed_agent)
    try:
        committed = run.committed_config(rng.base) if rng.base is not None else None
        # a base with a committed config is managed (as the hooks check every commit on top of one): no need to
        # read the history back to its `init` event; the whole history is asked after the walk, which reads it
        if since is None and committed is None and rng.base is not None and ws.adoption(rng.head) is None:
            raise UsageError(_not_adopted(rng))
        if committed is not None and rng.base is not None:
            run.config = _same_as_work_tree(ws, committed, rng.base) or config_from_bytes(committed, rng.base)
            run.start(run.config)
        elif since is not None:
            committed = run.committed_config(since)
            if committed is None:
                raise UsageError(f"--assume-managed-since {assume_managed_since}: {since[:12]} has no {CONFIG_FILE}; "
                                 "name a commit of the managed history.")
            run.config = config_from_bytes(committed, since)
            run.start(run.config)
        if run.scope is None:
            # where skills live is known at the first managed commit (the `init` event's config): meanwhile the
            # skill files are read ahead where the work tree's config has them (those the reader hands over
            # before the walk gets there are not read ahead again)
            run.prefetch.watch(ws.scan_roots, nested=not ws.layout.flat)
        # Oldest first, read ahead by a thread: git makes the log on one core while the rules run, and
        # the skill files the rules will read are fetched on the way.
        chunks = read_ahead(ws.repo.iter_log_chunks(
            "--topo-order", "--reverse", *rng.log_args, "--", raw=True, signatures=require_signed_agent
        ), run.prepare, run.merges.register)
        if rng.base is not None:
            from skillgit.eventindex import event_log

            run.history = History(event_log(ws.repo, rng.base, build=False))  # (a range has commits: no HEAD to check)
        else:
            run.load_rules()  # git walks the whole history before its first record: meanwhile, for nothing
        run.managed = since is not None or run.config is not None or run.history.has_kind("init")
        with _young_collections():
            for chunk in chunks:
                run.visit(chunk)
                if progress is not None:
                    progress(1)
        if since is None and rng.base is None and not any(
                e.kind == "init" and not ws.is_agent(e.author_email, e.committer_email) for e in run.history.recent):
            raise UsageError(_not_adopted(rng))
    finally:
        run.close()
    config = run.config
    warnings: tuple[str, ...] = ()
    if config is not None:
        # the range's authors and committers, and those of the events before it the rules read (in the history
        # of its base): git is asked only about a pattern none of them matches
        seen = [*run.agents, *((e.author_email, e.committer_email) for e in run.history.read_before())]
        warnings = tuple(unmatched_identities(ws, config.agent.identities, seen, rng.base))
    return Report(rng, run.commits, run.checked, tuple(run.violations), config.source if config else "(not managed)",
                  warnings)


COLLECT_EVERY = 8192
"""Allocations between two collections of the young objects during a walk (see `_young_collections`)."""


@contextlib.contextmanager
def _young_collections() -> Iterator[None]:
    """The walk with the garbage collector's own collections off, and the young objects collected every
    `COLLECT_EVERY` allocations instead.

    A walk makes no reference cycles of its own (each checked change is freed when the next comes), but it
    keeps many objects for long (events, skill files, tree listings): every full collection the collector
    starts would go through all of them again, which cost ~10% of a long walk. Young collections still
    free any cycle made meanwhile; the collector is back as it was once the walk is done."""
    was_on = gc.isenabled()
    if not was_on:
        yield
        return
    threshold = gc.get_threshold()
    gc.set_threshold(COLLECT_EVERY, 1_000_000, 1_000_000)
    try:
        yield
    finally:
        # what the walk kept goes to the oldest generation as it is: put back, the collector would otherwise
        # go through all of it at once, in the collection of the middle generation the next allocation starts
        gc.freeze()
        gc.unfreeze()
        gc.set_threshold(*threshold)


def _same_as_work_tree(ws: Workspace, committed: bytes, rev: str) -> Config | None:
    """`config_from_bytes(committed, rev)` without parsing it again when the work tree's config file holds
    the same bytes (as it does unless the branch changes the config): the workspace's, named for `rev`."""
    if ws.config.source != CONFIG_FILE:
        return None
    try:
        same = (ws.repo.root / CONFIG_FILE).read_bytes() == committed
    except OSError:
        return None
    return dataclasses.replace(ws.config, source=f"{CONFIG_FILE}@{rev[:12]}") if same else None


def _not_adopted(rng: Range) -> str:
    return (f"{rng.spec}: no `init` event in the history of {rng.head[:12]}, so skillgit does not manage these skills yet "
            "and has nothing to verify; run `skillgit init` (then `skillgit hooks install`), or pass "
            "--assume-managed-since REV.")


def unmatched_identities(ws: Workspace, patterns: Sequence[str], seen: Iterable[tuple[str, str]],
                         before: str | None) -> list[str]:
    """A warning for each `agent.identities` pattern that matches no author or committer: not among
    `seen` (the range's), nor in the history of `before` (the range's base), asked of git."""
    from skillgit.config import identity_matches

    emails = {email for pair in seen for email in pair if email}
    out = []
    for pattern in patterns:
        if any(identity_matches(email, (pattern,)) for email in emails):
            continue
        if before is not None and _in_history(ws, str(pattern), before):
            continue
        out.append(
            f"agent.identities: `{pattern}` matches no author or committer in the history verified; if the agent "
            "has committed, check the address (only `*` and `?` are wildcards; `[` and `]` match themselves)."
        )
    return out


_ERE_SPECIAL = frozenset(".[]()*+?{}|^$\\")


def _in_history(ws: Workspace, pattern: str, rev: str) -> bool:
    """Some commit reachable from `rev` has an author or committer e-mail matching `pattern`."""
    regex = "<" + "".join(".*" if ch == "*" else "." if ch == "?" else f"\\{ch}" if ch in _ERE_SPECIAL else ch
                          for ch in pattern) + ">"
    return any(ws.repo.first_commit_by(field, regex, rev) is not None for field in ("author", "committer"))


class _Run:
    """The state of one `verify` walk, fed each commit's raw log record oldest first (`visit`)."""

    def __init__(self, ws: Workspace, require_signed_agent: bool) -> None:
        from skillgit.policy.merges import MergeTrees
        from skillgit.policy.prefetch import BlobPrefetch
        from skillgit.policy.trees import BlobCache, TreeFiles

        self.check_change: Callable[[Change, Config], list[Violation]] | None = None
        """The rule engine, imported at the first commit to check (a short range may have none)."""
        self.place_of: Callable[[str, Config, Change], SkillPlace | None] | None = None
        """`rules.common.place_of`, with the rules."""
        self.tree_files = TreeFiles
        self.ws = ws
        self.require_signed_agent = require_signed_agent
        self.reader = ws.repo.blob_reader()
        self.read_blob = BlobCache(self.reader)
        self.prefetch = BlobPrefetch(ws.repo.root, self.read_blob)
        self.merges = MergeTrees(ws.repo.root, self.reader)
        self.boundaries = frozenset(ws.repo.shallow_boundaries())
        self.trees_at: dict[str, TreeFiles] = {}
        self.config: Config | None = None
        self.history = History()
        self.managed = False
        self.scope: Workspace | None = None
        self.roots: tuple[str, ...] = ()
        self.literal = False
        self.names_root: Callable[[str], object] = _nothing
        """Whether a commit's `--raw` lines name one of `roots` (a match, else None)."""
        self.folders = SkillFolders(self.reader, ())
        self.agents: dict[tuple[str, str], bool] = {}
        self.walk = Walk()
        self.touched: dict[str, tuple[FileChange, ...]] = {}
        self.violations: list[Violation] = []
        self.commits = self.checked = 0

    def committed_config(self, rev: str) -> bytes | None:
        """The bytes of the config file committed at `rev` (None: there is none)."""
        found = self.reader.read_object(f"{rev}:{CONFIG_FILE}")
        return found[2] if found is not None and found[1] == "blob" else None

    def close(self) -> None:
        self.history.close()
        self.merges.close()
        self.prefetch.close()
        self.reader.close()

    def prepare(self, batch: list[bytes]) -> None:
        """On the log-reading thread, for each batch: re-merge its merges, read its skill files ahead."""
        self.merges.compute(batch)
        self.prefetch(batch)

    def visit(self, chunk: bytes) -> None:
        """One commit: skipped in a few microseconds when the rules have nothing to see, else checked."""
        self.commits += 1
        fields = record_fields(chunk)
        commit, parents, name, email, when, committer, _signature, message, rest = fields
        governed = mentions_governed(message)
        event = _event_of(commit, parents, name, email, when, message, committer) if governed else None
        if not self.managed and event is not None and event.kind == "init":
            self.managed = True
        if self.config is None and self.managed:
            from skillgit.config import config_from_bytes

            self.config = config_from_bytes(self.committed_config(commit), commit)
        if not self.managed or self.config is None or commit in self.boundaries:
            # not managed yet; or where a shallow clone's history stops: its parents, hence its
            # change, are unknown (it is at or before the trusted start, or verify refused to run)
            if event is not None:
                self.history.append(event)
            if " " in parents.strip():
                self.merges.forget(commit)
            self.folders.step(commit, "")
            self.walk.skip(commit)
            return
        scope = self.scope or self.start(self.config)
        self.checked += 1
        merge = " " in parents.strip()
        who = (email, committer)
        known = self.agents.get(who)
        if known is None:
            known = self.agents[who] = scope.is_agent(email, committer)
        agent = known or (event is not None and event.is_cycle)
        roots = self.roots
        if not (agent or governed or merge) and self.literal and not self.names_root(rest):
            self.folders.step(commit, parents)
            self.walk.skip(commit)  # touches no skill: nothing for the rules
            return
        record = record_from_fields(fields)
        raw: tuple[RawChange, ...] | list[RawChange] = record.files
        if merge:
            self.folders.follow_merge(commit, record.parents)
            # its own change only: all of it for the agent's, what lies under the skill roots for others
            raw = self.merges.own(commit, record.parents, None if agent else scope.scan_roots)
        else:
            self.folders.advance(commit, record.parents, record.files)
        layout = scope.layout
        in_skills = any(c.path.startswith(roots) and layout.roots_of(c.path) for c in raw)
        files: tuple[FileChange, ...] = ()
        change: Change | None = None
        if agent or governed or in_skills:
            files = file_changes(raw)
            event, change = self._check(record, event, files, agent=agent, governed=governed, merge=merge)
        if self.require_signed_agent and agent and record.signature not in GOOD_SIGNATURES:
            self.violations.append(_unsigned(record))
        if event is not None:
            self.history.append(event)
        if in_skills:
            self.walk.add(commit, files, self._placer(change))
        else:
            self.walk.skip(commit)
        if event is not None:
            self.walk.mark(record.parents[0] if record.parents else None)

    def load_rules(self) -> None:
        """Import the rule engine, and the modules its rules import at their first use."""
        # (what the rules and `_check` import at their first use)
        import skillgit.evals.summary
        import skillgit.model.validate
        import skillgit.policy.rules.protected
        import skillgit.policy.squash  # noqa: F401
        from skillgit.policy.engine import check
        from skillgit.policy.rules.common import place_of

        self.check_change, self.place_of = check, place_of

    def start(self, config: Config) -> Workspace:
        """Where skills live under `config` (the range's), for the fast paths of the walk; called with
        the base's config before the walk, else at the first managed commit."""
        from skillgit.workspace import Workspace

        scope = self.scope = Workspace(self.ws.repo, config)
        self.roots = tuple(root + "/" for root in scope.scan_roots)
        self.literal = plain_roots(self.roots)
        self.names_root = re.compile("|".join(map(re.escape, self.roots))).search if self.roots else _nothing
        self.folders = SkillFolders(self.reader, scope.scan_roots)
        self.prefetch.watch(scope.scan_roots, nested=not scope.layout.flat)
        return scope

    def _check(
        self, record: LogRecord, event: Event | None, files: tuple[FileChange, ...], *, agent: bool, governed: bool,
        merge: bool,
    ) -> tuple[Event | None, Change]:
        """Check one commit; the event it records (a maintainer's GitHub squash: the one it stands for), and
        the change the rules saw."""
        assert self.config is not None and self.scope is not None
        commit = record.commit
        if event is not None:
            self.touched[commit] = files
        revert_of = _exact_revert_of(self.ws, record, files, self.touched) if governed and not merge else None
        parent = record.parents[0] if record.parents else None
        change = Change(
            commit=commit,
            parent=parent,
            author_name=record.author_name,
            author_email=record.author_email,
            message=event.message if event is not None else T.parse_message(record.message),
            files=files,
            agent=agent,
            read_blob=self.read_blob,
            history=HistoryView(self.history),
            revert_of=revert_of,
            tree_files=self.tree_files(self.reader, commit, self.folders),
            skills_changed_since=self.walk.since(self.scope, parent),
            files_at=self._files_at,
            merge=merge,
            committer_email=record.committer_email,
        )
        squashed = None
        if event is not None and not merge:
            from skillgit.policy.squash import github_squash_message

            squashed = github_squash_message(change, record.message, self.scope)
        if squashed is not None:
            from skillgit.events import event_from_commit

            event = event_from_commit(commit, record.parents, record.author_name, record.author_email, record.time, squashed,
                                      record.committer_email)
            change = dataclasses.replace(change, message=event.message)
        if self.check_change is None:
            self.load_rules()
        assert self.check_change is not None
        for violation in self.check_change(change, self.config):
            self.violations.append(violation if violation.commit else dataclasses.replace(violation, commit=commit))
        return event, change

    def _placer(self, change: Change | None) -> Callable[[str], SkillPlace | None]:
        """`path` → the skill it lies in after the change the walk is at (under the config's layout, the
        scope's), as the rules placed it: their answers are kept on the change, so each path is placed once."""
        config, place_of = self.config, self.place_of
        assert change is not None and config is not None and place_of is not None  # (the rules saw the change)
        return lambda path: place_of(path, config, change)

    def _files_at(self, rev: str, prefix: str) -> Mapping[str, str]:
        """`Change.files_at`: the files at or under `prefix` in commit `rev` (a few commits' listings kept)."""
        found = self.trees_at.get(rev)
        if found is None:
            if len(self.trees_at) > 64:
                self.trees_at.clear()
            found = self.trees_at[rev] = self.tree_files(self.reader, rev)
        return found(prefix)


def _nothing(_text: str) -> None:
    return None


def _event_of(commit: str, parents: str, name: str, email: str, when: str, message: str, committer: str) -> Event | None:
    from skillgit.events import event_from_commit

    event = event_from_commit(commit, tuple(parents.split()), name, email, int(when), message, committer)
    return event if event.kind is not None else None


def _exact_revert_of(
    ws: Workspace, record: LogRecord, files: tuple[FileChange, ...], touched: dict[str, tuple[FileChange, ...]]
) -> str | None:
    """The event `record` reverts, when it is a plain `git revert` that undoes that event exactly."""
    target = revert_target(record.message)
    if target is None:
        return None
    full = ws.repo.commit_id(target) or ""
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
