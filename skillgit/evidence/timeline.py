"""The sessions in the order metrics fold them, as columns: what a command holds of every session."""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from skillgit.evidence.adapters.lines import EPOCH
from skillgit.evidence.attribution import session_time, summarize
from skillgit.evidence.rows import from_micros, micros
from skillgit.evidence.session import Session, SessionSummary

if TYPE_CHECKING:
    from skillgit.evidence.attribution import Strength


class Timeline:
    """Sessions in the order metrics fold them (by time — start, else end; untimed first — then id), kept as
    columns of a few bytes a session (time, whether it succeeded, its failed calls, its store row), so that
    a skill's figures cost its uses, not every session, and a store's timeline costs no objects per session.

    Made from sessions in memory (`Timeline(sessions)`), or from the evidence store (`Timeline.stored`)."""

    def __init__(self, sessions: Iterable[Session | SessionSummary] = ()) -> None:
        rows = [s if isinstance(s, SessionSummary) else summarize(s) for s in sessions]
        keyed = sorted(((session_time(s), s) for s in rows), key=lambda p: (p[0] or EPOCH, p[1].id))
        self._fill()
        for t, s in keyed:
            self._append(micros(t), s.outcome == "success", s.failed_calls, s.row)
        self.when: list[datetime | None] | None = [t for t, _ in keyed]
        """The times as given (their zones kept); None: made from the store's (UTC) times."""
        self.ids: list[str] | None = [s.id for _, s in keyed]

    def _fill(self) -> None:
        self.keys = array("q")
        """Each session's time in µs since the epoch (untimed: the epoch), ascending."""
        self.timed = bytearray()
        self.success = bytearray()
        self.failed = array("I")
        """Each session's failed calls (four bytes: a count)."""
        self.rows = array("i")
        """Each session's store row (four bytes: a row number is below 2**31 wherever `position` can index it)."""
        self._at: dict[str, list[int]] | None = None
        self._untimed: list[int] | None = None
        self._by_row: array[int] | None = None

    def _append(self, time: int | None, success: bool, failed: int, row: int) -> None:
        self.keys.append(0 if time is None else time)
        self.timed.append(time is not None)
        self.success.append(success)
        self.failed.append(failed)
        self.rows.append(row)

    @classmethod
    def stored(cls, rows: Iterable[tuple[int, int | None, bool, int]]) -> Timeline:
        """A timeline of store rows (row, time in µs or None, succeeded, failed calls), given in timeline order."""
        out = cls.__new__(cls)
        out._fill()
        out.when = out.ids = None
        for row, time, success, failed in rows:
            out._append(time, success, failed, row)
        return out

    def subset(self, positions: Sequence[int]) -> Timeline:
        """The sessions at `positions` (in order), already sorted: a window of this timeline."""
        part = Timeline.__new__(Timeline)
        part._fill()  # each column picked at C speed (an untimed session's key is 0, as `_append` writes it)
        part.keys = array("q", map(self.keys.__getitem__, positions))
        part.timed = bytearray(map(self.timed.__getitem__, positions))
        part.success = bytearray(map(self.success.__getitem__, positions))
        part.failed = array("I", map(self.failed.__getitem__, positions))
        part.rows = array("i", map(self.rows.__getitem__, positions))
        part.when = None if self.when is None else [self.when[p] for p in positions]
        part.ids = None if self.ids is None else [self.ids[p] for p in positions]
        return part

    def __len__(self) -> int:
        return len(self.keys)

    def time(self, p: int) -> datetime | None:
        """When the session at `p` ran (None: untimed)."""
        if self.when is not None:
            return self.when[p]
        return from_micros(self.keys[p]) if self.timed[p] else None

    @property
    def untimed(self) -> list[int]:
        if self._untimed is None:
            self._untimed = [i for i, timed in enumerate(self.timed) if not timed]
        return self._untimed

    def positions(self, ids: Iterable[str]) -> list[int]:
        """Where the sessions of `ids` are, in order (a timeline of sessions in memory)."""
        if self._at is None:
            self._at = {}
            for i, sid in enumerate(self.ids or ()):
                self._at.setdefault(sid, []).append(i)
        at = self._at
        return sorted(p for sid in ids for p in at.get(sid, ()))

    def position(self, row: int) -> int:
        """Where the session of store row `row` is (-1: not in this timeline)."""
        if self._by_row is None:
            self._by_row = array("i", [-1]) * (max(self.rows, default=0) + 1)  # a position: four bytes a row
            for i, r in enumerate(self.rows):
                self._by_row[r] = i
        return self._by_row[row] if 0 <= row < len(self._by_row) else -1

    def span(self, start: datetime, end: datetime | None) -> tuple[int, int]:
        """[first, last): the positions whose key is in [start, end); the timed ones of them ran inside it
        (an untimed session's key is 0, never inside)."""
        return bisect_left(self.keys, key(start)), len(self.keys) if end is None else bisect_left(self.keys, key(end))


class UsesAt:
    """One skill's uses placed in a timeline, by position: each as one number (its position, its strength and
    its version, packed), the strengths and versions once each. Iterating gives (position, strength, version)."""

    _SHIFT = 24
    """Below it: the use's strength (two bits) and the index of its version (the rest)."""

    def __init__(self, uses: Iterable[tuple[int, Strength, str | None]]) -> None:
        self.strengths: list[Strength] = []
        self.versions: list[str | None] = []
        strengths: dict[str, int] = {}
        versions: dict[str | None, int] = {}
        packed = array("q")
        for p, strength, version in uses:
            s = strengths.get(strength)
            if s is None:
                s = strengths[strength] = len(self.strengths)
                self.strengths.append(strength)
            v = versions.get(version)
            if v is None:
                v = versions[version] = len(self.versions)
                self.versions.append(version)
            packed.append(p << self._SHIFT | v << 2 | s)
        self.packed = array("q", sorted(packed))

    def __len__(self) -> int:
        return len(self.packed)

    def __iter__(self) -> Iterator[tuple[int, Strength, str | None]]:
        shift, strengths, versions = self._SHIFT, self.strengths, self.versions
        for code in self.packed:
            yield code >> shift, strengths[code & 3], versions[(code & ((1 << shift) - 1)) >> 2]

    def positions(self, version: str | None = None, *, weak: bool = True) -> array[int]:
        """The positions, ascending, of the uses (of `version` when given; weak ones only with `weak`)."""
        shift = self._SHIFT
        codes = {v << 2 | s for v, name in enumerate(self.versions) if version is None or name == version
                 for s, strength in enumerate(self.strengths) if weak or strength != "weak"}
        if len(codes) == len(self.versions) * len(self.strengths):
            return array("q", (code >> shift for code in self.packed))
        low = (1 << shift) - 1
        return array("q", (code >> shift for code in self.packed if code & low in codes))


def key(when: datetime) -> int:
    """A time as a timeline key (µs since the epoch)."""
    value = micros(when)
    assert value is not None
    return value
