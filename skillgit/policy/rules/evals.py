"""SG011 (holdout sealed) and SG012 (an agent refine carries a passing eval summary)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from skillgit import trailers as T
from skillgit.errors import SkillgitError
from skillgit.evals.seal import HOLDOUT_FILE, LOCK_FILE, Lock, holdout_digest, read_lock
from skillgit.policy.model import Change, Option, Rule, Violation
from skillgit.policy.rules.common import (
    ACTIVE,
    ATTIC,
    event_kind,
    event_skill,
    skill_dir,
    tree_note,
)
from skillgit.policy.rules.ownership import is_holdout_path

if TYPE_CHECKING:
    from skillgit.config import Config
    from skillgit.evals.summary import EvalSummary

EPSILON = 1e-9
HALF_UNIT = 0.005
"""Half a unit of the last digit the gate's summary writes (two decimals)."""
_FIX_RESEAL = (
    "Restore the sealed holdout, or have a maintainer re-seal it with `skillgit holdout seal {name}` "
    "(a manual event that updates holdout and lock together)."
)


@dataclass(frozen=True)
class _Side:
    """A skill's holdout and lock on one side of the change (paths where found, bytes or None)."""

    holdout_path: str
    lock_path: str
    holdout: bytes | None
    lock: bytes | None


def _side(change: Change, config: Config, name: str, when: str) -> _Side:
    read = change.before if when == "before" else change.after
    first: _Side | None = None
    for location in (ACTIVE, ATTIC):
        base = f"{skill_dir(config, name, location, change)}/evals"
        side = _Side(f"{base}/{HOLDOUT_FILE}", f"{base}/{LOCK_FILE}", read(f"{base}/{HOLDOUT_FILE}"), read(f"{base}/{LOCK_FILE}"))
        if side.holdout is not None or side.lock is not None:
            return side
        first = first or side
    assert first is not None
    return first


def _lock_problem(exc: SkillgitError, path: str) -> str:
    """A lock error without its own `path:` prefix and fix ("line 1: not valid JSON (…)")."""
    text = str(exc).split("; ")[0]
    if text.startswith(path + ":"):
        text = text[len(path) + 1 :].lstrip()
        line, sep, rest = text.partition(": ")
        if sep and line.isdigit():
            text = f"line {line}: {rest}"
    return text


def _seal_of(side: _Side) -> tuple[object, ...]:
    """What a seal fixes: the holdout digest and the lock's hash, n, margin and min_pass."""
    digest = holdout_digest(side.holdout) if side.holdout is not None else None
    try:
        lock = read_lock(side.lock) if side.lock is not None else None
    except SkillgitError:
        return (digest, "unreadable", side.lock)
    return (digest,) + ((lock.hash, lock.n, lock.margin, lock.min_pass) if lock else (None,))


HOLDOUT_MARGIN = Option("holdout.margin", "number", 0.05,
                        "How much the candidate must beat the champion on the holdout, when its lock has no margin "
                        "(SG012, SG013).")
HOLDOUT_MIN_PASS = Option("holdout.min_pass", "number", 0.6,
                          "The holdout pass rate a candidate must reach, when its lock has no min_pass (SG012, SG013).")


class HoldoutSealed(Rule):
    """SG011: when a commit touches a skill's `evals/holdout.jsonl` or `evals/holdout.lock.json`,
    the holdout after the commit matches its lock (sha256 of the line-sorted bytes, and `n`), and
    the seal itself (digest, lock hash, n, margin, min_pass) changes only in a maintainer's `manual`
    event that updates holdout and lock together."""

    id = "SG011"
    name = "holdout-sealed"
    agent_only = False

    def check(self, change: Change, config: Config) -> list[Violation]:
        from skillgit.policy.rules.common import skill_of

        names = sorted({hit[0] for f in change.files if is_holdout_path(f.path, config) and (hit := skill_of(f.path, config, change))})
        out: list[Violation] = []
        for name in names:
            out.extend(self._check_skill(change, config, name))
        return out

    def _v(self, change: Change, path: str, message: str, fix: str) -> Violation:
        return Violation(self.id, self.name, message, fix, path=path, commit=change.commit)

    def _check_skill(self, change: Change, config: Config, name: str) -> list[Violation]:
        before, after = _side(change, config, name, "before"), _side(change, config, name, "after")
        fix = _FIX_RESEAL.format(name=name)
        out: list[Violation] = []
        if after.holdout is not None:
            if after.lock is None:
                message = f"the holdout has no {LOCK_FILE} after the change{tree_note(change)}"
                out.append(self._v(change, after.holdout_path, message, fix))
            else:
                try:
                    lock = read_lock(after.lock, after.lock_path)
                except SkillgitError as exc:
                    out.append(self._v(change, after.lock_path, _lock_problem(exc, after.lock_path), fix))
                else:
                    out.extend(self._match(change, after, lock, fix))
        elif after.lock is not None and change.touched(after.lock_path):
            out.append(self._v(
                change, after.lock_path, f"{LOCK_FILE} seals no holdout: there is no {HOLDOUT_FILE} next to it",
                "Remove the lock with the holdout, or restore the holdout, in a maintainer's manual event.",
            ))
        if out or _seal_of(before) == _seal_of(after):
            return out
        kind = event_kind(change)
        if (kind == "manual" or change.message is None) and not change.agent:
            return out  # a maintainer's manual re-seal (or the pre-commit stage, message not known yet)
        who = "an agent" if change.agent else "a maintainer"
        what = f"a `{kind}` event" if kind else "a commit that is not a skill event"
        path = after.lock_path if after.lock is not None else after.holdout_path
        message = f"the holdout seal of `{name}` changes in {what} by {who}; only a maintainer's manual event may re-seal"
        return [self._v(change, path, message, fix)]

    def _match(self, change: Change, side: _Side, lock: Lock, fix: str) -> list[Violation]:
        assert side.holdout is not None
        if lock.matches(side.holdout):
            return []
        digest = holdout_digest(side.holdout)
        if digest == lock.hash:
            return [self._v(change, side.lock_path, f"the lock says n={lock.n} but the holdout has a different number of cases", fix)]
        untouched = "" if change.touched(side.lock_path) else f" ({LOCK_FILE} was not updated)"
        message = f"the holdout no longer matches its lock{untouched}: digest {digest[:19]}… vs sealed {lock.hash[:19]}…"
        return [self._v(change, side.holdout_path, message, fix)]


@lru_cache(maxsize=256)
def _legacy_summary(text: str) -> EvalSummary | str:
    """`EvalSummary.parse(text)`, or the message of the error it raises (kept by text: the values repeat)."""
    from skillgit.evals.summary import EvalSummary

    try:
        return EvalSummary.parse(text)
    except SkillgitError as exc:
        return str(exc)


class EvalGate(Rule):
    """SG012: an agent `refine` carries `Skill-Eval-Summary` showing an accepted candidate. In the
    gate's format: the train guard `ok`, and the confirming part's interval (the holdout's, else the
    train cases') above the margin, the holdout score ≥ `min_pass` and its `n` the lock's. In the
    earlier single-run format: 0 train regressions and ≥ 1 improvement, and a holdout delta ≥ the
    margin (ties reject), a score ≥ `min_pass` and the lock's `n`. The lock's values win;
    `holdout.margin`/`holdout.min_pass` when the lock has none."""

    id = "SG012"
    name = "eval-gate"
    agent_only = True
    options = (HOLDOUT_MARGIN, HOLDOUT_MIN_PASS)

    def check(self, change: Change, config: Config) -> list[Violation]:
        name = event_skill(change)
        if event_kind(change) != "refine" or name is None or change.message is None:
            return []
        from skillgit.evals.summary import EXAMPLE, is_gate_summary

        path = f"{skill_dir(config, name, ACTIVE, change)}/SKILL.md"
        text = change.message.trailers.get(T.EVAL_SUMMARY)
        if text is None:
            return [self._v(change, path, f"the agent refine of `{name}` has no `{T.EVAL_SUMMARY}` trailer",
                            f"Run the eval gate on the candidate and add its result, e.g. `{T.EVAL_SUMMARY}: {EXAMPLE}`.")]
        if is_gate_summary(text):
            return self._gate(change, config, name, path, text)
        summary = _legacy_summary(text)
        if isinstance(summary, str):
            return [self._v(change, path, summary.split("; write it as")[0].rstrip("."), f"Write it as `{EXAMPLE}`.")]
        out: list[Violation] = []
        fix_train = "Refine only with a candidate that wins on train: 0 worse and at least 1 better case."
        if summary.worse:
            out.append(self._v(change, path, f"the eval summary shows {summary.worse} train regression(s) (`{text}`)", fix_train))
        if summary.better < 1:
            out.append(self._v(change, path, f"the eval summary shows no train improvement (`{text}`)", fix_train))
        side = _side(change, config, name, "after")
        if side.holdout is None and change.tree_files is None and not change.touched(side.holdout_path):
            out.append(self._v(change, path, f"cannot tell whether `{name}` has a holdout: the change carries no tree lookup",
                               "Build the Change with `tree_files` (see skillgit.policy.lookups)."))
        elif side.holdout is not None:
            out.extend(self._holdout(change, config, path, summary, side))
        elif summary.has_holdout:
            out.append(self._v(change, path, f"the eval summary reports a holdout result but `{name}` has no {side.holdout_path}",
                               "Report only the evals that ran; drop the holdout part."))
        return out

    def _gate(self, change: Change, config: Config, name: str, path: str, text: str) -> list[Violation]:
        """A summary in the gate's format: the train guard settled, and the confirming part's interval
        above the margin (half a unit of the summary's last digit allowed: `verify` recomputes the
        decision itself from the counts, SG013)."""
        from skillgit.evals.summary import EXAMPLE, GateSummary

        try:
            summary = GateSummary.parse(text)
        except SkillgitError as exc:
            message = str(exc).split("; it reads")[0].split("; e.g.")[0].rstrip(".")
            return [self._v(change, path, message, f"Write it as `{EXAMPLE}`.")]
        fix = "Promote only a candidate the gate accepted (`skillgit promote`)."
        out: list[Violation] = []
        if summary.train is not None and summary.train != "ok":
            out.append(self._v(change, path, f"the eval summary's train guard is `{summary.train}`, not `ok` (`{text}`)", fix))
        side = _side(change, config, name, "after")
        if side.holdout is None and change.tree_files is None and not change.touched(side.holdout_path):
            out.append(self._v(change, path, f"cannot tell whether `{name}` has a holdout: the change carries no tree lookup",
                               "Build the Change with `tree_files` (see skillgit.policy.lookups)."))
            return out
        if side.holdout is not None:
            lock, problems = self._lock(change, side, summary.holdout is not None, path)
            if lock is None:
                return out + problems
            margin = lock.margin if lock.margin is not None else float(config.holdout.margin)
            min_pass = lock.min_pass if lock.min_pass is not None else float(config.holdout.min_pass)
            figures = summary.holdout
            assert figures is not None
            if lock.n is not None and figures.n != lock.n:
                out.append(self._v(change, path, f"the eval summary has n={figures.n} but the lock seals n={lock.n} cases",
                                   "Run the gate over the whole sealed holdout."))
            if figures.after + HALF_UNIT < min_pass:
                out.append(self._v(change, path, f"the candidate's holdout score {figures.after:g} is below min_pass {min_pass:g}", fix))
        elif summary.holdout is not None:
            return out + [self._v(change, path, f"the eval summary reports a holdout result but `{name}` has no {side.holdout_path}",
                                  "Report only the evals that ran; drop the holdout part.")]
        else:
            margin = float(config.holdout.margin)
            figures = summary.train_figures
            assert figures is not None
        if figures.low + HALF_UNIT <= margin:
            where = "holdout" if summary.holdout is not None else "train"
            out.append(self._v(change, path, f"the {where} interval [{figures.low:+g},{figures.high:+g}] does not clear "
                                             f"the margin {margin:g}", fix))
        return out

    def _lock(self, change: Change, side: _Side, reported: bool, path: str) -> tuple[Lock | None, list[Violation]]:
        """The holdout's lock when it seals the holdout and the summary reports it; else the violations."""
        from skillgit.evals.summary import EXAMPLE

        assert side.holdout is not None
        if side.lock is None:
            return None, [self._v(change, side.holdout_path, "the holdout has no lock, so its result cannot be trusted (fail closed)",
                                  "A maintainer seals it first (`skillgit holdout seal`, committed as a manual event).")]
        try:
            lock = read_lock(side.lock, side.lock_path)
        except SkillgitError as exc:
            return None, [self._v(change, side.lock_path, _lock_problem(exc, side.lock_path),
                                  "A maintainer re-seals the holdout in a manual event (`skillgit holdout seal`).")]
        if not lock.matches(side.holdout):
            return None, [self._v(change, side.holdout_path, "the holdout does not match its lock, so its result cannot be trusted (fail closed)",
                                  "A maintainer restores or re-seals the holdout in a manual event.")]
        if not reported:
            return None, [self._v(change, path, "the skill has a sealed holdout but the eval summary has no holdout result",
                                  f"Run the gate and report its result, e.g. `{EXAMPLE}`.")]
        return lock, []

    def _holdout(self, change: Change, config: Config, path: str, summary: EvalSummary, side: _Side) -> list[Violation]:
        fix = "Promote only a candidate that beats the champion on the holdout by the margin (`skillgit promote`)."
        lock, problems = self._lock(change, side, summary.has_holdout, path)
        if lock is None:
            return problems
        margin = lock.margin if lock.margin is not None else float(config.holdout.margin)
        min_pass = lock.min_pass if lock.min_pass is not None else float(config.holdout.min_pass)
        before, after = summary.holdout_before or 0.0, summary.holdout_after or 0.0
        delta = after - before
        out: list[Violation] = []
        if (summary.margin or 0.0) + EPSILON < margin:
            out.append(self._v(change, path, f"the eval summary uses margin {summary.margin:g} but the lock requires {margin:g}", fix))
        if delta + EPSILON < margin or delta <= EPSILON:
            message = f"the holdout delta {before:g}->{after:g} ({delta:+.4g}) is below the margin {margin:g} (ties reject)"
            out.append(self._v(change, path, message, fix))
        if after + EPSILON < min_pass:
            out.append(self._v(change, path, f"the candidate's holdout score {after:g} is below min_pass {min_pass:g}", fix))
        if lock.n is not None and summary.holdout_n != lock.n:
            out.append(self._v(change, path, f"the eval summary has n={summary.holdout_n} but the lock seals n={lock.n} cases",
                               "Run the bake-off over the whole sealed holdout."))
        return out

    def _v(self, change: Change, path: str, message: str, fix: str) -> Violation:
        return Violation(self.id, self.name, message, fix, path=path, commit=change.commit)
