"""Watch the repository while an outside command (a proposer) runs, and undo what it changed.

The cycle starts only on a clean tree (see gates), so every change that appears while the
proposer runs is the proposer's: tracked files are restored from HEAD (index and work tree),
untracked files it created are removed. A moved HEAD is reported, never rewound.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from skillgit.workspace import Workspace


@dataclass(frozen=True)
class TreeState:
    head: str | None
    index: str
    files: tuple[tuple[str, str, str], ...]
    """(status code, path, content digest) of every path `git status` lists."""


def snapshot(ws: Workspace) -> TreeState:
    files: list[tuple[str, str, str]] = []
    for code, path in ws.repo.status_entries():
        target = ws.repo.root / path
        digest = hashlib.sha256(target.read_bytes()).hexdigest() if target.is_file() else "-"
        files.append((code, path, digest))
    index = hashlib.sha256(ws.repo.run("ls-files", "-s", "-z").encode("utf-8", "surrogateescape")).hexdigest()
    return TreeState(ws.repo.head(), index, tuple(files))


def restore(ws: Workspace, before: TreeState) -> list[str]:
    """Undo the changes since `before` (see the module doc); returns the paths put back. Files that
were already listed before (untracked files outside the skills) are left as they are."""
    after = snapshot(ws)
    old = {path: (code, digest) for code, path, digest in before.files}
    changed = [(code, path) for code, path, digest in after.files if old.get(path) != (code, digest)]
    restored: list[str] = []
    head = before.head
    for code, path in changed:
        if path in old:
            continue
        if code == "??":
            target = ws.repo.root / path
            if target.is_file() or target.is_symlink():
                target.unlink()
                restored.append(path)
                parent = target.parent
                while parent != ws.repo.root and parent.is_dir() and not any(parent.iterdir()):
                    parent.rmdir()
                    parent = parent.parent
        elif head is not None:
            ws.repo.run("reset", "-q", head, "--", path)
            if ws.repo.path_exists(head, path):
                ws.repo.run("checkout", head, "--", path)
            else:
                (ws.repo.root / path).unlink(missing_ok=True)
            restored.append(path)
    return restored
