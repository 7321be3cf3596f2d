"""Attribution: which skills each session used, which version of each ran, and how sure that is.

Evidence, strongest first (one `Attribution` per session and skill, from its strongest evidence):

    explicit  the trace records an invocation of the skill (Claude Code `Skill` tool, `<command-name>`,
              OTel `gen_ai.skill.name`, an adapter's `invoked` use)
    stamped   the trace carries the skill's version id (`skill_version`: blob id or sha256)
    read      a tool call reads `<skills>/<name>/SKILL.md` (any argument: path, file_path, command …)
    weak      a frontmatter `keywords:` entry appears in a tool call's arguments (reported, not counted
              as a use unless `metrics.count_weak`)

The version: the stamped id (a sha256 or an abbreviated blob id is mapped to the blob of a known
version), else the version in effect on the branch at the session's time (the last commit that
changed the skill at or before the session started). A session with neither: version None.

A session that used the evolver's own skill (`agent.self_skill`) reads skills to edit them, not to
follow them: its reads and keyword hits of other skills are not attributed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from skillgit.evidence.session import Session, ToolCall

if TYPE_CHECKING:
    from skillgit.history import Version
    from skillgit.model.skill import Skill
    from skillgit.workspace import Workspace

Strength = Literal["explicit", "stamped", "read", "weak"]
STRENGTHS: tuple[Strength, ...] = ("explicit", "stamped", "read", "weak")
_RANK = {"explicit": 0, "stamped": 0, "read": 1, "weak": 2}
_HOW: dict[str, Strength] = {"invoked": "explicit", "stamped": "stamped", "read": "read", "keyword": "weak"}
_HEX = re.compile(r"[0-9a-f]+")

EDIT_TOOLS = frozenset(
    [
        "edit_file", "write_file", "create_file", "edit", "write", "multiedit", "notebookedit", "apply_patch",
        "str_replace", "str_replace_based_edit_tool",
    ]
)
"""Tool names (lowercase) that change a file; a mention of SKILL.md in them is not a read."""


@dataclass(frozen=True)
class Attribution:
    """Session `session_id` used `skill`; `version` is the SKILL.md blob id that ran (None: unknown)."""

    session_id: str
    skill: str
    version: str | None
    strength: Strength
    time: datetime | None

    @property
    def weak(self) -> bool:
        return self.strength == "weak"

    def counts(self, count_weak: bool = False) -> bool:
        """Whether this is a use (weak evidence only with `count_weak`)."""
        return count_weak or self.strength != "weak"

    def to_json(self) -> dict[str, Any]:
        return {
            "session": self.session_id,
            "skill": self.skill,
            "version": self.version,
            "strength": self.strength,
            "time": self.time.isoformat() if self.time else None,
        }


def aware(when: datetime | None) -> datetime | None:
    """`when` with a time zone (a naive time is UTC), so times from any source compare."""
    return when.replace(tzinfo=UTC) if when is not None and when.tzinfo is None else when


def session_time(session: Session) -> datetime | None:
    """When a session ran: its start, else its end (None when the trace has neither)."""
    return aware(session.started or session.ended)


def call_text(call: ToolCall) -> str:
    """Every string argument of a call (lists joined), one per line: what reads and keywords are matched in."""
    parts: list[str] = []
    for value in call.args.values():
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, list):
            parts.append(" ".join(str(v) for v in value if isinstance(v, (str, int, float))))
    return "\n".join(parts)


def is_edit(call: ToolCall) -> bool:
    return call.name.lower() in EDIT_TOOLS


@dataclass(frozen=True)
class Channels:
    """Which evidence channels the ingested sessions offer at all (see `measurable`)."""

    sessions: int
    skill_evidence: bool
    """Some session invokes, stamps or reads a skill (any skill, known here or not)."""
    tool_calls: bool
    """Some session has a tool call with string arguments (where keywords could appear)."""

    def measurable(self, keywords: Sequence[str]) -> bool:
        """A skill is measurable when some channel could have shown its use: sessions exist, and either
        skill use is visible in them at all, or the skill has keywords and there are tool arguments to match."""
        return self.sessions > 0 and (self.skill_evidence or (bool(keywords) and self.tool_calls))


class Catalog:
    """The skills of a repository at `rev` (active and attic), their keywords and version history."""

    def __init__(self, ws: Workspace, rev: str = "HEAD") -> None:
        from skillgit.errors import SkillFileError
        from skillgit.model.skill import parse_skill

        self.ws = ws
        self.entries = {e.name: e for e in ws.skills(rev)}
        self.skills: dict[str, Skill | None] = {}
        for name, entry in self.entries.items():
            path = f"{ws.dir_for(name, entry.location)}/SKILL.md"
            try:
                self.skills[name] = parse_skill(ws.repo.blob(entry.blob), path)
            except SkillFileError:
                self.skills[name] = None
        self.keywords = {name: _keywords(skill) for name, skill in self.skills.items()}
        self.self_skill: str | None = ws.config.agent.self_skill
        roots = "|".join(re.escape(r) for r in (ws.skills_root, ws.attic_root))
        self.read_pattern = re.compile(rf"(?:^|[^A-Za-z0-9_.-])(?:{roots})/([a-z0-9]+(?:-[a-z0-9]+)*)/SKILL\.md")
        self._versions: dict[str, list[Version]] = {}
        self._sha: dict[str, dict[str, str]] = {}

    @property
    def names(self) -> list[str]:
        return sorted(self.entries)

    def versions(self, name: str) -> list[Version]:
        if name not in self._versions:
            from skillgit.history import versions

            self._versions[name] = versions(self.ws, name)
        return self._versions[name]

    def version_at(self, name: str, when: datetime | None) -> str | None:
        """The SKILL.md blob in effect at `when`: the last version committed at or before it."""
        if when is None:
            return None
        found: str | None = None
        for version in self.versions(name):
            if version.time <= when:
                found = version.blob
        return found

    def resolve_stamp(self, name: str, stamp: str) -> str:
        """A stamped id as a blob id: sha256 and abbreviated ids mapped to a known version's blob."""
        value = stamp.strip().lower()
        if not _HEX.fullmatch(value):
            return stamp
        blobs = [v.blob for v in self.versions(name) if v.blob]
        if name in self.entries:
            blobs.append(self.entries[name].blob)
        if len(value) == 64:
            if name not in self._sha:
                self._sha[name] = {hashlib.sha256(self.ws.repo.blob(b)).hexdigest(): b for b in set(blobs)}
            return self._sha[name].get(value, value)
        if len(value) < 40:
            matches = {b for b in blobs if b.startswith(value)}
            if len(matches) == 1:
                return matches.pop()
        return value


def _keywords(skill: Skill | None) -> tuple[str, ...]:
    if skill is None:
        return ()
    return tuple(k.strip().lower() for k in skill.keywords if k.strip())


def channels(sessions: Sequence[Session], catalog: Catalog) -> Channels:
    skill_evidence = tool_calls = False
    for session in sessions:
        if any(use.how != "keyword" for use in session.skills):
            skill_evidence = True
        for call in session.tool_calls:
            text = call_text(call)
            if text:
                tool_calls = True
                if not skill_evidence and not is_edit(call) and catalog.read_pattern.search(text):
                    skill_evidence = True
        if skill_evidence and tool_calls:
            break
    return Channels(len(sessions), skill_evidence, tool_calls)


@dataclass
class _Best:
    strength: Strength
    stamp: str | None = None
    extra: set[str] = field(default_factory=set)


def attribute(sessions: Iterable[Session], ws: Workspace, *, catalog: Catalog | None = None) -> list[Attribution]:
    """One Attribution per (session, skill known at HEAD) with any evidence, oldest session first."""
    catalog = catalog or Catalog(ws)
    out: list[Attribution] = []
    for session in sessions:
        out.extend(attribute_session(session, catalog))
    return out


def attribute_session(session: Session, catalog: Catalog) -> list[Attribution]:
    found: dict[str, _Best] = {}

    def note(name: str, strength: Strength, stamp: str | None = None) -> None:
        best = found.get(name)
        if best is None:
            found[name] = _Best(strength, stamp)
            return
        if _RANK[strength] < _RANK[best.strength] or (strength == "explicit" and best.strength == "stamped"):
            best.strength = strength
        if stamp and not best.stamp:
            best.stamp = stamp

    names = catalog.entries
    for use in session.skills:
        name = use.name if use.name in names else (use.full_name if use.full_name in names else None)
        if name is not None:
            note(name, _HOW.get(use.how, "weak"), use.version)
    evolver = catalog.self_skill in found and found[catalog.self_skill].strength != "weak"
    texts: list[str] = []
    for call in session.tool_calls:
        text = call_text(call)
        if not text:
            continue
        texts.append(text.lower())
        if is_edit(call):
            continue
        for match in catalog.read_pattern.finditer(text):
            if match.group(1) in names:
                if match.group(1) == catalog.self_skill:
                    evolver = True
                note(match.group(1), "read")
    if texts:
        joined = "\n".join(texts)
        for name, keywords in catalog.keywords.items():
            if name not in found and any(k in joined for k in keywords):
                note(name, "weak")
    when = session_time(session)
    out = []
    for name in sorted(found):
        best = found[name]
        if evolver and name != catalog.self_skill and best.strength in ("read", "weak"):
            continue
        version = catalog.resolve_stamp(name, best.stamp) if best.stamp else catalog.version_at(name, when)
        out.append(Attribution(session.id, name, version, best.strength, when))
    return out


def by_skill(attributions: Iterable[Attribution]) -> dict[str, list[Attribution]]:
    out: dict[str, list[Attribution]] = {}
    for a in attributions:
        out.setdefault(a.skill, []).append(a)
    return out
