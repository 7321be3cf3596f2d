"""Fault injection for crash tests: `point(name)` kills the process on the spot when asked to.

A test sets `SKILLGIT_FAULT=<name>` in the environment of a `skillgit` subprocess; when the code
reaches `point(name)` the process sends itself SIGKILL (no cleanup handlers, no `finally`), which is
the harshest way a command can die. Without the variable every point is a no-op costing one lookup.

Points: `cycle:proposed` (a candidate exists), `cycle:gated` (the eval gate ran),
`commit:object` (commit object written, ref not moved), `commit:ref` (ref moved, index and work
tree not yet synced).
"""

from __future__ import annotations

import os
import signal

ENV = "SKILLGIT_FAULT"


def point(name: str) -> None:
    """Die by SIGKILL here when `SKILLGIT_FAULT` names this point."""
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
