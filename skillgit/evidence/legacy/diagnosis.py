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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from skillgit.evidence.legacy.attribution import Attribution, Catalog, attribute, call_text, is_edit
from skillgit.evidence.legacy.commandtext import Clusters, expected_commands, head, shown, similar
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
    sessions: Sequence[Session],
    config: Config | None = None,
    *,
    catalog: Catalog | None = None,
    attributions: Sequence[Attribution] | None = None,
) -> list[Finding]:
    """Every finding for skill `name` in the `sessions` attributed to it (weak ones only with count_weak)."""
    from skillgit.errors import UsageError

    cfg = config or ws.config
    catalog = catalog or Catalog(ws)
    if name not in catalog.entries:
        known = ", ".join(catalog.names) or "none"
        raise UsageError(f"no skill `{name}` at HEAD; known skills: {known}.")
    found = attributions if attributions is not None else attribute(sessions, ws, catalog=catalog)
    ids = {a.session_id for a in found if a.skill == name and a.counts(cfg.metrics.count_weak)}
    mine = [s for s in sessions if s.id in ids]
    d = cfg.diagnosis
    skill = catalog.skills.get(name)
    return [
        *_retries(name, mine, d.retry_min, d.similarity),
        *_edit_reverts(name, mine, d.revert_window, d.revert_min_sessions),
        *_repeated_failures(name, mine, d.failure_min_sessions, d.similarity),
        *_docless(name, mine, d.docless_min_calls, own_files(name, catalog)),
        *_absent(name, mine, expected_commands(catalog.keywords.get(name, ()), skill.body if skill else ""),
                 d.absent_min_sessions),
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


def _retries(skill: str, sessions: Sequence[Session], retry_min: int, threshold: float) -> list[Finding]:
    clusters = Clusters(threshold)
    for session in sessions:
        for run in retry_runs(session, retry_min, threshold):
            clusters.add(run[0].name, shown(_last_failed(run)), (session, run))
    out = []
    for cluster in clusters.all:
        group: list[tuple[Session, list[ToolCall]]] = [item for _, item in cluster]
        evidence = []
        for session, run in group:
            failed = sum(1 for c in run if c.ok is False)
            tail = f", then `{shown(run[-1])}` worked" if run[-1].ok else ", and never worked"
            evidence.append(f"{session.id}: `{shown(run[0])}` failed, retried {failed} time(s) with small changes{tail}")
        best = next((run for _, run in reversed(group) if run[-1].ok), group[-1][1])
        working = shown(best[-1]) if best[-1].ok else None
        tool = best[0].name
        out.append(Finding(
            skill, "retry", _ids(s for s, _ in group), tuple(evidence),
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
    for match in _REVERT.finditer(call_text(call)):
        rest = match.group("rest")
        if rest is None:
            return True
        tokens = [t.strip("'\"").removeprefix("./") for t in rest.split() if not t.startswith("-")]
        for token in tokens:
            if token in (".", "*") or token == path or path.endswith("/" + token) or token.endswith("/" + path):
                return True
    return False


def _edit_reverts(skill: str, sessions: Sequence[Session], window: int, min_sessions: int) -> list[Finding]:
    by_path: dict[str, list[tuple[Session, ToolCall | None]]] = {}
    for session in sessions:
        calls = session.tool_calls
        seen: set[str] = set()
        for i, call in enumerate(calls):
            path = edited_path(call)
            if path is None or path in seen:
                continue
            after = calls[i + 1 : i + 1 + window]
            for j, later in enumerate(after):
                if reverts(later, path):
                    failed = next((c for c in after[:j] if c.ok is False), None)
                    by_path.setdefault(path, []).append((session, failed))
                    seen.add(path)
                    break
    out = []
    for path, hits in sorted(by_path.items()):
        ids = _ids(s for s, _ in hits)
        if len(ids) < min_sessions:
            continue
        failing = next((shown(f) for _, f in reversed(hits) if f is not None), None)
        evidence = tuple(
            f"{s.id}: edited `{path}`, then reverted it" + (f" after `{shown(f)}` failed" if f else "") for s, f in hits
        )
        out.append(Finding(
            skill, "edit-revert", ids, evidence,
            f"Edits to `{path}` were reverted in {len(ids)} sessions: the change keeps being rejected by build or tests.",
            f"Add a ## Pitfalls entry naming the brittle edit of `{path}` and what to check before making it.",
            failing, None,
        ))
    return out


# -- 3. the same failure across sessions -----------------------------------------------------------


def _repeated_failures(skill: str, sessions: Sequence[Session], min_sessions: int, threshold: float) -> list[Finding]:
    clusters = Clusters(threshold)
    for session in sessions:
        for call in session.tool_calls:
            if call.ok is False:
                clusters.add(call.name, shown(call), (session, call))
    out = []
    for found in clusters.all:
        cluster: list[tuple[Session, ToolCall]] = [item for _, item in found]
        ids = _ids(s for s, _ in cluster)
        if len(ids) < min_sessions:
            continue
        tool, failing = cluster[0][1].name, shown(cluster[-1][1])
        working = None
        first = head(failing)
        for session in reversed(sessions):
            ok = [c for c in session.tool_calls if c.ok is True and c.name == tool and head(shown(c)) == first
                  and similar(shown(c), failing, threshold)]
            if ok:
                working = shown(ok[-1])
                break
        evidence = tuple(f"{s.id}: `{shown(c)}` failed" + (f": {_first_line(c.error)}" if c.error else "") for s, c in cluster)
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
    for i in range(len(calls) - 1, -1, -1):
        if reads_docs(calls[i], own):
            return list(calls[i + 1:])
    return list(calls)


def own_files(skill: str, catalog: Catalog) -> re.Pattern[str]:
    """What names a file of skill `skill` (active or in the attic) or invokes it: `skills/<name>/…`, a `Skill`
    call's `skill` argument."""
    roots = "|".join(re.escape(r) for r in (catalog.ws.skills_root, catalog.ws.attic_root))
    name = re.escape(skill)
    return re.compile(rf"(?:^|[^A-Za-z0-9_.-])(?:{roots})/{name}/|^(?:[\w-]+:)?{name}$", re.MULTILINE)


def _docless(skill: str, sessions: Sequence[Session], min_calls: int, own: re.Pattern[str] | None = None) -> list[Finding]:
    hits = []
    for session in sessions:
        if session.outcome != "failure":
            continue
        stretch = docless_stretch(session, own)
        if len(stretch) >= min_calls:
            hits.append((session, stretch, [c for c in stretch if c.ok is False]))
    if not hits:
        return []
    failing = next((shown(f[-1]) for _, _, f in hits if f), None)
    evidence = tuple(
        f"{s.id}: the last {len(stretch)} calls read no docs before the session failed"
        + (f" (`{shown(f[-1])}` failed)" if f else "") for s, stretch, f in hits
    )
    return [Finding(
        skill, "docless", _ids(s for s, _, _ in hits), evidence,
        "Sessions that failed had worked through long runs of tool calls without reading any docs (nor the skill's "
        "own files) right before they failed: the skill does not tell the agent where the docs are or to verify "
        "its assumptions.",
        "Add a 'verify your assumptions' step to ## Procedure naming the docs to read first.",
        failing, None,
    )]


# -- 5. commands the skill names that never run ----------------------------------------------------


def _absent(skill: str, sessions: Sequence[Session], expected: list[str], min_sessions: int) -> list[Finding]:
    if len(sessions) < min_sessions or not expected:
        return []
    texts = [" ".join("\n".join(call_text(c) for c in s.tool_calls).lower().split()) for s in sessions]
    out = []
    ids = _ids(sessions)
    for command in expected:
        if any(command in text for text in texts):
            continue
        out.append(Finding(
            skill, "absent-command", ids,
            (f"`{command}` appears in none of the {len(ids)} session(s) attributed to `{skill}`",),
            f"The skill names `{command}` but the agent never ran it: that step is skipped or not reached.",
            f"Make the step explicit in ## Procedure with `{command}` verbatim (the description, if it is the "
            "trigger that is too weak, is a maintainer's change).",
            None, command,
        ))
    return out


def _ids(sessions: Any) -> tuple[str, ...]:
    out: list[str] = []
    for s in sessions:
        if s.id not in out:
            out.append(s.id)
    return tuple(out)
