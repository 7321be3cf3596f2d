"""What a policy rule looks at (a Change) and what it reports (a Violation)."""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from skillgit.trailers import Message

if TYPE_CHECKING:
    from skillgit.config import Config
    from skillgit.events import Event


@dataclass(frozen=True)
class FileChange:
    """One changed file: status A/M/D/T, path, blob ids before/after (None when absent), new mode."""

    status: str
    path: str
    old_oid: str | None
    new_oid: str | None
    new_mode: str | None = None


@dataclass(frozen=True)
class Change:
    """A commit (made, or about to be made) as the rules see it.

    `commit` is None for a commit not made yet (inside a command or the pre-commit hook).
    `history` is the events before this change, oldest first (for SG009/SG010): a tuple, or a
    read-only view that `verify` shares between the changes it checks.
    `read_blob(oid)` returns a blob's bytes.

    Optional lookups (builders should fill them; rules that need one and find None say so):

    `tree_files(prefix)` → `{path: blob id}` of every file at or under `prefix` (a directory or
    file path without trailing slash; "" = the whole tree) in the tree AFTER the change, e.g.
    `lambda p: {path: oid for path, (_mode, oid) in repo.tree_files(tree_or_commit, p).items()}`.
    Used for files the change does not touch (SG002, SG004, SG008, SG011, SG012).

    `skills_changed_since(base)` → names of the skills (directories under `paths.skills` or
    `paths.attic`) touched by any commit reachable from `parent` but not from `base`
    (`git log base..parent`; `base` None = every commit reachable from `parent`), counting only
    what an agent reads (a change under a skill's `evals/` does not count). Used by SG009;
    without it SG009 sees only event commits in `history`. `skillgit.policy.lookups` builds both.

    `files_at(rev, prefix)` → `{path: blob id}` like `tree_files`, in the tree of commit `rev`
    (used to compare with earlier versions: a rollback's target, a merge's first parent).

    A merge (`merge` True) is checked for its own change: `files` are the files its tree holds
    that a clean re-merge of its parents (`git merge-tree`) would not, their `old_oid` the
    re-merge's; `parent` is its first parent.

    `agent` is True when the author or the committer (`committer_email`) is the agent, or the
    commit is a cycle event.
    """

    commit: str | None
    parent: str | None
    author_name: str
    author_email: str
    message: Message | None
    files: tuple[FileChange, ...]
    agent: bool
    read_blob: Callable[[str], bytes]
    history: Sequence[Event] = field(default=())
    revert_of: str | None = None
    tree_files: Callable[[str], Mapping[str, str]] | None = None
    skills_changed_since: Callable[[str | None], frozenset[str]] | None = None
    files_at: Callable[[str, str], Mapping[str, str]] | None = None
    merge: bool = False
    committer_email: str = ""

    def _file(self, path: str) -> FileChange | None:
        """The change to `path` (the first listed; None: the change does not touch it)."""
        index = self.__dict__.get("_by_path")
        if index is None:
            index = {}
            for f in self.files:
                index.setdefault(f.path, f)
            self.__dict__["_by_path"] = index  # (the rules ask for the same few paths many times)
        return index.get(path)

    def old(self, path: str) -> bytes | None:
        f = self._file(path)
        return self.read_blob(f.old_oid) if f is not None and f.old_oid else None

    def new(self, path: str) -> bytes | None:
        f = self._file(path)
        return self.read_blob(f.new_oid) if f is not None and f.new_oid else None

    def touched(self, path: str) -> bool:
        return self._file(path) is not None

    def after(self, path: str) -> bytes | None:
        """`path`'s bytes after the change: from `files`, else from `tree_files` (None: absent or unknown)."""
        f = self._file(path)
        if f is not None:
            return self.read_blob(f.new_oid) if f.new_oid else None
        if self.tree_files is None:
            return None
        oid = self.tree_files(path).get(path)
        return self.read_blob(oid) if oid else None

    def before(self, path: str) -> bytes | None:
        """`path`'s bytes before the change (an untouched file is the same before and after)."""
        f = self._file(path)
        if f is not None:
            return self.read_blob(f.old_oid) if f.old_oid else None
        return self.after(path)


@dataclass(frozen=True)
class Violation:
    """A broken rule: id, the place (commit and/or file), what is wrong, and the fix."""

    rule: str
    name: str
    message: str
    fix: str
    path: str | None = None
    commit: str | None = None
    check: str | None = None
    """Which check of a rule that bundles several (`name-dir-mismatch` of SG007); `policy.disabled` may
    name it as `SG007/name-dir-mismatch`."""

    def render(self) -> str:
        where = ":".join(p for p in (self.commit[:12] if self.commit else None, self.path) if p)
        prefix = f"{where}: " if where else ""
        return f"{prefix}{self.message} ({self.rule} {self.name}). {self.fix}"

    def to_json(self) -> dict[str, str | None]:
        return {
            "rule": self.rule,
            "name": self.name,
            **({"check": self.check} if self.check else {}),
            "commit": self.commit,
            "path": self.path,
            "message": self.message,
            "fix": self.fix,
        }


@dataclass(frozen=True)
class Option:
    """A setting a rule reads from skillgit.yaml, declared by the rule (as gitlint's rules declare
    theirs): the config key, its JSON-schema type (`integer`, `string`, `array`, `string|null`; an enum's
    `choices`), the default and what it does. The config schema holds the same key with the same
    type, default and description, and docs/rules.md lists it under the rule (a test keeps all three
    in step)."""

    key: str
    type: str
    default: object
    description: str
    choices: tuple[str, ...] = ()


class Rule(ABC):
    """A policy rule in the style of gitlint's: an id (`SG009`), a kebab-case name, whether it runs on
    agent changes only, the options it reads, the named checks of a rule that bundles several (each
    may be turned off alone as `SG007/<check>`), and `check(change, config)`.

    The same rule objects (`skillgit.policy.rules.RULES`) serve the commands, the git hooks, `verify`
    and the cycle's decision."""

    id: ClassVar[str]
    name: ClassVar[str]
    agent_only: ClassVar[bool]
    options: ClassVar[tuple[Option, ...]] = ()
    reads: ClassVar[tuple[str, ...]] = ()
    """Settings of other features the rule derives inputs from (SG003: the eval runner's files are protected):
    not its options, since they configure something else; docs/rules.md lists them under **Reads:**."""
    checks: ClassVar[tuple[str, ...]] = ()

    @property
    def description(self) -> str:
        """The first paragraph of the rule's docstring, on one line."""
        doc = inspect.getdoc(self) or ""
        return " ".join(doc.split("\n\n", 1)[0].split())

    def enabled(self, config: Config, check: str | None = None) -> bool:
        """Whether `policy.disabled` leaves this rule (or its named `check`) on: the one reading of that key,
        for the engine (commands, hooks, `verify`) and the cycle's decision."""
        disabled = config.policy.disabled
        return self.id not in disabled and (check is None or f"{self.id}/{check}" not in disabled)

    @abstractmethod
    def check(self, change: Change, config: Config) -> list[Violation]:
        """Every violation of this rule by `change` under `config`."""
