"""Client side of tests/channel.py, imported by the sample scripts next to it."""

import json
import socket


def send(port: int, **message: object) -> str:
    """Send one message; returns the reply (`go`), after the test released it for a `wait`."""
    with socket.create_connection(("127.0.0.1", port), timeout=120) as conn:
        conn.sendall((json.dumps(message) + "\n").encode())
        reply = conn.makefile().readline().strip()
    if reply != "go":
        raise ConnectionError(f"the test's channel did not take {message!r} (reply {reply!r})")
    return reply
