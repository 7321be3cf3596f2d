"""Many blob reads through one long-lived `git cat-file --batch` process."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path

from skillgit.errors import GitError
from skillgit.git.process import spawn_git

_PIPE_SAFE = 4096
"""Requests up to this many bytes are written directly (they fit in any pipe buffer)."""


class BlobReader:
    """Reads blobs by id through one long-lived `git cat-file --batch` process (no pygit2 import)."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._proc: subprocess.Popen[bytes] | None = None

    def __call__(self, oid: str) -> bytes:
        return self.read(oid)

    def read(self, oid: str) -> bytes:
        """The bytes of blob `oid` (also `rev:path`); GitError when there is no such object."""
        found = self.read_object(oid)
        if found is None:
            raise GitError(f"{oid}: no such object in {self._root}; the repository may be incomplete (fetch it again).")
        return found[2]

    def oid(self, spec: str) -> str | None:
        """The object id `spec` (`rev:path`) names, or None when it does not exist."""
        found = self.read_object(spec)
        return found[0] if found else None

    def find(self, spec: str) -> bytes | None:
        """The bytes of `spec` (`rev:path`, `:path` for the index) or None when it does not exist."""
        found = self.read_object(spec)
        return found[2] if found else None

    def read_object(self, spec: str) -> tuple[str, str, bytes] | None:
        """(id, type, raw bytes) of the object `spec` names, or None when there is none."""
        if "\n" in spec:
            return None
        proc = self._start()
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(spec.encode("utf-8", "surrogateescape") + b"\n")
        proc.stdin.flush()
        parts = _header(proc.stdout.readline())
        if parts is None:
            return None
        data = proc.stdout.read(parts[2])
        proc.stdout.read(1)
        return parts[0], parts[1], data

    def read_many(self, specs: Sequence[str]) -> list[tuple[str, str, bytes] | None]:
        """`read_object` of each spec, asked in one go (one wake-up of git for the lot, not one each).

        The requests are written by a helper thread while the answers are read, so neither pipe
        can fill up and stall the other side, however many are asked.
        """
        if not specs:
            return []
        proc = self._start()
        assert proc.stdin is not None and proc.stdout is not None
        stdin, stdout = proc.stdin, proc.stdout
        asked = [s if "\n" not in s else "" for s in specs]
        request = b"".join(s.encode("utf-8", "surrogateescape") + b"\n" for s in asked if s)

        def write() -> None:
            stdin.write(request)
            stdin.flush()

        writer = threading.Thread(target=write, daemon=True) if len(request) > _PIPE_SAFE else None
        if writer is None:
            write()
        else:
            writer.start()
        out: list[tuple[str, str, bytes] | None] = []
        for spec in asked:
            if not spec:
                out.append(None)
                continue
            parts = _header(stdout.readline())
            if parts is None:
                out.append(None)
                continue
            data = stdout.read(parts[2])
            stdout.read(1)
            out.append((parts[0], parts[1], data))
        if writer is not None:
            writer.join()
        return out

    def tree_entries(self, spec: str) -> list[tuple[str, str, str]] | None:
        """(mode, name, id) of each entry of the tree `spec` names, or None when it is not a tree."""
        found = self.read_object(spec)
        if found is None or found[1] != "tree":
            return None
        data, entries, pos, width = found[2], [], 0, len(found[0]) // 2
        while pos < len(data):
            space = data.index(b" ", pos)
            nul = data.index(b"\0", space)
            entries.append((data[pos:space].decode(), data[space + 1 : nul].decode("utf-8", "surrogateescape"),
                            data[nul + 1 : nul + 1 + width].hex()))
            pos = nul + 1 + width
        return entries

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            self._proc = spawn_git(self._root, "cat-file", "--batch", stdin=subprocess.PIPE, stderr=subprocess.DEVNULL)
        return self._proc

    def close(self) -> None:
        if self._proc is not None:
            if self._proc.stdin:
                self._proc.stdin.close()
            if self._proc.stdout:
                self._proc.stdout.close()
            self._proc.wait()
            self._proc = None

    def __del__(self) -> None:
        # A reader dropped without close(): end its git at once. Closing our ends of the pipes lets
        # `git cat-file` see EOF and exit (subprocess reaps it later); the pipes held open would
        # otherwise keep git running and the descriptors taken for the life of the process.
        proc = self._proc
        if proc is not None:
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None:
                    try:
                        pipe.close()
                    except OSError:
                        pass

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _header(line: bytes) -> tuple[str, str, int] | None:
    """(id, type, size) from `<id> <type> <size>`; None for `<spec> missing` (or ambiguous), even
    when the spec itself holds spaces."""
    parts = line.split()
    if len(parts) != 3 or not parts[2].isdigit():
        return None
    return parts[0].decode(), parts[1].decode(), int(parts[2])
