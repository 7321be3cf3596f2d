"""The run cache: runs of a skill version on a case, kept so that a champion is not re-run for every
candidate. One SQLite file, `.git/skillgit/eval-runs.sqlite3` (stdlib `sqlite3`), one table.

A run is keyed by (version, case, digest): `version` is the blob id of SKILL.md, `case` the case
id, and `digest` a sha256 over everything else that decides the run — the runner command (and the
blob of a script it names that the repository tracks), the case as written (prompt, data, graders),
the judge and rubric when one grades the case, and the other files of the skill directory. Change
any of them and the old runs are simply not found again.

What goes in: runs made for the champion of a gate decision, runs of `skillgit eval run`, and the
runs of a candidate the gate accepted (the next champion's first record). A rejected candidate's
runs stay out: the gate stops sampling a candidate when it looks good or bad, so its runs are not a
fair sample of it — an accepted one looks a little better than it is, which only makes the next
candidates prove a little more, while a rejected one would look worse and let them through. A run
the runner failed on never goes in (a timeout caused by the machine would otherwise stay in the
champion's record). The file is a cache: deleting it loses nothing
but runs (`skillgit eval cache --clear`).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

from skillgit.errors import UsageError

if TYPE_CHECKING:
    from skillgit.evals.judge import Judge
    from skillgit.evals.model import EvalCase
    from skillgit.git import Repo
    from skillgit.jsontypes import JSON, JSONObject

FILE = "eval-runs.sqlite3"
SCHEMA_VERSION = 1
DIGEST_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS eval_runs (
    id INTEGER PRIMARY KEY,
    version TEXT NOT NULL,
    case_id TEXT NOT NULL,
    digest TEXT NOT NULL,
    passed INTEGER NOT NULL,
    score REAL,
    dimensions TEXT,
    source TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS eval_runs_key ON eval_runs (version, case_id, digest);
CREATE TABLE IF NOT EXISTS eval_runs_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class CachedRun:
    """One finished run: whether the case passed, its judge score (0–10) and per-dimension scores."""

    passed: bool
    score: float | None = None
    dimensions: Mapping[str, float] | None = None


class RunCache:
    """`with RunCache.open(repo) as cache:` — `runs(...)`, `add(...)`, `stats()`, `clear()`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.db = sqlite3.connect(str(path), timeout=30.0, isolation_level=None)
            self._prepare()
        except sqlite3.DatabaseError as exc:
            raise UsageError(f"{path}: the eval run cache cannot be read ({exc}); delete the file "
                             "(`skillgit eval cache --clear`), it only holds cached runs.") from None

    @classmethod
    def open(cls, repo: Repo) -> RunCache:
        return cls(repo.state_dir / FILE)

    @staticmethod
    def remove(repo: Repo) -> bool:
        """Delete the cache file (and SQLite's side files); whether there was one."""
        found = False
        for suffix in ("", "-wal", "-shm"):
            path = repo.state_dir / (FILE + suffix)
            if path.exists():
                path.unlink()
                found = True
        return found

    def _prepare(self) -> None:
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(_SCHEMA)
        row = self.db.execute("SELECT value FROM eval_runs_meta WHERE key = 'schema'").fetchone()
        if row is None:
            self.db.execute("INSERT OR REPLACE INTO eval_runs_meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
        elif row[0] != str(SCHEMA_VERSION):
            raise UsageError(f"{self.path}: written by a skillgit with run cache schema {row[0]} (this one reads "
                             f"{SCHEMA_VERSION}); delete the file (`skillgit eval cache --clear`) to start a new one.")

    def runs(self, version: str, case_id: str, digest: str) -> list[CachedRun]:
        rows = self.db.execute(
            "SELECT passed, score, dimensions FROM eval_runs WHERE version = ? AND case_id = ? AND digest = ? ORDER BY id",
            (version, case_id, digest),
        ).fetchall()
        return [CachedRun(bool(p), s, json.loads(d) if d else None) for p, s, d in rows]

    def tally(self, version: str, case_id: str, digest: str, scored: bool, latest: int) -> tuple[int, float, float]:
        """(runs, Σ value, Σ value²) of the `latest` cached runs: value = pass (1/0), or the score when `scored`."""
        value = "COALESCE(score, 0)" if scored else "passed"
        row = self.db.execute(
            f"SELECT COUNT(*), TOTAL(v), TOTAL(v * v) FROM (SELECT {value} AS v FROM eval_runs "
            "WHERE version = ? AND case_id = ? AND digest = ? ORDER BY id DESC LIMIT ?)",
            (version, case_id, digest, latest)).fetchone()
        return int(row[0]), float(row[1]), float(row[2])

    def dimensions(self, version: str, case_id: str, digest: str, latest: int) -> list[dict[str, float]]:
        """The per-dimension judge scores of the `latest` cached runs (those that have them)."""
        rows = self.db.execute(
            "SELECT dimensions FROM (SELECT id, dimensions FROM eval_runs WHERE version = ? AND case_id = ? "
            "AND digest = ? ORDER BY id DESC LIMIT ?) WHERE dimensions IS NOT NULL ORDER BY id",
            (version, case_id, digest, latest)).fetchall()
        return [json.loads(d) for (d,) in rows]

    def add(self, version: str, case_id: str, digest: str, runs: Iterable[CachedRun], source: str) -> None:
        now = time.time()
        rows = [(version, case_id, digest, int(r.passed), None if r.score is None else round(r.score, 4),
                 json.dumps(dict(r.dimensions), sort_keys=True) if r.dimensions else None, source, now) for r in runs]
        if rows:
            with self.db:
                self.db.executemany(
                    "INSERT INTO eval_runs (version, case_id, digest, passed, score, dimensions, source, created) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def stats(self) -> dict[str, int]:
        runs, versions, cases = self.db.execute(
            "SELECT COUNT(*), COUNT(DISTINCT version), COUNT(DISTINCT version || ' ' || case_id) FROM eval_runs").fetchone()
        return {"runs": runs, "versions": versions, "cases": cases}

    def clear(self) -> int:
        with self.db:
            return self.db.execute("DELETE FROM eval_runs").rowcount

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def runner_identity(repo: Repo, command: str, rev: str = "HEAD") -> str:
    """The runner command plus the blob ids of the files it names that the repository tracks at
    `rev` (`python eval/run.py` → eval/run.py's blob), so editing a tracked runner script is a new key."""
    import shlex

    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    named = []
    for word in words:
        path = word.strip("'\"").removeprefix("./")
        if path and not path.startswith(("-", "/")) and "\n" not in path:
            blob = repo.read_file(rev, path) if repo.head() else None
            if blob is not None:
                named.append(f"{path}:{hashlib.sha256(blob).hexdigest()}")
    return json.dumps({"command": command, "files": named})


def case_digest(case: EvalCase, *, runner: str, judge: Judge | None, skill_files: str) -> str:
    """The digest half of a case's cache key (see the module doc)."""
    from skillgit.evals.graders import is_judged

    judged = judge is not None and is_judged(case, judge)
    payload: JSONObject = {
        "v": DIGEST_VERSION, "runner": runner, "skill_files": skill_files,
        "case": {"id": case.id, "prompt": case.prompt, "suite": case.suite, "data": canonical(case.data),
                 "graders": canonical(case.graders)},
        "judge": [judge.command, canonical(judge.rubric)] if judged and judge is not None else None,
    }
    text = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical(value: object) -> JSON:
    """A JSON-able form of graders, rubrics and case data that leaves out where they were loaded from
    (temporary checkout paths, a rubric's source label): only what decides a grade."""
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: JSONObject = {"type": type(value).__name__}
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if f.name != "source" and not isinstance(item, Path):
                out[f.name] = canonical(item)
        kind = getattr(value, "kind", None)
        if isinstance(kind, str):
            out["kind"] = kind
        return out
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def tree_digest(root: Path, skip: Sequence[str] = ("SKILL.md",)) -> str:
    """sha256 over the relative paths, modes and bytes of the files under `root` (`skip` left out)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if not p.is_dir()):
        rel = path.relative_to(root).as_posix()
        if rel in skip:
            continue
        digest.update(rel.encode("utf-8", "surrogateescape") + b"\0")
        if path.is_symlink():
            digest.update(b"link\0" + str(path.readlink()).encode("utf-8", "surrogateescape"))
        else:
            digest.update(oct(path.stat().st_mode & 0o111).encode() + b"\0" + path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()
