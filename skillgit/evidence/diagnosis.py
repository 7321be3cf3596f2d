"""Diagnosis: trace patterns in the sessions attributed to a skill, each with a cause and a fix direction.

Five patterns (thresholds in config `diagnosis.*`; docs/metrics.md):

    retry             the same tool called ≥ retry_min times in a row with small argument changes
                      (difflib ratio ≥ similarity, not identical), each attempt but the last failing
    edit-revert       a file edited, then reverted (`git checkout|restore … PATH`, `git stash`) within
                      revert_window calls, in ≥ revert_min_sessions sessions
    repeated-failure  the same tool failing with similar arguments in ≥ failure_min_sessions sessions
    docless           a failed session whose last ≥ docless_min_calls calls, up to its end, read no docs
                      (README*, docs/, *.md, or any file of the skill's own directory)
    absent-command    a command the skill names (its keywords, code in its Procedure section) that
                      never appears in ≥ absent_min_sessions sessions attributed to it

Findings carry their sessions, one evidence line per occurrence, a one-line hypothesis, a refinement
direction, and — where the pattern has them — the failing and the working command verbatim.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from skillgit.evidence.attribution import Attribution, Catalog, attribute, call_text, is_edit
from skillgit.evidence.commandtext import Clusters, expected_commands, head, shown, similar
from skillgit.evidence.session import Session, ToolCall

if TYPE_CHECKING:
    from skillgit.config import Config
    from skillgit.workspace import Workspace

PATTERNS = ("retry", "edit-revert", "repeated-failure", "docless", "absent-command")
_PATH_KEYS = ("file_path", "path", "filename", "target_file", "notebook_path")
_REVERT = re.compile(r"\bgit\s+(?:checkout|restore)\b(?P<rest>[^;&|\n]*)|\bgit\s+stash(?:\s+(?:push|save))?\s*(?:$|[;&|\n])")
_DOC = re.compile(r"(?i)(?:^|[/\s'\"=])(?:readme[^/\s]*|docs?/\S*|\S+\.(?:md|rst))(?:$|[\s'\"])")


@dataclass(frozen=True)
class Finding:
    skill: str
    pattern: str
    sessions: tuple[str, ...]
    evidence: tuple[str, ...]
    hypothesis: str
    direction: str
    failing_command: str | None = None
    working_command: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "skill": self.skill, "pattern": self.pattern, "sessions": list(self.sessions),
            "evidence": list(self.evidence), "hypothesis": self.hypothesis, "direction": self.direction,
            "failing_command": self.failing_command, "working_command": self.working_command,
        }


def diagnose(
    ws: Workspace,
    name: str,
    sessions: Iterable[Session],
    config: Config | None = None,
    *,
    catalog: Catalog | None = None,
    attributions: Sequence[Attribution] | None = None,
) -> list[Finding]:
    """Every finding for skill `name` in the `sessions` attributed to it (weak ones only with count_weak).

    One pass over the sessions, each looked at once and let go: `sessions` may be a stream (the
    evidence store's, read a few at a time), so memory follows the findings, not the sessions."""
    from skillgit.errors import UsageError

    cfg = config or ws.config
    catalog = catalog or Catalog(ws)
    if name not in catalog.entries:
        known = ", ".join(catalog.names) or "none"
        raise UsageError(f"no skill `{name}` at HEAD; known skills: {known}.")
    if attributions is None:
        sessions = list(sessions)
        attributions = attribute(sessions, ws, catalog=catalog)
    ids = {a.session_id for a in attributions if a.skill == name and a.counts(cfg.metrics.count_weak)}
    skill = catalog.skills.get(name)
    expected = expected_commands(catalog.keywords.get(name, ()), skill.body if skill else "")
    pass_ = _Pass(name, cfg.diagnosis, own_files(name, catalog), expected)
    for session in sessions:
        if session.id in ids:
            pass_.add(session)
    return pass_.findings()


class _Pass:
    """What each pattern keeps of the sessions seen so far (see `diagnose`)."""

    def __init__(self, skill: str, d: Any, own: re.Pattern[str], expected: list[str]) -> None:
        self.skill, self.d, self.own = skill, d, own
        self.ids: list[str] = []
        self.seen: set[str] = set()
        self.count = 0
        self.retries = Clusters(d.similarity)
        self.reverts: dict[str, list[tuple[str, str | None]]] = {}
        self.failures = Clusters(d.similarity)
        self.worked: dict[str, dict[str, int]] = {}
        """Per tool: each command that worked, and where it last did (a running count of calls)."""
        self.calls = 0
        self.docless: list[tuple[str, int, str | None]] = []
        self.expected = expected
        self.missing = dict.fromkeys(expected)

    def add(self, session: Session) -> None:
        d = self.d
        self.count += 1
        if session.id not in self.seen:
            self.seen.add(session.id)
            self.ids.append(session.id)
        calls = session.tool_calls
        for run in retry_runs(session, d.retry_min, d.similarity):
            self.retries.add(run[0].name, shown(_last_failed(run)), (session.id, run))
        worked = self.worked
        for call in calls:
            self.calls += 1
            if call.ok is False:
                command = shown(call)
                self.failures.add(call.name, command, (session.id, call.name, command, call.error))
            elif call.ok is True:
                tool = worked.get(call.name)
                if tool is None:
                    tool = worked[call.name] = {}
                tool[shown(call)] = self.calls
        failed_session = session.outcome == "failure"
        edits = any(is_edit(c) for c in calls)
        if not (self.missing or edits or failed_session):
            return
        texts = [call_text(c) for c in calls]
        if edits:
            for path, before in _edit_revert_hits(session, d.revert_window, texts):
                self.reverts.setdefault(path, []).append((session.id, None if before is None else shown(before)))
        if failed_session:
            stretch = calls[_docless_start(calls, texts, self.own):]
            if len(stretch) >= d.docless_min_calls:
                failed = [c for c in stretch if c.ok is False]
                self.docless.append((session.id, len(stretch), shown(failed[-1]) if failed else None))
        if self.missing:
            text = " ".join("\n".join(texts).lower().split())
            for command in [c for c in self.missing if c in text]:
                del self.missing[command]

    def findings(self) -> list[Finding]:
        d = self.d
        return [
            *_retries(self.skill, self.retries),
            *_edit_reverts(self.skill, self.reverts, d.revert_min_sessions),
            *_repeated_failures(self.skill, self.failures, self.worked, d.failure_min_sessions, d.similarity),
            *_docless(self.skill, self.docless),
            *_absent(self.skill, self.ids, [c for c in self.expected if c in self.missing],
                     self.count >= d.absent_min_sessions),
        ]


# -- 1. retries ------------------------------------------------------------------------------------


def retry_runs(session: Session, retry_min: int, threshold: float) -> list[list[ToolCall]]:
    """Runs of ≥ retry_min calls of one tool, each a small change of the one before (similar, not identical;
    other tools may come between), all but the last failed. Re-running the same command (an edit-test loop)
    starts a new run."""
    runs: list[list[ToolCall]] = []
    open_runs: dict[str, list[ToolCall]] = {}

    def close(tool: str) -> None:
        run = open_runs.pop(tool, None)
        if run and len(run) >= retry_min:
            runs.append(run)

    for call in session.tool_calls:
        run = open_runs.get(call.name)
        before, now = (shown(run[-1]), shown(call)) if run else ("", "")
        if run and before != now and similar(before, now, threshold):
            run.append(call)
        else:
            close(call.name)
            open_runs[call.name] = [call]
        if call.ok is not False:
            close(call.name)
    for tool in list(open_runs):
        close(tool)
    return runs


def _retries(skill: str, clusters: Clusters) -> list[Finding]:
    out = []
    for cluster in clusters.all:
        group: list[tuple[str, list[ToolCall]]] = [item for _, item in cluster]
        evidence = []
        for sid, run in group:
            failed = sum(1 for c in run if c.ok is False)
            tail = f", then `{shown(run[-1])}` worked" if run[-1].ok else ", and never worked"
            evidence.append(f"{sid}: `{shown(run[0])}` failed, retried {failed} time(s) with small changes{tail}")
        best = next((run for _, run in reversed(group) if run[-1].ok), group[-1][1])
        working = shown(best[-1]) if best[-1].ok else None
        tool = best[0].name
        out.append(Finding(
            skill, "retry", _ids(sid for sid, _ in group), tuple(evidence),
            f"`{tool}` was retried {len(best)} times with small argument changes before "
            + ("it worked" if working else "the agent gave up")
            + ": the skill lacks a concrete, correct example of this command.",
            "Add the working command verbatim to ## Procedure and the failing form to ## Pitfalls."
            if working else "Find the correct form of this command and add it verbatim to ## Procedure.",
            shown(_last_failed(best)), working,
        ))
    return out


def _last_failed(run: list[ToolCall]) -> ToolCall:
    return next((c for c in reversed(run) if c.ok is False), run[0])


# -- 2. edit then revert ---------------------------------------------------------------------------


def edited_path(call: ToolCall) -> str | None:
    if not is_edit(call):
        return None
    for key in _PATH_KEYS:
        value = call.args.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip().removeprefix("./")
    return None


def reverts(call: ToolCall, path: str) -> bool:
    """Whether `call` is a git command that throws away the work-tree changes of `path`."""
    return _reverts(call_text(call), path)


def _reverts(text: str, path: str) -> bool:
    for match in _REVERT.finditer(text):
        rest = match.group("rest")
        if rest is None:
            return True
        tokens = [t.strip("'\"").removeprefix("./") for t in rest.split() if not t.startswith("-")]
        for token in tokens:
            if token in (".", "*") or token == path or path.endswith("/" + token) or token.endswith("/" + path):
                return True
    return False


def _edit_revert_hits(session: Session, window: int, texts: list[str]) -> list[tuple[str, ToolCall | None]]:
    """(path, the failed call before the revert) for each path edited, then reverted within `window` calls
    (`texts`: each call's `call_text`)."""
    calls = session.tool_calls
    undo = [j for j, text in enumerate(texts) if "git" in text and _REVERT.search(text)]  # the calls that may revert
    if not undo:
        return []
    seen: set[str] = set()
    out: list[tuple[str, ToolCall | None]] = []
    for i, call in enumerate(calls):
        path = edited_path(call)
        if path is None or path in seen:
            continue
        for j in undo:
            if i < j <= i + window and _reverts(texts[j], path):
                out.append((path, next((c for c in calls[i + 1 : j] if c.ok is False), None)))
                seen.add(path)
                break
    return out


def _edit_reverts(skill: str, by_path: dict[str, list[tuple[str, str | None]]], min_sessions: int) -> list[Finding]:
    out = []
    for path, hits in sorted(by_path.items()):
        ids = _ids(sid for sid, _ in hits)
        if len(ids) < min_sessions:
            continue
        failing = next((f for _, f in reversed(hits) if f is not None), None)
        evidence = tuple(
            f"{sid}: edited `{path}`, then reverted it" + (f" after `{f}` failed" if f else "") for sid, f in hits
        )
        out.append(Finding(
            skill, "edit-revert", ids, evidence,
            f"Edits to `{path}` were reverted in {len(ids)} sessions: the change keeps being rejected by build or tests.",
            f"Add a ## Pitfalls entry naming the brittle edit of `{path}` and what to check before making it.",
            failing, None,
        ))
    return out


# -- 3. the same failure across sessions -----------------------------------------------------------


def _repeated_failures(skill: str, clusters: Clusters, worked: dict[str, dict[str, int]], min_sessions: int,
                       threshold: float) -> list[Finding]:
    out = []
    buckets: dict[str, dict[str, list[str]]] = {}  # tool -> head -> commands that worked, the latest first
    for found in clusters.all:
        cluster: list[tuple[str, str, str, str | None]] = [item for _, item in found]
        ids = _ids(sid for sid, _, _, _ in cluster)
        if len(ids) < min_sessions:
            continue
        tool, failing = cluster[0][1], cluster[-1][2]
        # the last command of the tool that worked, in the last session where a similar one did
        if tool not in buckets:
            buckets[tool] = {}
            for command, _at in sorted(worked.get(tool, {}).items(), key=lambda item: -item[1]):
                buckets[tool].setdefault(head(command), []).append(command)
        candidates = buckets[tool].get(head(failing), [])
        working = next((command for command in candidates if similar(command, failing, threshold)), None)
        evidence = tuple(f"{sid}: `{command}` failed" + (f": {_first_line(error)}" if error else "")
                         for sid, _, command, error in cluster)
        out.append(Finding(
            skill, "repeated-failure", ids, evidence,
            f"`{tool}` fails with similar arguments in {len(ids)} sessions: the procedure has a recurring blind spot.",
            "Add a ## Pitfalls entry for this failure"
            + (" quoting the form that works" if working else "")
            + "; consider a 'do this first' step in ## Procedure.",
            failing, working,
        ))
    return out


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line[:160]


# -- 4. long stretches without docs ----------------------------------------------------------------


def reads_docs(call: ToolCall, own: re.Pattern[str] | None = None) -> bool:
    """Whether `call` reads docs: README*, docs/…, a .md/.rst file, or (with `own`) a file of the skill's
    own directory or the skill itself (`Skill` tool)."""
    if is_edit(call):
        return False
    text = call_text(call)
    return _DOC.search(text) is not None or (own is not None and own.search(text) is not None)


def docless_stretch(session: Session, own: re.Pattern[str] | None = None) -> list[ToolCall]:
    """The calls since the last read of docs, up to the end of the session (all of them when none read docs)."""
    calls = session.tool_calls
    return list(calls[_docless_start(calls, [call_text(c) for c in calls], own):])


def _docless_start(calls: Sequence[ToolCall], texts: list[str], own: re.Pattern[str] | None) -> int:
    for i in range(len(calls) - 1, -1, -1):
        if not is_edit(calls[i]) and (_DOC.search(texts[i]) is not None or (own is not None and own.search(texts[i]) is not None)):
            return i + 1
    return 0


def own_files(skill: str, catalog: Catalog) -> re.Pattern[str]:
    """What names a file of skill `skill` (active or in the attic) or invokes it: `skills/<name>/…`, a `Skill`
    call's `skill` argument."""
    roots = "|".join(re.escape(r) for r in (catalog.ws.skills_root, catalog.ws.attic_root))
    name = re.escape(skill)
    return re.compile(rf"(?:^|[^A-Za-z0-9_.-])(?:{roots})/{name}/|^(?:[\w-]+:)?{name}$", re.MULTILINE)


def _docless(skill: str, hits: list[tuple[str, int, str | None]]) -> list[Finding]:
    if not hits:
        return []
    failing = next((f for _, _, f in hits if f), None)
    evidence = tuple(
        f"{sid}: the last {size} calls read no docs before the session failed" + (f" (`{f}` failed)" if f else "")
        for sid, size, f in hits
    )
    return [Finding(
        skill, "docless", _ids(sid for sid, _, _ in hits), evidence,
        "Sessions that failed had worked through long runs of tool calls without reading any docs (nor the skill's "
        "own files) right before they failed: the skill does not tell the agent where the docs are or to verify "
        "its assumptions.",
        "Add a 'verify your assumptions' step to ## Procedure naming the docs to read first.",
        failing, None,
    )]


# -- 5. commands the skill names that never run ----------------------------------------------------


def _absent(skill: str, ids: list[str], missing: list[str], enough: bool) -> list[Finding]:
    """The commands the skill names that appear in none of its `ids` sessions (when there are `enough`)."""
    if not enough:
        return []
    out = []
    for command in missing:
        out.append(Finding(
            skill, "absent-command", tuple(ids),
            (f"`{command}` appears in none of the {len(ids)} session(s) attributed to `{skill}`",),
            f"The skill names `{command}` but the agent never ran it: that step is skipped or not reached.",
            f"Make the step explicit in ## Procedure with `{command}` verbatim (the description, if it is the "
            "trigger that is too weak, is a maintainer's change).",
            None, command,
        ))
    return out


def _ids(ids: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(ids))
