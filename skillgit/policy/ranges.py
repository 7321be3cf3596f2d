"""What `skillgit verify` checks: a range spec (`A..B`, `A...B`, `REV`, none) resolved to commits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from skillgit.errors import UsageError

if TYPE_CHECKING:
    from skillgit.workspace import Workspace


@dataclass(frozen=True)
class Range:
    """What to check: commits reachable from `head` and not from `base` (None: all history)."""

    spec: str
    base: str | None
    head: str

    @property
    def log_args(self) -> list[str]:
        return [f"{self.base}..{self.head}"] if self.base else [self.head]



def resolve_range(ws: Workspace, spec: str | None) -> Range:
    """`A..B`, `A...B` (from their merge base), `REV` (all its history) or None (upstream..HEAD, else all).

    An all-zero `A` (the `before` of a new branch's push) means: from where the branch left the
    remote's default branch (`origin/HEAD`), else all history.
    """
    repo = ws.repo
    if spec is None and repo.head() is None:
        raise UsageError("the repository has no commits yet; nothing to verify.")
    if spec is None:
        upstream = repo.commit_id("@{upstream}")
        head = repo.resolve("HEAD")
        if upstream:
            return Range(f"{upstream[:12]}..HEAD", repo.merge_base(upstream, head) or upstream, head)
        return Range("HEAD", None, head)
    if spec.startswith("-") or spec.count("..") > 1 + spec.count("...") or spec.count("...") > 1:
        raise UsageError(f"{spec!r} is not a range; pass BASE..HEAD, e.g. `skillgit verify origin/main..HEAD`.")
    if "..." in spec:
        left, right = spec.split("...", 1)
        head = repo.resolve(right or "HEAD")
        base = repo.merge_base(repo.resolve(left or "HEAD"), head)
        return Range(spec, base, head)
    if ".." in spec:
        left, right = spec.split("..", 1)
        head = repo.resolve(right or "HEAD")
        if left and set(left) == {"0"}:
            default = repo.commit_id("refs/remotes/origin/HEAD")
            return Range(spec, repo.merge_base(default, head) if default else None, head)
        return Range(spec, _resolve_base(ws, left or "HEAD"), head)
    return Range(spec, None, repo.resolve(spec))


def _resolve_base(ws: Workspace, rev: str) -> str:
    out = ws.repo.commit_id(rev) or ""
    if not out and not ws.repo.shallow_boundaries() and not _looks_like_id(rev):
        raise UsageError(
            f"{rev}: no branch, tag or commit of that name in this repository (the range's base); check the spelling "
            "(`git branch -a`, `git tag`) or pass a commit id, e.g. `skillgit verify origin/main..HEAD`."
        )
    if not out:
        raise UsageError(
            f"{rev}: the range's base is not in this clone; fetch the full history "
            "(actions/checkout with `fetch-depth: 0`, or `git fetch --unshallow`) and run verify again."
        )
    return out


def _looks_like_id(rev: str) -> bool:
    """`rev` is written as a commit id (which an incomplete clone may lack), not as a name."""
    return 4 <= len(rev) <= 64 and all(c in "0123456789abcdef" for c in rev.lower())
