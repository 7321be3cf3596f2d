"""Reading ahead the skill files `verify` is about to check, on the thread that reads the log.

The rules read the new SKILL.md of nearly every commit they check. Waiting for each of those
reads on the main thread costs a round trip to `git cat-file` per commit; instead, the thread that
reads the log (see `walk.read_ahead`) spots the SKILL.md blobs in each batch of records as it
arrives and reads them in one request through its own `cat-file` process, into the shared
`BlobCache`. A blob not read ahead in time is read by the main thread as before.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from skillgit.git import BlobReader
from skillgit.model.skill import SKILL_FILE
from skillgit.policy.trees import BlobCache


def skill_file_pattern(roots: Sequence[str]) -> re.Pattern[bytes]:
    """A `git log --raw` line adding or changing `<root>/<name>/SKILL.md`; group 1 is the new blob id."""
    names = b"|".join(re.escape(root.strip("/").encode("utf-8", "surrogateescape")) for root in roots)
    return re.compile(
        rb"^:[0-7]+ [0-7]+ [0-9a-f]+ ([0-9a-f]+) [AMT][0-9]*\t(?:" + names + rb")/[^/\n\"]+/"
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

    def watch(self, roots: Sequence[str]) -> None:
        self._pattern = skill_file_pattern(roots)

    def __call__(self, batch: Sequence[bytes]) -> None:
        pattern = self._pattern
        if pattern is None:
            return
        wanted = [oid.decode() for oid in pattern.findall(b"".join(batch))]
        wanted = [oid for oid in dict.fromkeys(wanted) if oid not in self._cache]
        for oid, found in zip(wanted, self._reader.read_many(wanted)):
            if found is not None and found[1] == "blob":
                self._cache.keep(oid, found[2])

    def close(self) -> None:
        self._reader.close()
