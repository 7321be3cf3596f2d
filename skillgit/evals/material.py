"""A skill's eval material at one commit: its eval files read from git, and directories for runners.

`SkillMaterial` checks the skill out of git objects (never the work tree) into a private temporary
directory, loads `evals/evals.yaml` and the sealed `evals/holdout.jsonl` from there (so relative
rubric paths resolve), and hands runners copies of the skill **without** its `evals/` directory:
a runner never sees graders, expected answers or holdout cases on disk. Only `eval run` asks for
the work tree's `evals.yaml` instead (`work_tree_evals=True`); the gate reads committed evals only.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

from skillgit.errors import UsageError
from skillgit.evals.holdout import EVALS_DIR, SealedHoldout, sealed_holdout
from skillgit.evals.loader import load_evals, load_holdout
from skillgit.evals.model import EvalCase, EvalSet

if TYPE_CHECKING:
    from collections.abc import Callable

    from skillgit.config import Config
    from skillgit.evals.judge import Judge, Rubric
    from skillgit.workspace import Workspace

EVALS_FILE = "evals.yaml"


class NoEvals(UsageError):
    """The skill has no `evals.yaml` and no holdout (exit 2)."""


class NoRunner(UsageError):
    """No runner command is configured (exit 2)."""


class SkillMaterial:
    """Use as a context manager: `with SkillMaterial(ws, "social") as m: m.evals, m.runner_dir()`.

    `version` is the blob id of SKILL.md at `rev`; `evals` is None without an evals.yaml;
    `holdout` is None without a holdout (and the seal was checked when `holdout=True`). With
    `evals=False` only the skill directory is materialised (nothing is loaded or checked). With
    `work_tree_evals=True` the train cases are the work tree's `evals.yaml` (none when it was
    deleted there), and `evals_differ` says whether it differs from the one at `rev`.
    """

    def __init__(self, ws: Workspace, name: str, rev: str = "HEAD", *, holdout: bool = True, evals: bool = True,
                 work_tree_evals: bool = False) -> None:
        from skillgit.evals.runner import checkout_version

        self.ws, self.name, self.work_tree_evals = ws, name, work_tree_evals
        self.sealed: SealedHoldout | None = sealed_holdout(ws, name, rev) if holdout and evals else None
        self.checkout = checkout_version(ws.repo, rev, ws.skill_dir(name))
        self._tmp = tempfile.TemporaryDirectory(prefix="skillgit-eval-")
        try:
            self.commit = self.checkout.commit
            if self.checkout.version is None:
                raise UsageError(f"{ws.skill_dir(name)}/SKILL.md: missing at {rev}; a skill needs its SKILL.md.")
            self.version: str = self.checkout.version
            evals_dir = self.checkout.path / EVALS_DIR
            where = f"{ws.skill_dir(name)}/{EVALS_DIR}"
            path = evals_dir / EVALS_FILE
            self.evals: EvalSet | None = None
            self.evals_differ = False
            if evals and work_tree_evals:
                path = self._work_tree_evals(path)
            if evals and path.is_file():
                self.evals = load_evals(path, name=f"{where}/{EVALS_FILE}")
            self.holdout: list[EvalCase] | None = None
            if self.sealed is not None:
                self.holdout = load_holdout(evals_dir / "holdout.jsonl", name=self.sealed.path)
        except BaseException:
            self.cleanup()
            raise

    def _work_tree_evals(self, committed: Path) -> Path:
        """The work tree's evals.yaml (a path that does not exist when it is absent there); sets `evals_differ`."""
        mine = self.ws.repo.root / self.ws.skill_dir(self.name) / EVALS_DIR / EVALS_FILE
        ours = mine.read_bytes() if mine.is_file() else None
        theirs = committed.read_bytes() if committed.is_file() else None
        self.evals_differ = ours != theirs
        return mine

    @property
    def train(self) -> list[EvalCase]:
        return list(self.evals.cases) if self.evals else []

    def require_evals(self) -> None:
        if self.evals is None and self.holdout is None:
            where = f"{self.ws.skill_dir(self.name)}/{EVALS_DIR}"
            raise NoEvals(
                f"no evals for skill `{self.name}`: neither {where}/{EVALS_FILE} nor a sealed "
                f"{where}/holdout.jsonl exists at {self.commit[:12]}"
                + (" nor in the work tree" if self.work_tree_evals else "")
                + "; write eval cases (docs/evals.md) first."
            )

    def runner_dir(self, skill_md: bytes | None = None) -> Path:
        """A fresh copy of the skill for a runner, without `evals/`; with `skill_md`, SKILL.md replaced."""
        base = Path(tempfile.mkdtemp(prefix="dir-", dir=self._tmp.name))
        target = base / self.checkout.path.name
        shutil.copytree(self.checkout.path, target, symlinks=True, ignore=_skip_evals(self.checkout.path))
        if skill_md is not None:
            (target / "SKILL.md").write_bytes(skill_md)
        return target

    def rubric(self) -> Rubric | None:
        """The rubric the lock names (`rubric`: a path from the repository root, or from the evals dir)."""
        rubric = self.sealed.lock.extra.get("rubric") if self.sealed is not None else None
        if self.sealed is None or not isinstance(rubric, str):
            return None
        return load_rubric_at(self.ws, self.commit, rubric, self.ws.skill_dir(self.name),
                              self.sealed.lock_path)

    def judge(self, config: Config, *, holdout: bool = False) -> Judge:
        from skillgit.evals.judge import Judge
        from skillgit.sandbox import for_workspace

        return Judge.from_config(config, rubric=self.rubric() if holdout else None, cwd=self.ws.repo.root,
                                 sandbox=for_workspace(self.ws, commit=self.commit))

    def cleanup(self) -> None:
        self.checkout.cleanup()
        self._tmp.cleanup()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.cleanup()


def _skip_evals(root: Path) -> Callable[[str, list[str]], list[str]]:
    def ignore(directory: str, names: list[str]) -> list[str]:
        return [EVALS_DIR] if Path(directory) == root and EVALS_DIR in names else []

    return ignore


def load_rubric_at(ws: Workspace, rev: str, ref: str, skill_dir: str, where: str) -> Rubric:
    """Read rubric `ref` from git at `rev`: tried from the repository root, the skill dir and its evals dir."""
    from skillgit.evals.judge import rubric_from_bytes

    ref = ref.strip().lstrip("/")
    candidates = [ref, f"{skill_dir}/{ref}", f"{skill_dir}/{EVALS_DIR}/{ref}"]
    # OrchestKit locks name the rubric from their repository root (`src/skills/assess/rubric.json`).
    tail = ref.rsplit("/", 1)[-1]
    candidates += [f"{skill_dir}/{tail}", f"{skill_dir}/{EVALS_DIR}/{tail}"]
    for path in candidates:
        raw = ws.repo.read_file(rev, path)
        if raw is None:
            continue
        return rubric_from_bytes(raw, f"{path} (rubric of {where})", json_file=path.endswith(".json"))
    raise UsageError(
        f"{where}: key `rubric` names {ref!r}, which is not in the repository at {rev[:12]} (tried "
        f"{', '.join(candidates[:3])}); commit the rubric or fix the path and re-seal."
    )
