"""The event a cycle will record, as data: kind, skill, trailers, body, tree edits — and how to write it down."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from skillgit import trailers as T
from skillgit.events import MUTATING, title_for
from skillgit.jsontypes import JSON, JSONObject

if TYPE_CHECKING:
    from skillgit.evals.gate import GateResult
    from skillgit.git import TreeEdit
    from skillgit.policy.model import Violation
    from skillgit.workspace import Workspace


@dataclass(frozen=True)
class Plan:
    kind: str
    skill: str | None
    trailers: tuple[tuple[str, str], ...]
    body: str = ""
    edits: tuple[TreeEdit, ...] = ()
    sync: tuple[str, ...] = ()
    candidate: bytes | None = None
    gate: GateResult | None = None
    summary: str = ""
    """One line for the report: what the event does."""

    @property
    def mutating(self) -> bool:
        return self.kind in MUTATING

    @property
    def title(self) -> str:
        return title_for(self.kind, self.skill)

    def all_trailers(self) -> list[tuple[str, str]]:
        """The trailer block as committed: Skill-Event, Skill-Name, then the rest."""
        return [(T.EVENT, self.kind)] + ([(T.NAME, self.skill)] if self.skill else []) + list(self.trailers)

    def message(self) -> str:
        return T.format_message(self.title, self.all_trailers(), self.body)

    def with_trailers(self, *pairs: tuple[str, str]) -> Plan:
        keys = {k.lower() for k, _ in pairs}
        kept = tuple(p for p in self.trailers if p[0].lower() not in keys)
        return dataclasses.replace(self, trailers=kept + tuple(pairs))

    def violations(self, ws: Workspace) -> list[Violation]:
        from skillgit.operations import event_violations

        return event_violations(ws, self.kind, skill=self.skill, trailers=list(self.trailers), edits=self.edits,
                                body=self.body, agent=True)

    def commit(self, ws: Workspace, *, expect_head: str | None, ref: str | None = None) -> str:
        from skillgit.operations import commit_event

        return commit_event(ws, self.kind, skill=self.skill, trailers=list(self.trailers), edits=self.edits,
                            body=self.body, sync=self.sync, worktree=True, agent=True, expect_head=expect_head, ref=ref)

    def diff(self, ws: Workspace, head: str) -> str:
        """The change as `git diff` shows it (empty for an empty event)."""
        if not self.edits:
            return ""
        tree = ws.repo.build_tree(head, self.edits)
        return ws.repo.diff(head, tree, renames=False)

    def patch(self, ws: Workspace, head: str, when: datetime) -> str:
        """An mbox patch `git am` applies: the agent as author, the full message, the diff."""
        author = ws.agent_identity()
        date = when.strftime("%a, %d %b %Y %H:%M:%S +0000")
        lines = [f"From {'0' * 40} Mon Sep 17 00:00:00 2001", f"From: {author.name} <{author.email}>", f"Date: {date}",
                 f"Subject: [PATCH] {self.title}", ""]
        rest = self.message().split("\n", 1)[1].lstrip("\n") if "\n" in self.message() else ""
        return "\n".join(lines) + rest.rstrip("\n") + "\n---\n" + self.diff(ws, head) + "--\nskillgit\n"

    def to_json(self) -> JSONObject:
        return {"event": self.kind, "skill": self.skill, "trailers": [list(p) for p in self.all_trailers()],
                "summary": self.summary, "gate": self.gate.to_json() if self.gate else None}


def safe_body(lines: Sequence[str]) -> str:
    """Prose for a commit body: no line may look like a governed trailer, and it is never one paragraph of
    `Key: value` lines (git could take that for a trailer block)."""
    out = []
    for line in lines:
        line = " ".join(line.split()) if line.strip() else ""
        if line.lower().startswith("skill-"):
            line = "  " + line
        out.append(line[:1000])
    return "\n".join(out).strip("\n")


def one_line(text: str, limit: int = T.MAX_VALUE) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def violation_reason(violations: Sequence[Violation]) -> str:
    parts = [f"{v.rule} {v.message}" for v in violations]
    return one_line("candidate breaks policy: " + "; ".join(parts))


@dataclass(frozen=True)
class Evidenced:
    """The findings and complaints behind a refine, as JSON-ready mappings (what proposers see)."""

    findings: tuple[Mapping[str, JSON], ...] = field(default=())
    complaints: tuple[Mapping[str, JSON], ...] = field(default=())

    def body_lines(self) -> list[str]:
        lines: list[str] = []
        if self.findings:
            lines += ["", "Findings:"]
            for f in self.findings[:8]:
                listed = f.get("sessions")
                sessions = ", ".join(str(s) for s in (listed if isinstance(listed, list) else [])[:4])
                lines.append(f"- {f.get('pattern')}: {f.get('hypothesis')} (sessions {sessions})")
        if self.complaints:
            lines += ["", "Complaints:"]
            counts: dict[str, int] = {}
            for c in self.complaints:
                key = f" [{c.get('pattern_key')}]" if c.get("pattern_key") else ""
                line = f"- {c.get('title')}{key}"
                counts[line] = counts.get(line, 0) + 1
            for line, n in list(counts.items())[:8]:
                lines.append(line + (f" ×{n}" if n > 1 else ""))
        return lines
