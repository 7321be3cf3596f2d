"""Promotion: run the gate, then make the one commit that records its decision.

Accepted → a `refine` event carrying `Skill-Eval-Summary` (and the required `Skill-Expected`).
Rejected or inconclusive → a `refused` event (an empty commit) carrying `Skill-Reason` with the
numbers and `Skill-Eval-Summary`. Either way the body holds the per-case counts the decision rests
on, so `verify` can recompute it. Git history is the promotion ledger.
No evals or no runner → exit 2 and a seal mismatch → exit 3, both without a commit.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from skillgit import trailers as T
from skillgit.errors import EXIT_CHECK_FAILED, EXIT_OK, UsageError
from skillgit.evals.gate import GateResult, SuiteRunner, gate

if TYPE_CHECKING:
    from skillgit.evals.trials import Progress
    from skillgit.operations import Result
    from skillgit.workspace import Workspace

MAX_SKILL_BYTES = 1_000_000


@dataclass(frozen=True)
class PromoteOutcome:
    """The gate's result, the commit that recorded it, and the exit code (0 promoted, 1 refused)."""

    gate: GateResult
    result: Result

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.gate.accepted else EXIT_CHECK_FAILED


def read_candidate(ws: Workspace, name: str, candidate: str, base: Path | None = None) -> tuple[bytes, str]:
    """(SKILL.md bytes, description) for `--candidate FILE|REV`: a file if one exists at that path,
    else skills/NAME/SKILL.md at revision REV."""
    from skillgit.safefile import FileTooLarge, NotRegularFile, read_regular

    path = Path(candidate).expanduser()
    if not path.is_absolute() and base is not None:
        path = base / path
    try:
        return read_regular(path, MAX_SKILL_BYTES), candidate
    except FileTooLarge:
        raise UsageError(f"{candidate}: larger than {MAX_SKILL_BYTES} bytes; a SKILL.md must be smaller.") from None
    except NotRegularFile as exc:
        raise UsageError(f"{candidate}: {exc.strerror}; pass the candidate SKILL.md file or a revision.") from None
    except OSError:
        pass  # no such file (or a name no file can have): a revision, then
    candidate = candidate if len(candidate) <= 200 else candidate[:200] + "…"
    try:
        commit = ws.repo.resolve(candidate)
    except UsageError:
        raise UsageError(
            f"--candidate {candidate}: neither a file nor a revision; pass a SKILL.md path or a commit/branch "
            f"that has {ws.skill_dir(name)}/SKILL.md."
        ) from None
    raw = ws.repo.read_file(commit, f"{ws.skill_dir(name)}/SKILL.md")
    if raw is None:
        raise UsageError(f"--candidate {candidate}: {ws.skill_dir(name)}/SKILL.md does not exist at {commit[:12]}; "
                         "pick a revision that has the skill.")
    return raw, f"{candidate} ({commit[:12]})"


def check_candidate(ws: Workspace, name: str, raw: bytes, expected: str | None) -> None:
    """Refuse, before any eval runs, a candidate that is not a valid skill or a bad prediction."""
    from skillgit.model.expected import parse_expected
    from skillgit.model.validate import validate_skill_bytes

    if expected is not None:
        T.check_value(T.EXPECTED, expected)
        parse_expected(expected)
    path = f"{ws.skill_dir(name)}/SKILL.md"
    problems = [p for p in validate_skill_bytes(raw, path, unknown_fields=ws.config.policy.unknown_fields)
                if p.severity == "error"]
    if problems:
        lines = "\n".join(f"  {p.path}: {p.key or '(file)'}: {p.message}. {p.fix}" for p in problems)
        raise UsageError(f"the candidate for {path} is not a valid skill; nothing was run or committed:\n{lines}")


def promote(
    ws: Workspace,
    name: str,
    candidate: bytes,
    *,
    expected: str,
    runner: str | SuiteRunner | None = None,
    source: Path | None = None,
    trigger: str | None = None,
    agent: bool = False,
    budget: int | None = None,
    progress: Progress | None = None,
) -> PromoteOutcome:
    """Gate `candidate` against HEAD, then commit the promotion (`refine`) or the refusal (`refused`).

    `source` is where the candidate came from (a file) when `refine` should read it from there;
    otherwise the bytes are written to a private temporary file for the refine. `budget` caps the
    agent runs of the decision below `eval.max_runs`.
    """
    own = ws.repo.root / ws.skill_dir(name) / "SKILL.md"
    if source is not None and source.resolve() == own.resolve() and trigger is None and not agent:
        return gated_refine(ws, name, expected=expected, runner=runner, budget=budget, progress=progress)
    check_candidate(ws, name, candidate, expected)
    head = ws.repo.head()
    result = gate(ws, name, candidate, runner=runner, budget=budget, progress=progress)
    if not result.accepted:
        return PromoteOutcome(result, refuse(ws, name, result, trigger=trigger, agent=agent, expect_head=head))
    return PromoteOutcome(result, _refine(ws, name, candidate, result, expected=expected, source=source,
                                          trigger=trigger, agent=agent, expect_head=head))


def _refine(ws: Workspace, name: str, candidate: bytes, result: GateResult, *, expected: str, source: Path | None,
            trigger: str | None, agent: bool, expect_head: str | None) -> Result:
    from skillgit import operations

    summary = result.summary.format()
    body = acceptance_body(result)
    if source is not None and source.is_file() and source.read_bytes() == candidate:
        return operations.refine(ws, name, expected=expected, source=source, eval_summary=summary,
                                 trigger=trigger, agent=agent, expect_head=expect_head, body=body)
    with tempfile.TemporaryDirectory(prefix="skillgit-candidate-") as tmp:
        path = Path(tmp) / "SKILL.md"
        path.write_bytes(candidate)
        return operations.refine(ws, name, expected=expected, source=path, eval_summary=summary,
                                 trigger=trigger, agent=agent, expect_head=expect_head, body=body)


def refuse(
    ws: Workspace, name: str, result: GateResult, *, trigger: str | None = None, agent: bool = False,
    expect_head: str | None = None,
) -> Result:
    """Record a gate rejection as one `refused` event: an empty commit with the numbers."""
    from skillgit.operations import Result, commit_event

    reason = _one_line(result.reason or "rejected by the eval gate")
    trailers = [(T.REASON, reason), (T.EVAL_SUMMARY, result.summary.format())]
    if trigger:
        trailers.insert(0, (T.TRIGGER, trigger))
    body = refusal_body(result)
    commit = commit_event(ws, "refused", skill=name, trailers=trailers, body=body, agent=agent, expect_head=expect_head)
    return Result(commit, "refused", name, f"refused a candidate for {name}: {reason}")


def refusal_body(result: GateResult) -> str:
    """Prose for the refused commit: what the gate decided, then the per-case counts (holdout
    cases without their ids)."""
    what = "could not decide on" if result.outcome == "inconclusive" else "rejected"
    lead = f"The eval gate {what} candidate {result.challenger[:12]} against {result.champion[:12]}."
    return _safe(f"{lead}\n\n{result.counts_block()}")


def acceptance_body(result: GateResult) -> str:
    """Prose for the accepted refine: the decision's per-case counts."""
    lead = f"The eval gate accepted candidate {result.challenger[:12]} against {result.champion[:12]}."
    return _safe(f"{lead}\n\n{result.counts_block()}")


def _safe(text: str) -> str:
    # A body line may never look like a governed trailer.
    return "\n".join(line if not line.lstrip().lower().startswith("skill-") else " " + line
                     for line in text.splitlines())


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= T.MAX_VALUE else flat[: T.MAX_VALUE - 1] + "…"


def gated_refine(
    ws: Workspace,
    name: str,
    *,
    expected: str,
    source: Path | None = None,
    score_delta: str | None = None,
    parent_event: str | None = None,
    runner: str | SuiteRunner | None = None,
    budget: int | None = None,
    progress: Progress | None = None,
) -> PromoteOutcome:
    """`skillgit refine --gate`: the candidate is --from FILE, else the work tree's SKILL.md."""
    from skillgit import operations

    ws.require(name)
    if source is not None:
        if not source.is_file():
            raise UsageError(f"{source}: no such file; pass the path of the new SKILL.md with --from.")
        candidate = source.read_bytes()
    else:
        directory = ws.skill_dir(name)
        changed = ws.repo.changed_paths([directory])
        if not changed:
            raise UsageError(f"nothing to refine: {directory} is unchanged; edit {directory}/SKILL.md first or pass --from FILE.")
        others = [p for p in changed if p != f"{directory}/SKILL.md"]
        if others:
            raise UsageError(
                f"refine --gate evaluates {directory}/SKILL.md only, but {', '.join(others[:3])} changed too; "
                f"commit those first (`skillgit record {name}`) or set them aside."
            )
        on_disk = ws.repo.root / directory / "SKILL.md"
        if not on_disk.is_file():
            raise UsageError(f"{directory}/SKILL.md was deleted; to remove a skill use `skillgit retire {name}`.")
        candidate = on_disk.read_bytes()
    check_candidate(ws, name, candidate, expected)
    head = ws.repo.head()
    result = gate(ws, name, candidate, runner=runner, budget=budget, progress=progress)
    if not result.accepted:
        return PromoteOutcome(result, refuse(ws, name, result, expect_head=head))
    done = operations.refine(ws, name, expected=expected, source=source, eval_summary=result.summary.format(),
                             score_delta=score_delta, parent_event=parent_event, expect_head=head,
                             body=acceptance_body(result))
    return PromoteOutcome(result, done)
