"""Where the cycle's event goes: `on_propose` and `--branch`.

Mutating events (refine, create, retire):
- `auto`: committed on HEAD (or on the new `--branch NAME`);
- `ask`: the diff and the eval delta are shown and Apply/Discard asked; Apply commits as `auto`,
  Discard commits nothing (the patch is kept). Without a terminal the commit goes to a new
  proposal branch `skillgit/proposal/<skill>-<candidate blob>` for review; HEAD does not move;
- `disabled`: the patch is written to `.git/skillgit/proposals/<skill>.patch` (`git am` applies
  it); nothing is committed.

Empty events (no-op, refused, meta-suggestion) are committed on HEAD (or `--branch`), except with
`disabled` (nothing is committed) and `--dry-run` (nothing is written at all).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from skillgit.cycle.decide import Decision
    from skillgit.cycle.gates import GateReport
    from skillgit.cycle.model import CycleOptions, CycleResult, Echo
    from skillgit.cycle.plan import Plan
    from skillgit.workspace import Workspace

PROPOSAL_PREFIX = "skillgit/proposal/"


def proposal_branch(plan: Plan) -> str:
    """`skillgit/proposal/<skill>-<first 7 of the candidate's blob id>` (`-retire` for a retire)."""
    from skillgit.git import blob_id

    tag = blob_id(plan.candidate)[:7] if plan.candidate is not None else plan.kind
    return f"{PROPOSAL_PREFIX}{plan.skill}-{tag}"


def report(plan: Plan, diff: str) -> str:
    """What `ask` shows: the event, the eval delta, the diff."""
    lines = [f"{plan.title}", ""]
    lines += [f"  {k}: {v}" for k, v in plan.all_trailers()]
    if plan.gate is not None:
        lines += ["", "Eval gate:"] + [f"  {line}" for line in plan.gate.lines()]
    return "\n".join(lines) + ("\n\n" + diff if diff else "") + "\n"


def land(ws: Workspace, plan: Plan, options: CycleOptions, mode: str, head: str, now: datetime, echo: Echo, *,
         gates: GateReport, decision: Decision) -> CycleResult:
    from skillgit.cycle.model import CycleResult

    def result(status: str, *, lines: tuple[str, ...], commit: str | None = None, ref: str | None = None,
               patch: str | None = None) -> CycleResult:
        return CycleResult(status, plan=plan, commit=commit, ref=ref, gates=gates, decision=decision, lines=lines,
                           patch=patch)

    if options.dry_run:
        broken = plan.violations(ws)
        lines = [f"dry run: would record `{plan.kind}`{' for ' + plan.skill if plan.skill else ''}: {plan.summary}"]
        lines += [f"  {k}: {v}" for k, v in plan.all_trailers()]
        if broken:
            lines.append("  … and the commit would be refused by policy:")
            lines += [f"    {v.render()}" for v in broken]
        diff = plan.diff(ws, head)
        return result("dry-run", lines=tuple(lines + ([diff] if diff else [])))
    if mode == "disabled":
        if not plan.mutating:
            return result("patch", lines=(f"on_propose disabled: `{plan.kind}` not recorded ({plan.summary}); nothing was committed.",))
        path = _write_patch(ws, plan, head, now)
        text = f"on_propose disabled: {plan.summary}; patch written to {path} (apply with `git am`); nothing was committed."
        return result("patch", patch=str(path), lines=(text,))
    ref = ws.repo.check_branch_name(options.branch) if options.branch else None
    if plan.mutating and mode == "ask":
        if options.confirm is not None:
            if not options.confirm(report(plan, plan.diff(ws, head))):
                path = _write_patch(ws, plan, head, now)
                return result("discarded", patch=str(path),
                              lines=(f"discarded: {plan.summary}; nothing was committed (patch kept at {path}).",))
        elif ref is None:
            branch = proposal_branch(plan)
            ref = f"refs/heads/{branch}"
            if ws.repo.ref_exists(ref):
                text = (f"{plan.summary}: already proposed on branch {branch}; nothing was committed. "
                        f"Review it with `git log -p -1 {branch}`, merge it or delete it.")
                return result("proposal-branch", ref=ref, lines=(text,))
    if ref is None:
        _require_untouched(ws, plan)
    commit = plan.commit(ws, expect_head=head, ref=ref)
    if ref is not None:
        branch = ref.removeprefix("refs/heads/")
        why = "no terminal to ask on; " if options.branch is None else ""
        where = (f"{why}committed to branch {branch}, HEAD untouched. Review: `git log -p -1 {branch}`; "
                 f"apply: `git merge --ff-only {branch}`.")
        return result("proposal-branch", commit=commit, ref=ref,
                      lines=(f"[{commit[:12]}] {plan.kind}{' ' + plan.skill if plan.skill else ''}: {plan.summary}", where))
    return result("committed", commit=commit, ref="HEAD",
                  lines=(f"[{commit[:12]}] {plan.kind}{' ' + plan.skill if plan.skill else ''}: {plan.summary}",))


def _require_untouched(ws: Workspace, plan: Plan) -> None:
    """RepoStateError (exit 4) when someone changed the event's own paths in the index or the work
    tree while the cycle ran (it started on a clean tree): committing would overwrite their work."""
    from skillgit.errors import RepoStateError

    changed = ws.repo.changed_paths(plan.sync) if plan.sync else []
    if changed:
        shown = ", ".join(changed[:5]) + (" …" if len(changed) > 5 else "")
        raise RepoStateError(
            f"{shown} changed in the work tree while the cycle ran; nothing was committed and the change is left "
            "as it is. Commit or stash it, then run the cycle again."
        )


def _write_patch(ws: Workspace, plan: Plan, head: str, now: datetime) -> Path:
    directory = ws.repo.state_dir / "proposals"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{plan.skill or plan.kind}.patch"
    tmp = path.with_suffix(".patch.tmp")
    tmp.write_text(plan.patch(ws, head, now), encoding="utf-8")
    tmp.replace(path)
    return path
