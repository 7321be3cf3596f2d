"""Clean re-merges: the tree `git merge` would have made of a merge's parents without help.

A merge commit's own change is what its tree holds that this clean re-merge does not. git computes
the re-merge in memory (`git merge-tree --write-tree`, the `ort` strategy `git merge` uses), conflicts
left in the files as markers; the trees and blobs it makes are written to the object store (loose
objects that `git gc` removes), so they can be read and compared like any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from skillgit.errors import GitError
from skillgit.git.process import run_git, run_git_bytes

_MERGE_TREE = ("merge-tree", "--write-tree", "--no-messages", "--name-only", "--allow-unrelated-histories")
_SCRATCH_IDENTITY = {
    "GIT_AUTHOR_NAME": "skillgit", "GIT_AUTHOR_EMAIL": "skillgit@localhost", "GIT_AUTHOR_DATE": "1700000000 +0000",
    "GIT_COMMITTER_NAME": "skillgit", "GIT_COMMITTER_EMAIL": "skillgit@localhost",
    "GIT_COMMITTER_DATE": "1700000000 +0000",
}


def clean_merge(root: Path, parents: Sequence[str]) -> str:
    """The tree id of a clean re-merge of `parents` (two or more commits, in the merge's order).

    More than two parents (an octopus) are merged one after the other, through scratch commits
    that nothing refers to. GitError when git cannot merge them (a parent missing, say).
    """
    if len(parents) < 2:
        raise ValueError("a merge has at least two parents")
    current = parents[0]
    tree = ""
    for index, other in enumerate(parents[1:]):
        result = run_git(root, *_MERGE_TREE, current, other, check=False)
        if result.returncode not in (0, 1) or not result.stdout.strip():
            raise GitError(
                f"cannot re-merge {current[:12]} and {other[:12]} to check a merge ({result.stderr.strip() or 'git merge-tree failed'}); "
                "the repository may be incomplete: fetch its full history (`git fetch --unshallow`)."
            )
        tree = result.stdout.split("\n", 1)[0].strip()
        if index < len(parents) - 2:
            current = run_git(root, "commit-tree", tree, "-p", current, "-p", other, "-m", "re-merge",
                              env=_SCRATCH_IDENTITY).stdout.strip()
    return tree


def clean_merges(root: Path, pairs: Sequence[tuple[str, str]]) -> list[str | None]:
    """`clean_merge` of many two-parent merges through one `git merge-tree --stdin` process.

    Returns one tree id per pair, None where git gave no answer (it stops at the first pair it
    cannot merge; those left are None, for the caller to retry one by one and report)."""
    if not pairs:
        return []
    request = "".join(f"{a} {b}\n" for a, b in pairs).encode()
    proc = run_git_bytes(root, *_MERGE_TREE, "--stdin", input=request)
    fields = proc.stdout.split(b"\0")
    out: list[str | None] = []
    at = 0
    while len(out) < len(pairs) and at + 1 < len(fields) and fields[at] in (b"0", b"1"):
        out.append(fields[at + 1].decode())
        at += 2
        while at < len(fields) and fields[at]:
            at += 1  # the names of conflicted files
        at += 1
    return out + [None] * (len(pairs) - len(out))
