"""What a policy rule looks at (a Change) and what it reports (a Violation)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Protocol

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
    `history` is the events before this change, oldest first (for SG009/SG010).
    `read_blob(oid)` returns a blob's bytes.
    """

    commit: str | None
    parent: str | None
    author_name: str
    author_email: str
    message: Message | None
    files: tuple[FileChange, ...]
    agent: bool
    read_blob: Callable[[str], bytes]
    history: tuple["Event", ...] = field(default=())
    revert_of: str | None = None

    def old(self, path: str) -> bytes | None:
        for f in self.files:
            if f.path == path:
                return self.read_blob(f.old_oid) if f.old_oid else None
        return None

    def new(self, path: str) -> bytes | None:
        for f in self.files:
            if f.path == path:
                return self.read_blob(f.new_oid) if f.new_oid else None
        return None


@dataclass(frozen=True)
class Violation:
    """A broken rule: id, the place (commit and/or file), what is wrong, and the fix."""

    rule: str
    name: str
    message: str
    fix: str
    path: str | None = None
    commit: str | None = None

    def render(self) -> str:
        where = ":".join(p for p in (self.commit[:12] if self.commit else None, self.path) if p)
        prefix = f"{where}: " if where else ""
        return f"{prefix}{self.message} ({self.rule} {self.name}). {self.fix}"

    def to_json(self) -> dict[str, str | None]:
        return {
            "rule": self.rule,
            "name": self.name,
            "commit": self.commit,
            "path": self.path,
            "message": self.message,
            "fix": self.fix,
        }


class Rule(Protocol):
    """A policy rule in the style of gitlint's: id, kebab-case name, options from config."""

    id: str
    name: str
    agent_only: bool

    def check(self, change: Change, config: "Config") -> list[Violation]: ...
