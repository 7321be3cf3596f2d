"""The sealed holdout of a skill: checking the seal, and sealing it as a maintainer's `manual` event.

A skill's holdout is `skills/<name>/evals/holdout.jsonl`; its seal is `holdout.lock.json` beside it
(OrchestKit's `ork-holdout/1.0` keys, see `skillgit.evals.seal`). The gate refuses to run (exit 3,
nothing committed) when the two disagree, when either is missing, or when the lock cannot be read:
a holdout is only evidence while nobody has tuned it since it was sealed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from skillgit import trailers as T
from skillgit.errors import SealMismatch, SkillgitError, UsageError
from skillgit.evals.seal import (
    HOLDOUT_FILE,
    LOCK_FILE,
    Lock,
    case_count,
    holdout_digest,
    read_lock,
)
from skillgit.evals.seal import seal as make_lock

if TYPE_CHECKING:
    from skillgit.operations import Result
    from skillgit.workspace import Workspace

SCHEMA = "ork-holdout/1.0"
SEALED_WITH = "LC_ALL=C sort holdout.jsonl | sha256sum"
EVALS_DIR = "evals"


@dataclass(frozen=True)
class SealedHoldout:
    """A holdout whose bytes match its lock at `rev`: the lock, the bytes and where they are."""

    path: str
    lock_path: str
    lock: Lock
    data: bytes


def holdout_paths(ws: Workspace, name: str) -> tuple[str, str]:
    """(holdout.jsonl, holdout.lock.json) paths of skill `name`, relative to the repository root."""
    base = f"{ws.skill_dir(name)}/{EVALS_DIR}"
    return f"{base}/{HOLDOUT_FILE}", f"{base}/{LOCK_FILE}"


def _fix(name: str) -> str:
    return f"a maintainer re-seals it with `skillgit holdout seal {name}`"


def _parse_lock(data: bytes, where: str, name: str) -> Lock:
    try:
        return read_lock(data, where)
    except SkillgitError as exc:
        raise SealMismatch(f"{exc} The holdout cannot be trusted until {_fix(name)}.") from None


def _verify(holdout: bytes | None, lock_raw: bytes | None, path: str, lock_path: str, name: str, at: str) -> Lock | None:
    if holdout is None and lock_raw is None:
        return None
    if lock_raw is None:
        raise SealMismatch(
            f"{path}{at}: the holdout is not sealed (no {LOCK_FILE} beside it); {_fix(name)} before any bake-off."
        )
    if holdout is None:
        raise SealMismatch(
            f"{lock_path}{at}: sealed, but {HOLDOUT_FILE} is missing; restore it "
            f"(`git checkout <commit> -- {path}`) or {_fix(name)}."
        )
    lock = _parse_lock(lock_raw, f"{lock_path}{at}", name)
    digest = holdout_digest(holdout)
    if digest != lock.hash:
        raise SealMismatch(
            f"{path}{at}: holdout digest {digest} does not match {lock.hash} in {lock_path} — the holdout "
            f"changed since it was sealed; restore the sealed cases (`git log -- {path}`) or {_fix(name)}."
        )
    count = case_count(holdout)
    if lock.n is not None and lock.n != count:
        raise SealMismatch(f"{lock_path}{at}: says n={lock.n} but {path} has {count} cases; {_fix(name)}.")
    return lock


def check_seal(ws: Workspace, name: str, *, rev: str = "HEAD", worktree: bool = True) -> Lock | None:
    """The lock of skill `name`'s holdout at `rev`, or None when the skill has neither file.

    Raises SealMismatch (exit 3) when the holdout or the lock is missing, the lock is unreadable,
    or the digest or case count differs. With `worktree`, an uncommitted edit of either file must
    match too: a holdout being tuned in the work tree fails closed as well.
    """
    path, lock_path = holdout_paths(ws, name)
    holdout, lock_raw = ws.repo.read_file(rev, path), ws.repo.read_file(rev, lock_path)
    lock = _verify(holdout, lock_raw, path, lock_path, name, "" if rev == "HEAD" else f" (at {rev})")
    if worktree:
        on_disk = [_read_worktree(ws, p) for p in (path, lock_path)]
        if on_disk != [holdout, lock_raw]:
            _verify(on_disk[0], on_disk[1], path, lock_path, name, " (uncommitted edit in the work tree)")
    return lock


def sealed_holdout(ws: Workspace, name: str, rev: str = "HEAD") -> SealedHoldout | None:
    """The holdout of skill `name` after `check_seal`; None when the skill has none."""
    lock = check_seal(ws, name, rev=rev)
    if lock is None:
        return None
    path, lock_path = holdout_paths(ws, name)
    return SealedHoldout(path, lock_path, lock, ws.repo.read_file(rev, path) or b"")


def _read_worktree(ws: Workspace, path: str) -> bytes | None:
    target = ws.repo.root / path
    if target.is_symlink() or not target.is_file():
        return None
    return target.read_bytes()


def seal(ws: Workspace, name: str, margin: float | None = None, min_pass: float | None = None) -> Result:
    """Seal the work tree's holdout of skill `name`: one maintainer `manual` commit of the holdout
    and a fresh `holdout.lock.json` (sha256 of the line-sorted bytes, n, margin, min_pass).

    `margin`/`min_pass` default to the current lock's, else to `holdout.margin`/`holdout.min_pass`
    of skillgit.yaml. Keys of an existing lock that skillgit does not manage (`rubric`, `note`, …)
    are kept, so OrchestKit's tooling reads the result.
    """
    from skillgit.evals.loader import load_holdout
    from skillgit.events import version_value
    from skillgit.git import PutFile
    from skillgit.operations import Result, commit_event

    entry = ws.require(name)
    author = ws.maintainer()
    if ws.is_agent(author.email):
        raise UsageError(
            f"{author.email} is an agent identity (agent.identities); sealing a holdout is a maintainer's "
            "action (SG003/SG011). Run `skillgit holdout seal` as a maintainer."
        )
    path, lock_path = holdout_paths(ws, name)
    data = _read_worktree(ws, path)
    if data is None:
        raise UsageError(f"{path}: no holdout to seal; write the cases there (one JSON case a line) first.")
    cases = load_holdout(ws.repo.root / path, name=path)
    if not cases:
        raise UsageError(f"{path}: holds no cases; a sealed holdout needs at least one case.")
    previous = _previous_lock(ws, lock_path)
    extra = dict(previous.extra) if previous else {}
    extra.setdefault("schema", SCHEMA)
    extra.setdefault("skill", name)
    extra["frozen_at"] = datetime.now(UTC).strftime("%Y-%m-%d")
    extra.setdefault("sealed_with", SEALED_WITH)
    margin = _pick(margin, previous.margin if previous else None, ws.config.holdout.margin)
    min_pass = _pick(min_pass, previous.min_pass if previous else None, ws.config.holdout.min_pass)
    lock = make_lock(data, margin=margin, min_pass=min_pass, **extra)
    committed = ws.repo.read_file("HEAD", lock_path)
    if committed is not None and ws.repo.read_file("HEAD", path) == data:
        try:
            same = read_lock(committed, lock_path)
        except SkillgitError:
            same = None
        if same is not None and (same.hash, same.n, same.margin, same.min_pass) == (lock.hash, lock.n, margin, min_pass):
            raise UsageError(f"{path} is already sealed with these numbers ({lock.hash}); nothing to do.")
    body = f"Seal holdout: n={lock.n}, sha256={lock.hash.split(':', 1)[1]}, margin={margin:g}, min_pass={min_pass:g}"
    commit = commit_event(
        ws,
        "manual",
        skill=name,
        trailers=[(T.VERSION, version_value(entry.blob, entry.blob))],
        edits=[PutFile(path, data), PutFile(lock_path, lock.dumps())],
        body=body,
        sync=[path, lock_path],
        worktree=True,
        title=f"skillgit: seal the holdout of {name}",
    )
    return Result(commit, "manual", name, f"sealed {path}: n={lock.n}, {lock.hash}")


def _previous_lock(ws: Workspace, lock_path: str) -> Lock | None:
    """The lock being replaced (work tree first, then HEAD). A hand-written skeleton without a valid
    `hash` (`{"rubric": …, "margin": 0.5, "min_pass": 7}`) still gives its numbers and keys."""
    import json

    for raw in (_read_worktree(ws, lock_path), ws.repo.read_file("HEAD", lock_path) if ws.repo.head() else None):
        if raw is None:
            continue
        try:
            return read_lock(raw, lock_path)
        except SkillgitError:
            pass
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        if isinstance(data, dict):
            numbers = {k: float(v) for k in ("margin", "min_pass") if isinstance(v := data.get(k), (int, float))
                       and not isinstance(v, bool) and v >= 0}
            extra = {k: v for k, v in data.items() if k not in ("hash", "n", "margin", "min_pass")}
            return Lock("sha256:", None, numbers.get("margin"), numbers.get("min_pass"), extra)
    return None


def _pick(given: float | None, locked: float | None, configured: float) -> float:
    for value in (given, locked, configured):
        if value is not None:
            if value < 0:
                raise UsageError(f"margin and min_pass must be ≥ 0, not {value:g}; pass a non-negative number.")
            return float(value)
    return float(configured)
