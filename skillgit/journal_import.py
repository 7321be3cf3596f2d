"""`skillgit import-journal`: read a yoyo-style `skills/_journal.md` into a report of events.

It never rewrites history: it says what each stanza would be as a skillgit event, which of them
carry a checkable prediction, and which the rules would have refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from skillgit.errors import TrailerError, UsageError
from skillgit.events import EVENT_TYPES
from skillgit.model.expected import parse_expected

_HEADING = re.compile(r"^##\s+(?:(?P<ts>\S+)\s+)?(?P<id>evt-\d+)\s+(?P<type>\S+)\s*$")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T[0-9:]+(?:\.\d+)?Z?$")
_FIELD = re.compile(r"^-\s+(?P<key>[A-Za-z_-]+):\s*(?P<value>.*)$")
_ALIASES = {"no-op": "no-op", "noop": "no-op", "meta": "meta-suggestion"}
MAX_JOURNAL_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class JournalEntry:
    """One stanza of the journal, as a skillgit event would see it."""

    id: str
    line: int
    type: str
    event: str | None
    ts: str | None
    skill: str | None
    fields: dict[str, str] = field(default_factory=dict)
    expected_status: str = "absent"
    """`checkable`, `prose` (not a checkable prediction), or `absent`."""
    problems: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "line": self.line,
            "type": self.type,
            "event": self.event,
            "ts": self.ts,
            "skill": self.skill,
            "expected": self.fields.get("expected"),
            "expected_status": self.expected_status,
            "problems": list(self.problems),
        }


def read_journal(path: Path) -> list[JournalEntry]:
    """Parse every `## [ts] evt-NNNN type` stanza with its `- key: value` lines."""
    from skillgit.safefile import describe, read_regular

    try:
        text = read_regular(path, MAX_JOURNAL_BYTES).decode("utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such journal; pass the path of skills/_journal.md.") from None
    except OSError as exc:
        raise UsageError(f"{path}: {describe(exc)}; pass the path of the journal file, skills/_journal.md.") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not valid UTF-8 at byte {exc.start}; save it as UTF-8.") from None
    stanzas: list[tuple[int, re.Match[str], dict[str, str]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        heading = _HEADING.match(line)
        if heading:
            stanzas.append((number, heading, {}))
            continue
        item = _FIELD.match(line)
        if item and stanzas:
            stanzas[-1][2].setdefault(item.group("key").lower(), item.group("value").strip())
    return [_entry(number, heading, fields) for number, heading, fields in stanzas]


def _entry(number: int, heading: re.Match[str], fields: dict[str, str]) -> JournalEntry:
    raw_type = heading.group("type")
    kind = _ALIASES.get(raw_type.lower(), raw_type.lower())
    event = kind if kind in EVENT_TYPES else None
    problems = []
    ts = heading.group("ts") or fields.get("ts")
    if ts and not _TIME.match(ts):
        problems.append(f"timestamp `{ts}` is not an ISO 8601 time (an unexpanded shell variable?)")
        ts = fields.get("ts") if fields.get("ts") and _TIME.match(fields["ts"]) else None
    if event is None:
        problems.append(f"`{raw_type}` is not an event type")
    raw_skill = (fields.get("skill") or fields.get("target") or "").strip("\"'` ")
    skill: str | None = raw_skill
    if raw_skill.lower() in ("", "-", "none", "null", "n/a"):
        skill = None
    elif "/" in raw_skill:
        skill = raw_skill.rstrip("/").split("/")[-2] if raw_skill.endswith("SKILL.md") else raw_skill.split("/")[-1]
    expected = fields.get("expected")
    status = "absent"
    if expected:
        try:
            parse_expected(expected)
            status = "checkable"
        except TrailerError:
            status = "prose"
            problems.append("`expected` is prose, not a checkable prediction (SG005)")
    elif event in ("refine", "create"):
        problems.append(f"a {event} without an `expected` prediction (SG005)")
    if event == "refine" and "eval-summary" not in fields:
        problems.append("a refine without an eval summary (SG012)")
    return JournalEntry(heading.group("id"), number, raw_type, event, ts, skill,
                        dict(fields), status, tuple(problems))
