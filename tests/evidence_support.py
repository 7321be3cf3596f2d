"""Helpers for the evidence tests: dated skill repos, complete sessions rebuilt from corpus records, ingest.

Corpus trace files are format samples, not complete sessions: each builder here takes the real
records and adapts ids, times and arguments so that they form one whole session of that format.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conftest import CORPUS, CORPUS_FIX, FIXTURES, git, needs

from skillgit.evidence.session import Session, SkillUse, ToolCall

TRACES = CORPUS / "traces"
YOYO = CORPUS / "yoyo"
needs_corpus = needs(TRACES.is_dir() and YOYO.is_dir(), f"traces/ and yoyo/ of {CORPUS_FIX}")
DAY165 = "day-165-20260812T091434Z"
DAY172 = "day-172-20260819T164708Z"


def t(text: str) -> datetime:
    """An aware UTC datetime from `2026-02-01` or `2026-02-01T10:00`."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@contextlib.contextmanager
def dated(when: str) -> Iterator[None]:
    """Author and commit everything inside at `when` (ISO date, UTC)."""
    stamp = t(when).isoformat()
    saved = {k: os.environ.get(k) for k in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE")}
    os.environ["GIT_AUTHOR_DATE"] = os.environ["GIT_COMMITTER_DATE"] = stamp
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def sg(repo: Path, *args: str) -> int:
    from skillgit.cli import run

    return run(["-C", str(repo), *args])


def dated_repo(root: Path, when: str = "2026-01-01") -> Path:
    """The bundled fixture skills repo committed at `when` and initialised (`skillgit init`) just after."""
    repo = root / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    shutil.copytree(FIXTURES / "repo", repo, dirs_exist_ok=True)
    with dated(when):
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "Import skills")
        assert sg(repo, "init") == 0
    return repo


def write_skill(repo: Path, name: str, text: str) -> bytes:
    path = repo / "skills" / name / "SKILL.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path.read_bytes()


def add_skill(repo: Path, name: str, text: str, when: str) -> str:
    """Commit a new or changed skill as the maintainer's `manual` event at `when`; its blob id."""
    raw = write_skill(repo, name, text)
    with dated(when):
        assert sg(repo, "record", name) == 0
    return git(repo, "hash-object", f"skills/{name}/SKILL.md").strip() if raw else ""


def refine(repo: Path, name: str, text: str, when: str, expected: str) -> str:
    """Commit an edit of skill `name` as a `refine` event carrying `expected`; the commit id."""
    write_skill(repo, name, text)
    with dated(when):
        assert sg(repo, "refine", name, "--expected", expected) == 0
    return git(repo, "rev-parse", "HEAD").strip()


def skill_text(name: str, body: str = "Do the thing.\n", **fields: Any) -> str:
    lines = [f"name: {name}", f"description: The {name} skill for tests", "origin: yoyo", "status: active"]
    lines += [f"{k}: {json.dumps(v)}" for k, v in fields.items()]
    return "---\n" + "\n".join(lines) + f"\n---\n\n# {name}\n\n{body}"


def ingest(repo: Path, *paths: Path) -> None:
    assert sg(repo, "ingest", *map(str, paths)) == 0


# -- complete sessions from corpus records ----------------------------------------------------------


def corpus_lines(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (TRACES / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def claude_session(path: Path, *, skill: str, start: str, command: str, error: str | None = None,
                   version: str | None = None) -> Path:
    """A Claude Code transcript: the corpus `Skill` invocation (tool_use, result, skill body), then a
    Bash call whose result is the corpus `is_error` tool_result (or a success when `error` is None)."""
    invoke, launched, body = corpus_lines("claude-code__skill-invocation.jsonl")
    (failed,) = corpus_lines("claude-code__error-result.jsonl")
    begin = t(start)
    sid = path.stem
    records = []
    for i, rec in enumerate((invoke, launched, body)):
        rec = copy.deepcopy(rec)
        rec.update(sessionId=sid, timestamp=_iso(begin.replace(second=i)))
        records.append(rec)
    records[0]["message"]["content"][0]["input"] = {"skill": skill, **({"skill_version": version} if version else {})}
    bash = copy.deepcopy(invoke)
    bash.update(uuid="b1", parentUuid=records[-1]["uuid"], sessionId=sid, timestamp=_iso(begin.replace(second=10)))
    bash["message"]["id"] = "msg_bash"
    bash["message"]["content"] = [{"type": "tool_use", "id": "toolu_bash", "name": "Bash", "input": {"command": command}}]
    result = copy.deepcopy(failed)
    result.update(isSidechain=False, sessionId=sid, parentUuid="b1", timestamp=_iso(begin.replace(second=20)))
    result.pop("agentId", None)
    block = result["message"]["content"][0]
    block["tool_use_id"] = "toolu_bash"
    if error is None:
        block.pop("is_error")
        block["content"] = "ok"
    else:
        block["content"] = error
    return write_jsonl(path, records + [bash, result])


def otlp_trace(path: Path, *, skill: str, start: str, version: str | None = None, conversation: str = "sess-1") -> Path:
    """The corpus OTel GenAI trace (`invoke_agent` + a failing `execute_tool Skill`), re-timed, for `skill`."""
    (rec,) = corpus_lines("otlp__genai-skill-tool-error.jsonl")
    rec = copy.deepcopy(rec)
    base = int(t(start).timestamp()) * 10**9
    spans = rec["resourceSpans"][0]["scopeSpans"][0]["spans"]
    offset = base - min(int(s["startTimeUnixNano"]) for s in spans)
    for span in spans:
        span["traceId"] = (conversation.encode().hex() * 4)[:32]
        span["startTimeUnixNano"] = str(int(span["startTimeUnixNano"]) + offset)
        span["endTimeUnixNano"] = str(int(span["endTimeUnixNano"]) + offset)
        for attr in span["attributes"]:
            if attr["key"] == "gen_ai.tool.call.arguments":
                args = {"skill": skill, **({"skill_version": version} if version else {})}
                attr["value"]["stringValue"] = json.dumps(args)
            if attr["key"] == "gen_ai.conversation.id":
                attr["value"]["stringValue"] = conversation
    return write_jsonl(path, [rec])


def codex_rollout(path: Path, *, start: str, commands: list[tuple[str, int]]) -> Path:
    """A Codex rollout: the corpus session_meta, then one corpus-shaped exec_command call and output per command."""
    meta, call, output, _custom = corpus_lines("codex__rollout-lines.jsonl")
    begin = t(start)
    first = copy.deepcopy(meta)
    first["timestamp"] = first["payload"]["timestamp"] = _iso(begin)
    first["payload"]["id"] = path.stem
    records = [first]
    for i, (command, code) in enumerate(commands):
        c, o = copy.deepcopy(call), copy.deepcopy(output)
        c["timestamp"] = _iso(begin.replace(minute=i + 1))
        o["timestamp"] = _iso(begin.replace(minute=i + 1, second=30))
        c["payload"]["call_id"] = o["payload"]["call_id"] = f"call_{i}"
        c["payload"]["arguments"] = json.dumps({"cmd": command, "workdir": "<workdir>"})
        o["payload"]["output"] = o["payload"]["output"].replace("code 0", f"code {code}")
        records += [c, o]
    return write_jsonl(path, records)


def yoyo_day(root: Path, day: str, *, extra: list[dict[str, Any]] = (), outcome: dict[str, Any] | None = None,
             corpus_day: str | None = None) -> Path:
    """`root/sessions/<day>/audit.jsonl` + outcome.json from the corpus files of `corpus_day` (lines appended)."""
    source = corpus_day or day
    prefix = "yoyo-evolve" if source == DAY172 else "yyds-harness"
    target = root / "sessions" / day
    target.mkdir(parents=True, exist_ok=True)
    audit = (YOYO / f"{prefix}@audit-log__sessions__{source}__audit.jsonl").read_text(encoding="utf-8")
    (target / "audit.jsonl").write_text(audit + "".join(json.dumps(x) + "\n" for x in extra), encoding="utf-8")
    raw = json.loads((YOYO / f"{prefix}@audit-log__sessions__{source}__outcome.json").read_text(encoding="utf-8"))
    (target / "outcome.json").write_text(json.dumps({**raw, **(outcome or {})}), encoding="utf-8")
    return target


# -- sessions built directly (pattern tests) --------------------------------------------------------


def call(name: str, ok: bool | None = True, **args: Any) -> ToolCall:
    return ToolCall(name=name, args=args, ok=ok)


def bash(command: str, ok: bool | None = True) -> ToolCall:
    return ToolCall(name="bash", args={"command": command}, ok=ok)


def session(sid: str, calls: list[ToolCall] = (), *, skill: str | None = None, start: str | None = "2026-06-01",
            outcome: str | None = "success", how: str = "invoked", version: str | None = None) -> Session:
    uses = (SkillUse(name=skill, how=how, version=version),) if skill else ()  # type: ignore[arg-type]
    return Session(id=sid, source="skillgit", origin=f"{sid}:1", started=t(start) if start else None,
                   outcome=outcome, tool_calls=tuple(calls), skills=uses)  # type: ignore[arg-type]


@contextlib.contextmanager
def write_lock_held(path: Path) -> Iterator[None]:
    """Another process holds the write lock of the SQLite file at `path` until the block ends."""
    holder = subprocess.Popen([sys.executable, "-c", "import sqlite3, time\n"
                               f"con = sqlite3.connect({str(path)!r}, isolation_level=None)\n"
                               "con.execute('BEGIN IMMEDIATE')\nprint('held', flush=True)\ntime.sleep(60)\n"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.kill()
        holder.wait()
