"""A line channel over TCP on 127.0.0.1, through which scripts in a sandbox report to a test.

The sandbox shares the network, so this is the one way out that needs no bind, and it works the
same on code without a sandbox (so a test can show what an attack achieved there). A script sends
one JSON object per connection (tests/samples/sandbox/report.py); `{"wait": NAME}` blocks until the
test calls `release(NAME)`.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any


class Channel:
    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.server.getsockname()[1]
        self.messages: list[dict[str, Any]] = []
        self._released: set[str] = set()
        self._cond = threading.Condition()
        self._closed = False
        self._server_thread = threading.Thread(target=self._serve, daemon=True)
        self._server_thread.start()

    def _serve(self) -> None:
        while not self._closed:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rwb") as stream:
            line = stream.readline()
            if not line:
                return
            message = json.loads(line)
            message["at"] = time.monotonic()
            with self._cond:
                self.messages.append(message)
                self._cond.notify_all()
                name = message.get("wait")
                while name and name not in self._released and not self._closed:
                    self._cond.wait(0.2)
            stream.write(b"go\n")
            stream.flush()

    def of(self, kind: str) -> list[dict[str, Any]]:
        with self._cond:
            return [m for m in self.messages if m.get("kind") == kind]

    def wait_for(self, kind: str, timeout: float = 60) -> dict[str, Any]:
        """The first message of `kind`, waiting for it."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [m for m in self.messages if m.get("kind") == kind]
                if found:
                    return found[0]
                if time.monotonic() > deadline:
                    raise AssertionError(f"no {kind!r} message within {timeout}s; got {self.messages}")
                self._cond.wait(0.1)

    def release(self, name: str) -> None:
        with self._cond:
            self._released.add(name)
            self._cond.notify_all()

    def quiet_since(self, kind: str, seconds: float) -> bool:
        """True when no `kind` message arrived in the last `seconds` (waiting that long first)."""
        time.sleep(seconds)
        with self._cond:
            return not any(m.get("kind") == kind and m["at"] > time.monotonic() - seconds for m in self.messages)

    def close(self) -> None:
        # shutdown wakes the accept() blocked in the server thread; a bare close() would not, and that
        # thread would go on accepting on whatever socket reuses the descriptor number.
        self._closed = True
        try:
            self.server.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._server_thread.join(10)
        self.server.close()
        with self._cond:
            self._cond.notify_all()
