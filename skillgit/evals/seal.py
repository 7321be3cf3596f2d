"""The holdout seal: `holdout.lock.json` pins the sha256 of the line-sorted `holdout.jsonl` bytes.

The digest is what `LC_ALL=C sort holdout.jsonl | sha256sum` prints (OrchestKit's `sealed_with`):
the file is split into lines at `\\n`, the lines are sorted bytewise, and every line is written back
followed by `\\n` — so a missing final newline does not change the digest, line order never does,
and a `\\r` stays part of its line. Empty lines are lines too (as `sort` keeps them). An empty file
hashes as the empty string.

A lock is JSON: `{"hash": "sha256:<hex>", "n": <cases>, "margin": <number>, "min_pass": <number>}`
plus any other keys (OrchestKit's `schema`, `rubric`, `frozen_at`, `note`, … are read and kept).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from skillgit.errors import SealMismatch, UsageError
from skillgit.jsontypes import JSON, JSONObject

HOLDOUT_FILE = "holdout.jsonl"
LOCK_FILE = "holdout.lock.json"
PREFIX = "sha256:"
_HEX = re.compile(r"[0-9a-f]{64}")
MAX_LOCK_BYTES = 1_000_000


def holdout_lines(data: bytes) -> list[bytes]:
    """The lines of a holdout file, as `sort` sees them (a final newline does not add a line)."""
    if not data:
        return []
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return lines


def holdout_digest(data: bytes) -> str:
    """`sha256:<hex>` of the line-sorted holdout bytes (equal to `LC_ALL=C sort FILE | sha256sum`)."""
    lines = sorted(holdout_lines(data))
    sorted_bytes = b"".join(line + b"\n" for line in lines)
    return PREFIX + hashlib.sha256(sorted_bytes).hexdigest()


def case_count(data: bytes) -> int:
    """Cases in a holdout file: its non-blank lines."""
    return sum(1 for line in holdout_lines(data) if line.strip())


@dataclass(frozen=True)
class Lock:
    """A parsed `holdout.lock.json`. `hash` is always `sha256:<64 hex>`; `extra` keeps the other keys."""

    hash: str
    n: int | None = None
    margin: float | None = None
    min_pass: float | None = None
    extra: Mapping[str, JSON] = field(default_factory=dict, compare=False)

    def matches(self, holdout: bytes) -> bool:
        """The holdout bytes are the ones sealed: same digest and (when the lock says) same case count."""
        if holdout_digest(holdout) != self.hash:
            return False
        return self.n is None or self.n == case_count(holdout)

    def check(self, holdout: bytes, where: str) -> None:
        """Raise SealMismatch (exit 3) naming `where` unless the holdout matches."""
        digest = holdout_digest(holdout)
        if digest != self.hash:
            raise SealMismatch(
                f"{where}: holdout digest {digest} does not match the lock's {self.hash}; "
                "restore the sealed holdout, or re-seal it in a maintainer's manual event (`skillgit holdout seal`)."
            )
        count = case_count(holdout)
        if self.n is not None and self.n != count:
            raise SealMismatch(
                f"{where}: the holdout has {count} cases but the lock says n={self.n}; "
                "re-seal it in a maintainer's manual event (`skillgit holdout seal`)."
            )

    def to_json(self) -> JSONObject:
        out: JSONObject = dict(self.extra)
        out["hash"] = self.hash
        for key in ("n", "margin", "min_pass"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out

    def dumps(self) -> bytes:
        """The lock file bytes: indented JSON with a final newline."""
        return (json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def seal(holdout: bytes, *, margin: float, min_pass: float, **extra: JSON) -> Lock:
    """A lock for these holdout bytes."""
    return Lock(holdout_digest(holdout), case_count(holdout), margin, min_pass, dict(extra))


def read_lock(data: bytes | str, source: str = LOCK_FILE) -> Lock:
    """Parse lock bytes; UsageError (exit 2) naming `source` and the key when it is malformed.

    `hash` may be `sha256:<hex>` or bare hex (upper or lower case); it is stored as `sha256:<hex>`.
    """
    if isinstance(data, bytes):
        if len(data) > MAX_LOCK_BYTES:
            raise UsageError(f"{source}: {len(data)} bytes, over the limit of {MAX_LOCK_BYTES}; a lock is a small JSON object.")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UsageError(f"{source}: not valid UTF-8 at byte {exc.start}; re-seal the holdout to rewrite the lock.") from None
    else:
        text = data
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{source}:{exc.lineno}: not valid JSON ({exc.msg}); re-seal the holdout to rewrite the lock.") from None
    if not isinstance(obj, dict):
        raise UsageError(f"{source}: the lock must be a JSON object with a `hash`; re-seal the holdout to rewrite it.")
    raw_hash = obj.get("hash")
    if not isinstance(raw_hash, str):
        raise UsageError(f"{source}: key `hash` is missing or not a string; re-seal the holdout to write `sha256:<hex>`.")
    hexpart = raw_hash[len(PREFIX):] if raw_hash.lower().startswith(PREFIX) else raw_hash
    hexpart = hexpart.strip().lower()
    if not _HEX.fullmatch(hexpart):
        raise UsageError(f"{source}: key `hash` is {raw_hash!r}, not `sha256:` and 64 hex digits; re-seal the holdout.")
    n = obj.get("n")
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 0):
        raise UsageError(f"{source}: key `n` is {n!r}, not a case count; re-seal the holdout.")
    numbers: dict[str, float | None] = {}
    for key in ("margin", "min_pass"):
        value = obj.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
            raise UsageError(f"{source}: key `{key}` is {value!r}, not a number ≥ 0; fix it and re-seal the holdout.")
        numbers[key] = None if value is None else float(value)
    extra = {k: v for k, v in obj.items() if k not in ("hash", "n", "margin", "min_pass")}
    return Lock(PREFIX + hexpart, n, numbers["margin"], numbers["min_pass"], extra)
