"""Reading ahead the skill files `verify` is about to check, on the thread that reads the log.

The rules read the SKILL.md before and after nearly every commit they check. Waiting for each of those
reads on the main thread costs a round trip to `git cat-file` per commit; instead, the thread that
reads the log (see `readahead.read_ahead`) spots the SKILL.md blobs in each batch of records as it
arrives and reads them in one request through its own `cat-file` process, into the shared
`BlobCache`. A blob not read ahead in time is read by the main thread as before.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from skillgit.git import BlobReader
from skillgit.model.skill import SKILL_FILE
from skillgit.policy.trees import BlobCache


def skill_file_pattern(roots: Sequence[str], nested: bool = False) -> re.Pattern[bytes]:
    """A `git log --raw` line adding, changing or removing `<root>/<name>/SKILL.md` (with `nested`, any
    `SKILL.md` below a root: skills in category folders); groups 1 and 2 are the blob ids before and
    after (all zeros for none)."""
    names = b"|".join(re.escape(root.strip("/").encode("utf-8", "surrogateescape")) for root in roots)
    return re.compile(
        rb"^:[0-7]+ [0-7]+ ([0-9a-f]+) ([0-9a-f]+) [AMTD][0-9]*\t(?:" + names + (rb")/[^\n\"]+/" if nested else rb")/[^/\n\"]+/")
        + re.escape(SKILL_FILE.encode()) + rb"$",
        re.MULTILINE,
    )


class BlobPrefetch:
    """Called with each batch of raw log records; reads their new SKILL.md blobs into `cache`.

    Does nothing until `watch(roots)` says where skills live (the config may only be known once
    the walk reaches the `init` event). Close it when the walk is done.
    """

    def __init__(self, root: Path, cache: BlobCache) -> None:
        self._reader = BlobReader(root)
        self._cache = cache
        self._pattern: re.Pattern[bytes] | None = None
        self._touches: Callable[[bytes], object] = _nothing
        """Whether a record names a path under a root (a match, else None): one search for all roots."""
        self._lock = threading.Lock()
        self._closed = False

    def watch(self, roots: Sequence[str], nested: bool = False) -> None:
        needles = [f"\t{root.strip('/')}/".encode("utf-8", "surrogateescape") for root in roots]
        self._touches = re.compile(b"|".join(map(re.escape, needles))).search if needles else _nothing
        self._pattern = skill_file_pattern(roots, nested)

    def __call__(self, batch: Sequence[bytes]) -> None:
        pattern, touches = self._pattern, self._touches
        if pattern is None:
            return
        touching = [chunk for chunk in batch if touches(chunk)]
        if not touching:
            return
        ids = [oid for pair in pattern.findall(b"".join(touching)) for oid in pair if oid.strip(b"0")]
        wanted = [oid.decode() for oid in ids]
        wanted = [oid for oid in dict.fromkeys(wanted) if oid not in self._cache]
        with self._lock:
            if self._closed:
                return
            found = self._reader.read_many(wanted)
        for oid, obj in zip(wanted, found):
            if obj is not None and obj[1] == "blob":
                self._cache.keep(oid, obj[2])

    def close(self) -> None:
        """Stop reading ahead (a batch being read is finished first) and end the `cat-file` process."""
        with self._lock:
            self._closed = True
            self._reader.close()


def _nothing(_record: bytes) -> None:
    return None
