"""Opening files a user, a config or a trace folder names, without hanging on what is not a file.

`open()` on a FIFO waits for a writer that may never come, and reading `/dev/zero` never ends. Every
path skillgit reads from the outside goes through `open_regular`: a FIFO is opened without waiting
and refused, as are devices, sockets and directories, with a `NotRegularFile` (an `OSError`, so
callers that report unreadable files report these the same way).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a directory"))


class NotRegularFile(OSError):
    """The path names something other than a regular file (strerror says what)."""


class FileTooLarge(OSError):
    """The file is larger than the caller's limit."""


def open_regular(path: Path | str, buffering: int = -1) -> BinaryIO:
    """`path` opened for binary reading when it is a regular file (symlinks followed); else NotRegularFile.
    `buffering` as `open`'s (a line reader of long lines reads fewer times with a larger one)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
            raise NotRegularFile(errno.EINVAL, f"not a regular file ({kind})", str(path))
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb", buffering=buffering)
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: Path | str, limit: int) -> bytes:
    """The bytes of the regular file `path`, at most `limit` of them (FileTooLarge beyond)."""
    with open_regular(path) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(errno.EFBIG, f"larger than {limit} bytes", str(path))
    return data


def describe(exc: OSError) -> str:
    """`exc` in a few words for a message: `not a regular file (a FIFO)`, `no such file`, …"""
    if isinstance(exc, (NotRegularFile, FileTooLarge)):
        return str(exc.strerror)
    if exc.errno == errno.ENOENT:
        return "no such file"
    if exc.errno == errno.ENAMETOOLONG:
        return "the name is too long for a file name"
    return (exc.strerror or type(exc).__name__).lower()
