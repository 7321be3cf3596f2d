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
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from skillgit.evidence.rows import Inputs
from skillgit.evidence.session import Session, SessionSummary, SkillUse, ToolCall
from skillgit.evidence.session import call_text as call_text  # where the other evidence modules look for it
from skillgit.jsontypes import JSONObject

if TYPE_CHECKING:
    from skillgit.history import Version
    from skillgit.model.skill import Skill
    from skillgit.workspace import Workspace

Strength = Literal["explicit", "stamped", "read", "weak"]
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


@dataclass(frozen=True, slots=True)
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

    def to_json(self) -> JSONObject:
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


def session_time(session: Session | SessionSummary) -> datetime | None:
    """When a session ran: its start, else its end (None when the trace has neither)."""
    return aware(session.started or session.ended)


def is_edit(call: ToolCall) -> bool:
    edit = _EDITS.get(call.name)
    if edit is None:
        edit = _EDITS[call.name] = call.name.lower() in EDIT_TOOLS
    return edit


_EDITS: dict[str, bool] = {}


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
    """The skills of a repository at `rev` (active and attic), their keywords and version history.

    The histories of all skills come from one walk (`history.all_versions`), read when first asked
    for, unless given (`versions`: what the evidence store kept for this HEAD)."""

    def __init__(self, ws: Workspace, rev: str = "HEAD", *, versions: Mapping[str, list[Version]] | None = None) -> None:
        from skillgit.errors import SkillFileError
        from skillgit.model.skill import parse_skill

        self.ws = ws
        self.entries = {e.name: e for e in ws.skills(rev)}
        self.skills: dict[str, Skill | None] = {}
        for name, entry in self.entries.items():
            path = f"{entry.dir}/SKILL.md"
            try:
                self.skills[name] = parse_skill(ws.repo.blob(entry.blob), path)
            except SkillFileError:
                self.skills[name] = None
        self.keywords = {name: _keywords(skill) for name, skill in self.skills.items()}
        self.self_skill: str | None = ws.config.agent.self_skill
        self.read_pattern = re.compile(rf"(?:^|[^A-Za-z0-9_.-]){ws.layout.regex}/([a-z0-9]+(?:-[a-z0-9]+)*)/SKILL\.md")
        self.rev = rev
        self._all: dict[str, list[Version]] | None = dict(versions) if versions is not None else None
        self._times: dict[str, tuple[list[datetime], bool]] = {}
        self._sha: dict[str, dict[str, str]] = {}

    @property
    def names(self) -> list[str]:
        return sorted(self.entries)

    def all_versions(self) -> dict[str, list[Version]]:
        """Every skill's versions (see `history.all_versions`), read once."""
        if self._all is None:
            from skillgit.history import all_versions

            self._all = all_versions(self.ws, self.rev)
        return self._all

    def versions(self, name: str) -> list[Version]:
        return self.all_versions().get(name, [])

    def version_at(self, name: str, when: datetime | None) -> str | None:
        """The SKILL.md blob in effect at `when`: the last version committed at or before it."""
        if when is None:
            return None
        history = self.versions(name)
        if name not in self._times:
            times = [v.time for v in history]
            self._times[name] = (times, all(a <= b for a, b in zip(times, times[1:])))
        times, ordered = self._times[name]
        if ordered:
            at = bisect_right(times, when)
            return history[at - 1].blob if at else None
        found: str | None = None
        for version in history:
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


def attribute(sessions: Iterable[Session], ws: Workspace, *, catalog: Catalog | None = None) -> list[Attribution]:
    """One Attribution per (session, skill known at HEAD) with any evidence, oldest session first."""
    catalog = catalog or Catalog(ws)
    out: list[Attribution] = []
    for session in sessions:
        out.extend(attribute_session(session, catalog))
    return out


def inputs(session: Session, catalog: Catalog, texts: Sequence[str] | None = None) -> Inputs:
    """What `attribute_session` finds in a session's calls: the SKILL.md files they read (any skill name
    under the roots; edits are not reads) and the skills whose keywords appear in their arguments
    (`texts`: each call's `call_text`, when at hand)."""
    found = Inputs()
    lowered: list[str] = []
    search = catalog.read_pattern.finditer
    for i, call in enumerate(session.tool_calls):
        text = call_text(call) if texts is None else texts[i]
        if not text:
            continue
        lowered.append(text.lower())
        if "SKILL.md" not in text or is_edit(call):
            continue
        for match in search(text):
            found.reads.add(match.group(1))
    texts = lowered
    if texts:
        found.texts = True
        joined = "\n".join(texts)
        found.hits = [name for name, keywords in catalog.keywords.items() if any(k in joined for k in keywords)]
    return found


def attribute_session(session: Session, catalog: Catalog) -> list[Attribution]:
    found = inputs(session, catalog)
    return attribute_found(session.id, session.skills, found.reads, found.hits, session_time(session), catalog)


def attribute_found(session_id: str, uses: Iterable[SkillUse], reads: Iterable[str], hits: Iterable[str],
                    when: datetime | None, catalog: Catalog) -> list[Attribution]:
    """The attributions of one session from its evidence: the skill uses its trace records, the SKILL.md
    files its calls read and the skills whose keywords its calls mention (see the module doc)."""
    return [Attribution(session_id, name, version_of(catalog, name, stamp, when), strength, when)
            for name, strength, stamp in strongest(uses, reads, hits, catalog)]


def version_of(catalog: Catalog, name: str, stamp: str | None, when: datetime | None) -> str | None:
    """The version a use ran: its stamp (as a blob id), else the version in effect at `when`."""
    return catalog.resolve_stamp(name, stamp) if stamp else catalog.version_at(name, when)


def strongest(uses: Iterable[SkillUse], reads: Iterable[str], hits: Iterable[str],
              catalog: Catalog) -> list[tuple[str, Strength, str | None]]:
    """(skill, strength, stamp) for every skill at HEAD a session has evidence of, by name."""
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
    for use in uses:
        name = use.name if use.name in names else (use.full_name if use.full_name in names else None)
        if name is not None:
            note(name, _HOW.get(use.how, "weak"), use.version)
    evolver = catalog.self_skill in found and found[catalog.self_skill].strength != "weak"
    for name in reads:
        if name in names:
            if name == catalog.self_skill:
                evolver = True
            note(name, "read")
    for name in hits:
        if name in names and name not in found:
            note(name, "weak")
    out = []
    for name in sorted(found):
        best = found[name]
        if evolver and name != catalog.self_skill and best.strength in ("read", "weak"):
            continue
        out.append((name, best.strength, best.stamp))
    return out


def summarize(session: Session) -> SessionSummary:
    """What metrics need of a session in memory (see `SessionSummary`)."""
    calls = session.tool_calls
    return SessionSummary(session.id, session.started, session.ended, session.outcome, len(calls),
                          sum(1 for c in calls if c.ok is False), any(call_text(c) for c in calls))


def by_skill(attributions: Iterable[Attribution]) -> dict[str, list[Attribution]]:
    out: dict[str, list[Attribution]] = {}
    for a in attributions:
        out.setdefault(a.skill, []).append(a)
    return out
