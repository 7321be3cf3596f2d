"""One cycle at a time: an `flock` on `.git/skillgit/cycle.lock`.

The kernel releases the lock when the holder dies (even by SIGKILL), so a crashed cycle never
leaves a stale lock behind. The file holds the holder's pid, only to name it in the message.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from types import TracebackType
from typing import Self

from skillgit.errors import RepoStateError

LOCK_FILE = "cycle.lock"
POLL_SECONDS = 0.05


class CycleLock:
    """`with CycleLock(repo.state_dir, timeout):` — waits up to `timeout` seconds, then RepoStateError (exit 4)."""

    def __init__(self, state_dir: Path, timeout: float = 0.0) -> None:
        self.path = state_dir / LOCK_FILE
        self.timeout = timeout
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _read_pid(fd)
                    os.close(fd)
                    who = f"process {holder}" if holder else "another process"
                    waited = f" (waited {self.timeout:g}s)" if self.timeout else ""
                    raise RepoStateError(
                        f"{self.path}: another cycle is running ({who}){waited}; nothing was done. "
                        "Wait for it to finish, or raise cycle.lock_timeout_seconds to wait longer."
                    ) from None
                time.sleep(POLL_SECONDS)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, 0)
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
