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
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, Protocol

from skillgit.evidence.attribution import Attribution, Catalog, attribute, call_text, is_edit
from skillgit.evidence.commandtext import HEAD_WORDS, Alike, alike, expected_commands, head, shown, similar
from skillgit.evidence.session import Facts, Run, Session, ToolCall
from skillgit.jsontypes import JSONObject

if TYPE_CHECKING:
    import sqlite3

    from skillgit.config import Config, DiagnosisConfig
    from skillgit.model.layout import Layout
    from skillgit.workspace import Workspace

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

    def to_json(self) -> JSONObject:
        return {
            "skill": self.skill, "pattern": self.pattern, "sessions": list(self.sessions),
            "evidence": list(self.evidence), "hypothesis": self.hypothesis, "direction": self.direction,
            "failing_command": self.failing_command, "working_command": self.working_command,
        }


def diagnose(
    ws: Workspace,
    name: str,
    sessions: Iterable[Session] = (),
    config: Config | None = None,
    *,
    catalog: Catalog | None = None,
    attributions: Sequence[Attribution] | None = None,
    facts: Iterable[tuple[str, str | None, Facts, Iterable[str]]] | None = None,
) -> list[Finding]:
    """Every finding for skill `name` in the `sessions` attributed to it (weak ones only with count_weak).

    Each session is looked at once, for what the patterns need of it (`facts_of`), and let go. With
    `facts` — (session id, outcome, facts, the skill's expected commands its calls contain) for each
    session attributed to the skill, in order, as the evidence store keeps them — no session is read."""
    from skillgit.errors import UsageError

    cfg = config or ws.config
    catalog = catalog or Catalog(ws)
    if name not in catalog.entries:
        known = ", ".join(catalog.names) or "none"
        raise UsageError(f"no skill `{name}` at HEAD; known skills: {known}.")
    expected = expected_for(catalog, name)
    pass_ = _Pass(name, cfg.diagnosis, expected)
    if facts is None:
        if attributions is None:
            sessions = list(sessions)
            attributions = attribute(sessions, ws, catalog=catalog)
        ids = {a.session_id for a in attributions if a.skill == name and a.counts(cfg.metrics.count_weak)}
        patterns = fact_patterns(ws.layout)
        facts = ((s.id, s.outcome, facts_of(s, cfg.diagnosis, patterns), commands_in(s, expected))
                 for s in sessions if s.id in ids)
    for sid, outcome, found, commands in facts:
        pass_.add(sid, outcome, found, commands)
    return list(pass_.findings())


class StoredFacts(Protocol):
    """What `stored_diagnosis` reads of the evidence store (`ingested.Ingested`)."""

    @property
    def catalog(self) -> Catalog: ...

    def skill_rows(self, skill: str, *, count_weak: bool, version: str | None = None
                   ) -> Iterator[tuple[int, str, str | None]]: ...

    def facts_at(self, skill: str, rows: Iterable[tuple[int, str, str | None]]
                 ) -> Iterator[tuple[int | None, str, str | None, Facts, list[str]]]: ...

    def worked(self, rows: Sequence[int]) -> Iterator[dict[str, dict[str, int]]]: ...


def stored_diagnosis(ws: Workspace, ev: StoredFacts, name: str, config: Config | None = None, *,
                     version: str | None = None) -> Iterator[Finding]:
    """`diagnose` of skill `name` over the sessions of the evidence store `ev` attributed to it (those that used
    `version` of it, when given), a finding at a time. The session ids and failed calls go to a scratch database
    on disk (`_Scratch`), read back for the clusters a finding reports; the commands that worked stay in the store,
    read back likewise. Read it while `ev` is open."""
    from skillgit.errors import UsageError

    cfg = config or ws.config
    if name not in ev.catalog.entries:
        known = ", ".join(ev.catalog.names) or "none"
        raise UsageError(f"no skill `{name}` at HEAD; known skills: {known}.")
    rows = ev.skill_rows(name, count_weak=bool(cfg.metrics.count_weak), version=version)
    pass_ = _Pass(name, cfg.diagnosis, expected_for(ev.catalog, name), ev.worked)
    for row, sid, outcome, found, commands in ev.facts_at(name, rows):
        pass_.add(sid, outcome, found, commands, row)
    return pass_.findings()


def expected_for(catalog: Catalog, name: str) -> list[str]:
    """The commands skill `name` names (see `expected_commands`)."""
    skill = catalog.skills.get(name)
    return expected_commands(catalog.keywords.get(name, ()), skill.body if skill else "")


class FactPatterns(NamedTuple):
    """What names a skill's own files (`files`: a path under one of the skill roots; `roots`: the plain
    folders those lie in, a quick test before the pattern) or invokes it (`invokes`: a whole line that
    is a skill name, `plugin:` prefix allowed), for every skill at once."""

    roots: tuple[str, ...]
    files: re.Pattern[str]
    invokes: re.Pattern[str]


def fact_patterns(layout: Layout) -> FactPatterns:
    """The `FactPatterns` of the skill roots and attic of `layout`."""
    return FactPatterns(tuple(f"{r}/" for r in layout.scan_roots),
                        re.compile(rf"(?<![A-Za-z0-9_.-]){layout.regex}/([a-z0-9]+(?:-[a-z0-9]+)*)/"),
                        re.compile(r"(?:[\w-]+:)?([a-z0-9]+(?:-[a-z0-9]+)*)"))


def facts_of(session: Session, d: DiagnosisConfig, patterns: FactPatterns, texts: list[str] | None = None) -> Facts:
    """The facts of one session (see `Facts`) for diagnosis settings `d` (`texts`: each call's `call_text`)."""
    calls = session.tool_calls
    forms = [shown(c) for c in calls]
    runs = [(calls[run[0]].name, forms[_last_failed(calls, run)], forms[run[0]], forms[run[-1]], calls[run[-1]].ok,
             sum(1 for i in run if calls[i].ok is False), len(run))
            for run in _retry_runs(calls, forms, d.retry_min, d.similarity)]
    failed: list[tuple[int, str, str, str | None]] = []
    worked: dict[str, dict[str, int]] = {}
    for i, call in enumerate(calls):
        ok = call.ok
        if ok is False:
            failed.append((i, call.name, forms[i], _first_line(call.error) if call.error else None))
        elif ok is True:
            tool = worked.get(call.name)
            if tool is None:
                tool = worked[call.name] = {}
            tool[forms[i]] = i
    texts = [call_text(c) for c in calls] if texts is None else texts
    reverts = [(path, None if before is None else forms[before])
               for path, before in _edit_revert_hits(session, d.revert_window, texts)]
    docs = -1
    for i in range(len(texts) - 1, -1, -1):  # the last call that read docs: from the end
        text = texts[i]
        if text and not is_edit(calls[i]) and _may_name_docs(text) and _DOC.search(text) is not None:
            docs = i
            break
    own: dict[str, int] = {}
    roots, files, invokes = patterns
    fullmatch = invokes.fullmatch
    for i, text in enumerate(texts):
        if not text or is_edit(calls[i]):
            continue
        for root in roots:
            if root in text:
                for match in files.finditer(text):
                    own[match.group(1)] = i
                break
        for line in text.split("\n"):  # a whole line, so one without a blank is all that can be a name
            if " " not in line and "/" not in line and "." not in line:  # no name has them
                found = fullmatch(line)
                if found is not None:
                    own[found.group(1)] = i
    return {"n": len(calls), "runs": runs, "reverts": reverts, "failed": failed, "worked": worked, "docs": docs,
            "own": own}


def _may_name_docs(text: str) -> bool:
    """Whether `text` holds what `_DOC` looks for at all (a quick test before it; casefolded, as its
    case-insensitive match folds `ſ` to `s`)."""
    folded = text.casefold()
    return "readme" in folded or "doc" in folded or ".md" in folded or ".rst" in folded


def commands_in(session: Session, commands: Iterable[str], texts: list[str] | None = None) -> list[str]:
    """Which of `commands` appear in the session's calls (their texts joined, lowercase, blanks folded)."""
    commands = list(commands)
    if not commands:
        return []
    texts = [call_text(c) for c in session.tool_calls] if texts is None else texts
    text = " ".join("\n".join(texts).lower().split())
    return [c for c in commands if c in text]


_Retry = tuple[str, Run]
"""A session id and one of its retry runs."""
_Worked = dict[str, dict[str, int]]
"""Per tool, each command that worked in a session and the position where it last did (`Facts.worked`)."""
_FAILED, _RETRIES = 0, 1
"""The two kinds of clusters: of failed calls (by tool and command), of retry runs (by tool and failing form)."""


class _Scratch:
    """What diagnosis keeps of the sessions seen so far — their ids, failed calls, retry runs, reverted edits and
    docless stretches — in a private SQLite database on disk (its page cache 256 KiB), so that it does not grow
    with them. Each failed call and each retry run is placed in a cluster of its kind, greedily: the first cluster
    of its bucket (one tool, the same first two words, so that many distinct commands cost linear time, not
    quadratic) whose first command is similar, else a new one; a command seen before, its cluster again. Clusters
    are numbered in creation order, everything else in the order seen."""

    _TABLES = (
        "CREATE TABLE sessions(at INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE)",
        "CREATE TABLE clusters(cluster INTEGER PRIMARY KEY, kind INTEGER NOT NULL, tool TEXT NOT NULL, head TEXT NOT NULL,"
        " first TEXT NOT NULL)",
        "CREATE INDEX clusters_bucket ON clusters(kind, tool, head, cluster)",
        "CREATE TABLE commands(key INTEGER NOT NULL, kind INTEGER NOT NULL, tool TEXT NOT NULL, command TEXT NOT NULL,"
        " cluster INTEGER NOT NULL)",
        "CREATE INDEX commands_key ON commands(key)",
        "CREATE TABLE failed(call INTEGER PRIMARY KEY, session TEXT NOT NULL, command TEXT NOT NULL, line TEXT,"
        " cluster INTEGER NOT NULL)",
        "CREATE TABLE retries(run INTEGER PRIMARY KEY, cluster INTEGER NOT NULL, session TEXT NOT NULL, tool TEXT NOT NULL,"
        " failing TEXT NOT NULL, first TEXT NOT NULL, last TEXT NOT NULL, last_ok INTEGER, failures INTEGER NOT NULL,"
        " size INTEGER NOT NULL)",
        "CREATE TABLE reverts(at INTEGER PRIMARY KEY, path TEXT NOT NULL, session TEXT NOT NULL, failing TEXT)",
        "CREATE TABLE docless(at INTEGER PRIMARY KEY, session TEXT NOT NULL, size INTEGER NOT NULL, failing TEXT)",
    )
    _BATCH = 500
    """How many sessions, failed calls, runs, reverts and docless stretches are held before they are written."""

    def __init__(self, threshold: float) -> None:
        import sqlite3

        self.threshold = threshold
        self.sessions: list[tuple[str]] = []
        self.calls: list[tuple[str, str, str, str | None]] = []
        """The failed calls not written yet (session, tool, command, error line); likewise the rest."""
        self.runs: list[tuple[str, str, str, str, str, bool | None, int, int]] = []
        self.reverted: list[tuple[str, str, str | None]] = []
        self.stretches: list[tuple[str, int, str | None]] = []
        self.db: sqlite3.Connection = sqlite3.connect("", isolation_level=None)  # "": a temporary file, gone on close
        for statement in ("PRAGMA cache_size = -256", "PRAGMA journal_mode = OFF", "PRAGMA synchronous = OFF",
                          "BEGIN", *self._TABLES):
            self.db.execute(statement)

    def session(self, sid: str, facts: Facts, docless: tuple[int, str | None] | None) -> None:
        """Session `sid`: its failed calls, retry runs and reverted edits (of its `facts`), and its docless stretch
        (its size and last failed command) when it has one; written a batch at a time (`_BATCH`)."""
        self.sessions.append((sid,))
        self.calls.extend((sid, tool, command, line) for _, tool, command, line in facts["failed"])
        self.runs.extend((sid, *run) for run in facts["runs"])
        self.reverted.extend((path, sid, before) for path, before in facts["reverts"])
        if docless is not None:
            self.stretches.append((sid, *docless))
        if len(self.sessions) + len(self.calls) + len(self.runs) + len(self.reverted) >= self._BATCH:
            self.flush()

    def flush(self) -> None:
        """Write what is held: each failed call and run placed in its cluster (`_place`)."""
        db = self.db
        db.executemany("INSERT OR IGNORE INTO sessions(id) VALUES (?)", self.sessions)  # the first time each was seen
        if self.calls:
            known = self._place(_FAILED, [(tool, command) for _, tool, command, _ in self.calls])
            db.executemany("INSERT INTO failed(session, command, line, cluster) VALUES (?, ?, ?, ?)",
                           [(sid, command, line, known[tool, command]) for sid, tool, command, line in self.calls])
        if self.runs:
            known = self._place(_RETRIES, [(run[1], run[2]) for run in self.runs])
            db.executemany("INSERT INTO retries(cluster, session, tool, failing, first, last, last_ok, failures, size)"
                           " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [(known[run[1], run[2]], *run) for run in self.runs])
        db.executemany("INSERT INTO reverts(path, session, failing) VALUES (?, ?, ?)", self.reverted)
        db.executemany("INSERT INTO docless(session, size, failing) VALUES (?, ?, ?)", self.stretches)
        self.sessions, self.calls, self.runs, self.reverted, self.stretches = [], [], [], [], []

    def _place(self, kind: int, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """The cluster of each (tool, command) of `pairs` (of clusters of `kind`): looked up by its hash (a batch's in
        one query), the new ones placed in theirs in the order they first appear (as one at a time would)."""
        db = self.db
        wanted = {pair: hash((kind, *pair)) for pair in pairs}
        keys = ",".join(map(str, set(wanted.values())))  # one statement, not one per number of keys
        known: dict[tuple[str, str], int] = {(tool, command): cluster for k, tool, command, cluster in db.execute(
            "SELECT kind, tool, command, cluster FROM commands WHERE key IN (SELECT value FROM json_each(?))",
            (f"[{keys}]",)) if k == kind}
        new = []
        buckets: dict[tuple[str, str], list[tuple[int, str]]] = {}
        for pair, key in wanted.items():
            if pair not in known:
                known[pair] = self._cluster(kind, *pair, buckets)
                new.append((key, kind, *pair, known[pair]))
        db.executemany("INSERT INTO commands(key, kind, tool, command, cluster) VALUES (?, ?, ?, ?, ?)", new)
        return known

    def ids(self) -> tuple[str, ...]:
        """Every session id, in the order first seen."""
        self.flush()
        return tuple(sid for (sid,) in self.db.execute("SELECT id FROM sessions ORDER BY at"))

    def _cluster(self, kind: int, tool: str, command: str, buckets: dict[tuple[str, str], list[tuple[int, str]]]) -> int:
        """The cluster of new `command` of `tool` (a new one when none is like it); `buckets`: the first command of
        each cluster of the buckets read so far by this batch."""
        bucket = (tool, head(command))
        firsts = buckets.get(bucket)
        if firsts is None:
            firsts = buckets[bucket] = self.db.execute(
                "SELECT cluster, first FROM clusters WHERE kind = ? AND tool = ? AND head = ? ORDER BY cluster",
                (kind, *bucket)).fetchall()
        like = Alike(command, self.threshold)
        for cluster, first in firsts:
            if like(first):  # alike(first, command)
                return cluster
        found = self.db.execute("INSERT INTO clusters(kind, tool, head, first) VALUES (?, ?, ?, ?)",
                                (kind, *bucket, command)).lastrowid
        assert found is not None
        firsts.append((found, command))
        return found

    def retries(self) -> Iterator[list[_Retry]]:
        """The runs of each cluster of retry runs, in creation order (each cluster's in the order seen)."""
        self.flush()
        self.db.execute("CREATE INDEX retries_cluster ON retries(cluster, run)")
        group: list[_Retry] = []
        current = None
        for cluster, sid, tool, failing, first, last, last_ok, failures, size in self.db.execute(
                "SELECT cluster, session, tool, failing, first, last, last_ok, failures, size FROM retries"
                " ORDER BY cluster, run"):
            if cluster != current and group:
                yield group
                group = []
            current = cluster
            group.append((sid, (tool, failing, first, last, None if last_ok is None else bool(last_ok), failures, size)))
        if group:
            yield group

    def reverts(self) -> Iterator[tuple[str, list[tuple[str, str | None]]]]:
        """Each path reverted, in order, with (session id, the failed call before the revert) of each revert of it."""
        self.flush()
        self.db.execute("CREATE INDEX reverts_path ON reverts(path, at)")
        hits: list[tuple[str, str | None]] = []
        current = None
        for path, sid, failing in self.db.execute("SELECT path, session, failing FROM reverts ORDER BY path, at"):
            if path != current and hits:
                assert current is not None
                yield current, hits
                hits = []
            current = path
            hits.append((sid, failing))
        if current is not None and hits:
            yield current, hits

    def docless(self) -> list[tuple[str, int, str | None]]:
        """(session id, calls, the last failed command) of each docless stretch, in order."""
        self.flush()
        return self.db.execute("SELECT session, size, failing FROM docless ORDER BY at").fetchall()

    def repeated(self, min_sessions: int) -> list[tuple[int, str, str]]:
        """(cluster, tool, its last failing command) of the clusters with failed calls in ≥ `min_sessions` sessions,
        in creation order."""
        self.flush()
        self.db.execute("CREATE INDEX failed_cluster ON failed(cluster, call, session, command, line)")  # once: SQLite's sorter spills past 1 MiB
        return self.db.execute(
            "SELECT k.cluster, k.tool, (SELECT f.command FROM failed f WHERE f.cluster = k.cluster ORDER BY f.call DESC"
            " LIMIT 1) FROM clusters k WHERE k.kind = ? AND (SELECT count(DISTINCT f.session) FROM failed f"
            " WHERE f.cluster = k.cluster) >= ? ORDER BY k.cluster", (_FAILED, min_sessions)).fetchall()

    def items(self, cluster: int) -> list[tuple[str, str, str | None]]:
        """(session id, command, first line of the error) of each failed call of `cluster`, in order."""
        return self.db.execute("SELECT session, command, line FROM failed WHERE cluster = ? ORDER BY call", (cluster,)).fetchall()

    def close(self) -> None:
        self.db.close()


class _Pass:
    """What each pattern keeps of the sessions seen so far (see `diagnose`). Session ids, failed calls, retry runs,
    reverts and docless stretches are kept on disk (`_Scratch`); the commands that worked stay where they are
    (`worked_of` reads those of store rows, the latest first) until the findings are made, one at a time."""

    def __init__(self, skill: str, d: DiagnosisConfig, expected: list[str],
                 worked_of: Callable[[Sequence[int]], Iterable[_Worked]] | None = None) -> None:
        self.skill, self.d = skill, d
        self.scratch = _Scratch(d.similarity)
        self.count = 0
        self.worked = array("q")
        """With `worked_of`, per session in order: its store row (`worked_of` reads what worked in it), or -1 - i
        for what worked in it as `whole[i]` (a session whose facts were found whole)."""
        self.whole: list[_Worked] = []
        self.worked_of = worked_of
        self.merged: _Worked = {}
        """Without `worked_of`: per tool, each command that worked and where it last did (a running count of calls)."""
        self.calls = 0
        self.expected = expected
        self.missing = dict.fromkeys(expected)

    def add(self, sid: str, outcome: str | None, facts: Facts, commands: Iterable[str], row: int | None = None) -> None:
        """Session `sid`'s `facts` (without what worked when `row`, its store row, is given)."""
        d = self.d
        self.count += 1
        docless = None
        if outcome == "failure":
            start = max(facts["docs"], facts["own"].get(self.skill, -1)) + 1
            size = facts["n"] - start
            if size >= d.docless_min_calls:
                failed = [f for f in facts["failed"] if f[0] >= start]
                docless = (size, failed[-1][2] if failed else None)
        self.scratch.session(sid, facts, docless)
        if self.worked_of is not None:
            if row is None:
                self.worked.append(-1 - len(self.whole))
                self.whole.append(facts["worked"])
            else:
                self.worked.append(row)
        else:
            base = self.calls
            for tool, commands_worked in facts["worked"].items():
                known = self.merged.get(tool)
                if known is None:
                    known = self.merged[tool] = {}
                for command, at in commands_worked.items():
                    known[command] = base + at
        self.calls += facts["n"]
        for command in commands:
            self.missing.pop(command, None)

    def findings(self) -> Iterator[Finding]:
        """The findings, each made when it is read."""
        d = self.d
        try:
            yield from _retries(self.skill, self.scratch.retries())
            yield from _edit_reverts(self.skill, self.scratch.reverts(), d.revert_min_sessions)
            yield from self._repeated_failures()
            yield from _docless(self.skill, self.scratch.docless())
            yield from _absent(self.skill, self.scratch.ids, [c for c in self.expected if c in self.missing],
                               self.count >= d.absent_min_sessions)
        finally:
            self.scratch.close()
            self.worked = array("q")
            self.whole.clear()
            self.merged.clear()

    def _repeated_failures(self) -> Iterator[Finding]:
        """The clusters of failures seen in ≥ failure_min_sessions sessions, with the command that worked last
        among those like its last failing one."""
        failing = {cluster: (tool, command) for cluster, tool, command in self.scratch.repeated(self.d.failure_min_sessions)}
        working = _working(failing, self._worked_latest_first(), self.d.similarity)
        for cluster, (tool, command) in failing.items():
            yield _repeated_failure(self.skill, tool, self.scratch.items(cluster), command, working.get(cluster))

    def _worked_latest_first(self) -> Iterator[_Worked]:
        """What worked in each session, the last session first (all sessions as one without `worked_of`)."""
        if self.worked_of is None:
            yield self.merged
            return
        entries, end = self.worked, len(self.worked)
        while end > 0:
            entry = entries[end - 1]
            if entry < 0:
                yield self.whole[-1 - entry]
                end -= 1
                continue
            start = end - 1
            while start > 0 and end - start < 500 and entries[start - 1] >= 0:
                start -= 1
            yield from self.worked_of(list(entries[start:end][::-1]))
            end = start


# -- 1. retries ------------------------------------------------------------------------------------


def retry_runs(session: Session, retry_min: int, threshold: float) -> list[list[ToolCall]]:
    """Runs of ≥ retry_min calls of one tool, each a small change of the one before (similar, not identical;
    other tools may come between), all but the last failed. Re-running the same command (an edit-test loop)
    starts a new run."""
    calls = session.tool_calls
    return [[calls[i] for i in run] for run in _retry_runs(calls, [shown(c) for c in calls], retry_min, threshold)]


def _retry_runs(calls: Sequence[ToolCall], forms: list[str], retry_min: int, threshold: float) -> list[list[int]]:
    """`retry_runs` as positions in `calls` (`forms`: each call's `shown`)."""
    runs: list[list[int]] = []
    open_runs: dict[str, list[int]] = {}

    def close(tool: str) -> None:
        run = open_runs.pop(tool, None)
        if run and len(run) >= retry_min:
            runs.append(run)

    for i, call in enumerate(calls):
        run = open_runs.get(call.name)
        if run is None and call.ok is not False and retry_min > 1:
            continue  # a run of this one call would open and close at once, too short to count
        before, now = (forms[run[-1]], forms[i]) if run else ("", "")
        if run and before != now and similar(before, now, threshold):
            run.append(i)
        else:
            close(call.name)
            open_runs[call.name] = [i]
        if call.ok is not False:
            close(call.name)
    for tool in list(open_runs):
        close(tool)
    return runs


def _retries(skill: str, clusters: Iterable[list[_Retry]]) -> Iterator[Finding]:
    """A finding for each cluster of retry runs (each run with its session id), made when it is read."""
    for group in clusters:
        evidence = []
        for sid, (_tool, _failing, first, last, last_ok, failed, _size) in group:
            tail = f", then `{last}` worked" if last_ok else ", and never worked"
            evidence.append(f"{sid}: `{first}` failed, retried {failed} time(s) with small changes{tail}")
        best = next((run for _, run in reversed(group) if run[4]), group[-1][1])
        tool, failing, _first, last, last_ok, _failed, size = best
        working = last if last_ok else None
        yield Finding(
            skill, "retry", _ids(sid for sid, _ in group), tuple(evidence),
            f"`{tool}` was retried {size} times with small argument changes before "
            + ("it worked" if working else "the agent gave up")
            + ": the skill lacks a concrete, correct example of this command.",
            "Add the working command verbatim to ## Procedure and the failing form to ## Pitfalls."
            if working else "Find the correct form of this command and add it verbatim to ## Procedure.",
            failing, working,
        )


def _last_failed(calls: Sequence[ToolCall], run: list[int]) -> int:
    return next((i for i in reversed(run) if calls[i].ok is False), run[0])


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


def _edit_revert_hits(session: Session, window: int, texts: list[str]) -> list[tuple[str, int | None]]:
    """(path, the position of the failed call before the revert) for each path edited, then reverted within
    `window` calls (`texts`: each call's `call_text`)."""
    calls = session.tool_calls
    undo = [j for j, text in enumerate(texts) if "git" in text and _REVERT.search(text)]  # the calls that may revert
    if not undo:
        return []
    seen: set[str] = set()
    out: list[tuple[str, int | None]] = []
    for i, call in enumerate(calls):
        path = edited_path(call)
        if path is None or path in seen:
            continue
        for j in undo:
            if i < j <= i + window and _reverts(texts[j], path):
                out.append((path, next((k for k in range(i + 1, j) if calls[k].ok is False), None)))
                seen.add(path)
                break
    return out


def _edit_reverts(skill: str, by_path: Iterable[tuple[str, list[tuple[str, str | None]]]], min_sessions: int
                  ) -> Iterator[Finding]:
    """A finding for each path (`by_path`: in order, each with its reverts) reverted in ≥ `min_sessions` sessions."""
    for path, hits in by_path:
        ids = _ids(sid for sid, _ in hits)
        if len(ids) < min_sessions:
            continue
        failing = next((f for _, f in reversed(hits) if f is not None), None)
        evidence = tuple(
            f"{sid}: edited `{path}`, then reverted it" + (f" after `{f}` failed" if f else "") for sid, f in hits
        )
        yield Finding(
            skill, "edit-revert", ids, evidence,
            f"Edits to `{path}` were reverted in {len(ids)} sessions: the change keeps being rejected by build or tests.",
            f"Add a ## Pitfalls entry naming the brittle edit of `{path}` and what to check before making it.",
            failing, None,
        )


# -- 3. the same failure across sessions -----------------------------------------------------------


def _working(failing: dict[int, tuple[str, str]], worked: Iterable[_Worked], threshold: float) -> dict[int, str]:
    """For each cluster of `failing` (its tool and last failing command), the command of that tool that worked
    last among those of its bucket (the same first two words) similar to the failing one; `worked`: what worked
    in each session, the last session first. The scan stops once every cluster has its command."""
    waiting: dict[str, dict[tuple[str | None, ...], list[tuple[int, str]]]] = {}  # tool -> head's words -> …
    words = HEAD_WORDS.match
    for cluster, (tool, command) in failing.items():
        key = words(command).group(1, 2)  # type: ignore[union-attr]  # it matches every text
        waiting.setdefault(tool, {}).setdefault(key, []).append((cluster, command))
    found: dict[int, str] = {}
    for session in worked:
        if not waiting:
            break
        best: dict[int, tuple[int, str, str, tuple[str | None, ...]]] = {}  # cluster -> the last position…
        for tool, commands in session.items():
            buckets = waiting.get(tool)
            if buckets is None:
                continue
            get = buckets.get
            for command, at in commands.items():
                key = words(command).group(1, 2)  # type: ignore[union-attr]
                clusters = get(key)
                if clusters is None:
                    continue
                for cluster, command_failing in clusters:
                    if alike(command, command_failing, threshold):
                        known = best.get(cluster)
                        if known is None or known[0] < at:
                            best[cluster] = (at, command, tool, key)
        for cluster, (_, command, tool, key) in best.items():
            found[cluster] = command
            buckets = waiting[tool]
            left = [(c, f) for c, f in buckets[key] if c != cluster]
            if left:
                buckets[key] = left
            else:
                del buckets[key]
                if not buckets:
                    del waiting[tool]
    return found


def _repeated_failure(skill: str, tool: str, items: list[tuple[str, str, str | None]], failing: str,
                      working: str | None) -> Finding:
    """The finding of one cluster of failures (`items`: session id, command, first line of the error)."""
    ids = _ids(sid for sid, _, _ in items)
    evidence = tuple(f"{sid}: `{command}` failed" + (f": {line}" if line is not None else "")
                     for sid, command, line in items)
    return Finding(
        skill, "repeated-failure", ids, evidence,
        f"`{tool}` fails with similar arguments in {len(ids)} sessions: the procedure has a recurring blind spot.",
        "Add a ## Pitfalls entry for this failure"
        + (" quoting the form that works" if working else "")
        + "; consider a 'do this first' step in ## Procedure.",
        failing, working,
    )


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line[:160]


# -- 4. long stretches without docs ----------------------------------------------------------------


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


def _absent(skill: str, sessions: Callable[[], Sequence[str]], missing: list[str], enough: bool) -> list[Finding]:
    """The commands the skill names that appear in none of its sessions (`sessions` reads their ids; when there are
    `enough`), each finding with the same tuple of them."""
    if not enough or not missing:
        return []
    ids = tuple(sessions())
    out = []
    for command in missing:
        out.append(Finding(
            skill, "absent-command", ids,
            (f"`{command}` appears in none of the {len(ids)} session(s) attributed to `{skill}`",),
            f"The skill names `{command}` but the agent never ran it: that step is skipped or not reached.",
            f"Make the step explicit in ## Procedure with `{command}` verbatim (the description, if it is the "
            "trigger that is too weak, is a maintainer's change).",
            None, command,
        ))
    return out


def _ids(ids: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(ids))
