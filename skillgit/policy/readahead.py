"""Reading `git log` on a thread while the walk runs: git produces the log on one core, the rules run on
another. The reader hands the records over in batches, and is woken again only once the walk has taken
what was waiting, not after every batch: each wake-up makes the walk give up its core for a moment."""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable, Iterator

_BATCH = 256
_AHEAD = 32
"""Batches the log reader may be ahead of the consumer (8,192 commits)."""
_DONE = object()


def read_ahead(
    chunks: Iterator[bytes],
    on_batch: Callable[[list[bytes]], None] | None = None,
    before: Callable[[list[bytes]], None] | None = None,
    ahead: int = _AHEAD,
) -> Iterator[bytes]:
    """The items of `chunks`, read from now on by a background thread, so the producer (a `git log`)
    starts at once and does not wait on the consumer while it is at most `ahead` batches ahead. `on_batch`
    is called on that thread with each batch once it is handed over (its errors are ignored: it may only
    prepare); `before` just before (it must be quick and must not fail: it may note what `on_batch` will
    prepare). An exception raised while reading is raised by the returned iterator, after the items read
    before it. Closing the returned iterator (or dropping it) stops the thread and closes `chunks`.

    The bound keeps what `on_batch` prepares (blobs read into a bounded cache) close to where the
    consumer is: a reader far ahead would push out what the consumer still needs."""
    box = _Handoff(max(1, ahead // 2))  # (the consumer takes what waits at once: half waiting, half taken)
    stop = threading.Event()

    def hand_over(batch: list[bytes]) -> bool:
        if before is not None:
            before(batch)
        if not box.put(batch, stop):
            return False
        if on_batch is not None:
            try:
                on_batch(batch)
            except Exception:  # noqa: BLE001, S110 - reading ahead is an optimisation; the reader reads again
                pass
        return True

    def pump() -> None:
        batch: list[bytes] = []
        try:
            for chunk in chunks:
                batch.append(chunk)
                if len(batch) >= _BATCH:
                    if not hand_over(batch):
                        return
                    batch = []
            if hand_over(batch):
                box.put(_DONE, stop)
        except BaseException as exc:  # noqa: BLE001 - not swallowed: handed to the reading side, which raises it
            if box.put(batch, stop):
                box.put(exc, stop)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()  # a `git log` the consumer left early is stopped

    threading.Thread(target=pump, name="skillgit-log-reader", daemon=True).start()
    return _drain(box, stop)


class _Handoff:
    """Items from one thread to another, at most `size` waiting. The taker takes all that wait at once, so
    a giver that is ahead (waiting for room) is woken once per `size` items, not once per item."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: collections.deque[object] = collections.deque()
        self._ready = threading.Condition(threading.Lock())
        self._giver_waits = self._taker_waits = False

    def put(self, item: object, stop: threading.Event) -> bool:
        """Add `item`, waiting while `size` items wait; False: `stop` was set meanwhile."""
        with self._ready:
            while True:
                if stop.is_set():
                    return False
                if len(self._items) < self._size:
                    break
                self._giver_waits = True
                self._ready.wait(0.05)
                self._giver_waits = False
            self._items.append(item)
            if self._taker_waits:
                self._ready.notify()
        return True

    def take(self) -> list[object]:
        """Every item waiting, oldest first (at least one: waits for it)."""
        with self._ready:
            while not self._items:
                self._taker_waits = True
                self._ready.wait()
                self._taker_waits = False
            items = list(self._items)
            self._items.clear()
            if self._giver_waits:
                self._ready.notify()
        return items


def _drain(box: _Handoff, stop: threading.Event) -> Iterator[bytes]:
    try:
        while True:
            for item in box.take():
                if item is _DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                assert isinstance(item, list)
                yield from item
    finally:
        stop.set()
