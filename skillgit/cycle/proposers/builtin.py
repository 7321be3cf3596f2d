"""The builtin proposer: deterministic, bounded edits from diagnosis findings and complaints.

- retry / repeated-failure / edit-revert findings → a `## Pitfalls` entry quoting the failing
  command and, where one is known, the command that worked;
- docless → a verification step at the end of `## Procedure` (read the docs first);
- absent-command → the missing `## Procedure` step with the command verbatim (only for a command the
  skill quotes in backticks: keywords are not always commands);
- complaints (learnings tied to the skill) → a `## Pitfalls` entry with their takeaway.

Entries whose command or takeaway the skill already quotes are skipped, so a second run on the
same evidence proposes nothing. Only lines are added (never removed), at most `max_added` of them;
missing sections are appended at the end of the body. Frontmatter bytes are not touched. For a
`create` the draft in the request is the candidate.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from skillgit.cycle.proposers.protocol import Proposal, ProposalRequest
from skillgit.jsontypes import JSON

MAX_QUOTE = 160
_NUMBERED = re.compile(r"^\s*(\d+)[.)]\s")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")


def _quote(command: str) -> str:
    text = " ".join(command.split())
    if len(text) > MAX_QUOTE:
        text = text[: MAX_QUOTE - 1] + "…"
    return "`" + text.replace("`", "'") + "`"


def _sentence(text: str) -> str:
    text = " ".join(text.split()).rstrip(".")
    return text[:1].upper() + text[1:] + "." if text else ""


class BuiltinProposer:
    name = "builtin"

    def propose(self, request: ProposalRequest) -> Proposal:
        from skillgit.model.skill import parse_skill

        if request.kind != "refine":
            return Proposal(request.skill_text.encode("utf-8"), f"new skill {request.skill} drafted from the learnings")
        skill = parse_skill(request.skill_text.encode("utf-8"), request.path)
        pitfalls, steps = plan_entries(skill.body, request.findings, request.complaints)
        body, added = insert_entries(skill.body, pitfalls, steps, skill.newline, request.max_added)
        if not added:
            return Proposal(None, "the findings and complaints are already covered by the skill")
        return Proposal(skill.with_body(body).raw, "added " + " and ".join(added))


def plan_entries(
    body: str, findings: Sequence[Mapping[str, JSON]], complaints: Sequence[Mapping[str, JSON]]
) -> tuple[list[str], list[str]]:
    """(Pitfalls bullets, Procedure steps) not yet in `body`, in evidence order."""
    lowered = body.lower()
    pitfalls: list[str] = []
    steps: list[str] = []

    def fresh(*needles: str | None) -> bool:
        return all(n is None or " ".join(n.split()).lower() not in lowered for n in needles) and not any(
            n and any(" ".join(n.split()).lower() in p.lower() for p in pitfalls + steps) for n in needles
        )

    order = {"retry": 0, "repeated-failure": 1, "edit-revert": 2, "docless": 3, "absent-command": 4}
    for f in sorted(findings, key=lambda f: order.get(str(f.get("pattern")), 9)):
        pattern = f.get("pattern")
        failing, working = _text(f, "failing_command"), _text(f, "working_command")
        sessions = f.get("sessions")
        n = len(sessions) if isinstance(sessions, list) else 0
        if pattern in ("retry", "repeated-failure", "edit-revert") and failing and fresh(failing):
            entry = f"- {_quote(failing)} failed in {n} session(s)"
            entry += f"; what worked: {_quote(working)}." if working and working != failing else "."
            hypothesis = str(f.get("hypothesis") or "").split(":")[-1].strip()
            if hypothesis:
                entry += " " + _sentence(hypothesis)
            pitfalls.append(entry)
        elif pattern == "docless" and fresh("verify your assumptions"):
            steps.append("Before acting, read the project's docs (README, docs/) and verify your assumptions "
                         f"against them (long runs without reading docs failed in {n} session(s)).")
        elif pattern == "absent-command" and working and f"`{working.lower()}`" in lowered and fresh(f"run `{working}`"):
            steps.append(f"Run {_quote(working)} (skipped in {n} session(s)).")
    keys: set[str] = set()
    for c in complaints:
        takeaway = str(c.get("takeaway") or "").strip()
        key = str(c.get("pattern_key") or c.get("title") or "")
        if not takeaway or key in keys or not fresh(takeaway):
            continue
        keys.add(key)
        title = str(c.get("title") or "").strip().rstrip(".")
        pitfalls.append(f"- {title}: {_sentence(takeaway)}" if title else f"- {_sentence(takeaway)}")
    return pitfalls, steps


def _text(mapping: Mapping[str, JSON], key: str) -> str | None:
    value = mapping.get(key)
    return value if isinstance(value, str) else None


def insert_entries(body: str, pitfalls: list[str], steps: list[str], newline: str, max_added: int) -> tuple[str, list[str]]:
    """`body` with the entries added (within `max_added` lines) and a summary of what went in."""
    lines = body.split(newline)
    trailing = lines and lines[-1] == ""
    if trailing:
        lines.pop()
    budget = max_added
    summary: list[str] = []
    for section, entries, numbered in (("Pitfalls", pitfalls, False), ("Procedure", steps, True)):
        if not entries or budget <= 0:
            continue
        start, end = _section(lines, section)
        new_section = start is None
        cost = len(entries) + (3 if new_section else 0)
        while entries and cost > budget:
            entries = entries[:-1]
            cost = len(entries) + (3 if new_section else 0)
        if not entries:
            continue
        if new_section:
            lines += ["", f"## {section}", ""]
            end = len(lines)
        assert end is not None
        while end > 0 and lines[end - 1].strip() == "" and not new_section:
            end -= 1
        if numbered:
            last = max((int(m.group(1)) for line in lines[start or 0 : end] if (m := _NUMBERED.match(line))), default=0)
            entries = [f"{last + i + 1}. {step}" for i, step in enumerate(entries)]
        lines[end:end] = entries
        budget -= cost
        noun = ("step" if numbered else "entry") if len(entries) == 1 else ("steps" if numbered else "entries")
        summary.append(f"{len(entries)} {section} {noun}" + (" (new section)" if new_section else ""))
    text = newline.join(lines) + (newline if trailing or not lines else "")
    return text, summary


def _section(lines: list[str], title: str) -> tuple[int | None, int | None]:
    """(first line after the heading, end line) of the `## <title>` section, or (None, None)."""
    start = None
    level = 0
    for i, line in enumerate(lines):
        m = _HEADING.match(line)
        if not m:
            continue
        if start is not None and len(m.group(1)) <= level:
            return start, i
        if start is None and m.group(2).strip().lower().rstrip(":") == title.lower():
            start, level = i + 1, len(m.group(1))
    return (start, len(lines)) if start is not None else (None, None)
