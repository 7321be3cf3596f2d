"""Shared set-up for the gate, holdout, promote and eval-command tests.

The skill under test is the fixture repo's `social`. Its SKILL.md carries markers that the scripted
runner (tests/samples/evals/runner_quality.py) reads: `<!-- quality: N -->` passes the train cases
of level ≤ N, `<!-- holdout-quality: N -->` the holdout cases, `<!-- security: N -->` feeds the
judge's security score.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import sys
from pathlib import Path

from conftest import SAMPLES, git

EVALS = SAMPLES / "evals"
PY = shlex.quote(sys.executable)
RUNNER = f"{PY} {shlex.quote(str(EVALS / 'runner_quality.py'))}"
JUDGE = f"{PY} {shlex.quote(str(EVALS / 'judge_quality.py'))}"
EXPECTED = "win_rate >= 0.6 within 5 sessions; else revert the change"
SKILL = "skills/social/SKILL.md"
EVAL_DIR = "skills/social/evals"
_MARKER = re.compile(rb"\n?<!-- [a-z-]+: \d+ -->\n?")


def with_markers(raw: bytes, **markers: int) -> bytes:
    """SKILL.md bytes with every marker removed, then `markers` appended (`holdout_quality` → `holdout-quality`)."""
    body = _MARKER.sub(b"\n", raw).rstrip(b"\n") + b"\n"
    for key, value in markers.items():
        body += f"\n<!-- {key.replace('_', '-')}: {value} -->\n".encode()
    return body


def head_skill(repo: Path) -> bytes:
    return git(repo, "show", f"HEAD:{SKILL}").encode()


def set_markers(repo: Path, **markers: int) -> None:
    """Write the markers into the work tree's SKILL.md (not committed)."""
    path = repo / SKILL
    path.write_bytes(with_markers(path.read_bytes(), **markers))


def candidate(repo: Path, tmp: Path, name: str = "candidate.md", **markers: int) -> Path:
    """A candidate SKILL.md file: HEAD's SKILL.md with these markers."""
    path = tmp / name
    path.write_bytes(with_markers(head_skill(repo), **markers))
    return path


def add_evals(sg, repo: Path, *, evals: str | None = "gate_evals.yaml", holdout: str | None = "gate_holdout.jsonl",
              seal_args: tuple[str, ...] = (), **markers: int) -> None:  # type: ignore[no-untyped-def]
    """Commit the champion (markers) and evals.yaml as a manual event, then seal the holdout."""
    (repo / EVAL_DIR).mkdir(parents=True, exist_ok=True)
    if evals:
        shutil.copy(EVALS / evals, repo / EVAL_DIR / "evals.yaml")
    set_markers(repo, **(markers or {"quality": 1}))
    result = sg(repo, "record", "social", "-m", "Champion and its eval cases")
    assert result.code == 0, result
    if holdout:
        shutil.copy(EVALS / holdout, repo / EVAL_DIR / "holdout.jsonl")
        result = sg(repo, "holdout", "seal", "social", *seal_args)
        assert result.code == 0, result


def configure_runner(repo: Path, runner: str | None) -> None:
    """A maintainer sets (or removes) `eval.runner` in skillgit.yaml, as a plain commit."""
    config = repo / "skillgit.yaml"
    kept, skipping = [], False
    for line in config.read_text().splitlines():
        if line.startswith("eval:"):
            skipping = True
            continue
        if skipping and (line.startswith((" ", "\t")) or not line.strip()):
            continue
        skipping = False
        kept.append(line)
    if runner is not None:
        kept += ["eval:", f"  runner: {json.dumps(runner)}"]
    config.write_text("\n".join(kept) + "\n")
    git(repo, "commit", "-q", "--allow-empty", "-m", "Configure the eval runner", "--", "skillgit.yaml")


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def changed_files(repo: Path, rev: str = "HEAD") -> list[str]:
    return git(repo, "diff-tree", "--no-commit-id", "--name-only", "-r", rev).split()
