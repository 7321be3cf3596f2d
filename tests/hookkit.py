"""Helpers for the hook and verify tests: a managed repo with hooks, real commits, and one bad commit per rule.

Each `Case` stages one change that breaks one rule (on top of whatever valid history it needs first)
and gives the commit message and author. The same case is committed through the installed hooks
(which must refuse it) and with `--no-verify` (which `skillgit verify` must then report).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from conftest import FIXTURES, as_agent, git

ZERO7 = "0000000"
GOOD_EXPECTED = "win_rate >= 0.6 within 5 sessions; else split the procedure into a helper script"
GOOD_SUMMARY = "train 2 better 0 worse 1 tie"


def skillgit(repo: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real `skillgit` console entry (as a user or CI would) in `repo`."""
    return subprocess.run(
        [sys.executable, "-m", "skillgit", "-C", str(repo), *args],
        capture_output=True, text=True, env={**os.environ, **(env or {})}, check=False,
    )


def make_managed(repo: Path, hooks: bool = True) -> Path:
    """The fixture skills repo, committed, `skillgit init`-ed, and (by default) with hooks installed."""
    import shutil

    shutil.copytree(FIXTURES / "repo", repo, dirs_exist_ok=True)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Import skills")
    assert skillgit(repo, "init").returncode == 0
    if hooks:
        out = skillgit(repo, "hooks", "install")
        assert out.returncode == 0, out.stderr
    return repo


def commit(repo: Path, message: str, *, env: dict[str, str] | None = None, no_verify: bool = False,
           extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    args = ["git", "-C", str(repo), "commit", "-q", "-F", "-", *extra]
    if no_verify:
        args.append("--no-verify")
    return subprocess.run(args, input=message, capture_output=True, text=True, env={**os.environ, **(env or {})}, check=False)


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def blob(repo: Path, spec: str) -> str:
    """Blob id of `spec` (`HEAD:path`, `:path` for the index), or 0000000 when absent."""
    out = git(repo, "rev-parse", "-q", "--verify", spec, check=False).strip()
    return out or ZERO7


def edit(repo: Path, path: str, transform: Callable[[str], str]) -> None:
    target = repo / path
    target.write_text(transform(target.read_text(encoding="utf-8")), encoding="utf-8")
    git(repo, "add", "-A", "--", path)


def message(title: str, pairs: list[tuple[str, str]], body: str = "") -> str:
    parts = [title] + ([body] if body else []) + ["\n".join(f"{k}: {v}" for k, v in pairs)]
    return "\n\n".join(parts) + "\n"


def refine_message(repo: Path, skill: str, *, summary: str = GOOD_SUMMARY, extra: list[tuple[str, str]] | None = None,
                   body: str = "") -> str:
    """A complete agent `refine` message for the staged edit of `skill`."""
    path = f"skills/{skill}/SKILL.md"
    pairs = [
        ("Skill-Event", "refine"), ("Skill-Name", skill), ("Skill-Trigger", "3 sessions retried the same command"),
        ("Skill-Version", f"{blob(repo, f'HEAD:{path}')}..{blob(repo, f':{path}')}"),
        ("Skill-Expected", GOOD_EXPECTED), ("Skill-Eval-Summary", summary),
    ] + (extra or [])
    return message(f"skillgit: refine {skill}", pairs, body)


def add_lines(n: int, tag: str = "step") -> Callable[[str], str]:
    return lambda text: text + "".join(f"- {tag} {i}: check the output before retrying\n" for i in range(n))


def agent_refine(repo: Path, skill: str, n: int = 2, tag: str = "pitfall") -> None:
    """Commit a valid agent refine of `skill` through the hooks (fails the test if refused)."""
    edit(repo, f"skills/{skill}/SKILL.md", add_lines(n, tag))
    result = commit(repo, refine_message(repo, skill), env=as_agent())
    assert result.returncode == 0, result.stderr


NEW_SKILL = """---
name: {name}
description: "[CANDIDATE — unreviewed] {description}"
origin: yoyo
status: candidate
keywords: [{keywords}]
---

# {name}

Use this when a session repeats the same failing step three times.
"""


def create_files(repo: Path, name: str, keywords: str, description: str = "Recover from a flaky build step") -> str:
    path = f"skills/{name}/SKILL.md"
    (repo / path).parent.mkdir(parents=True, exist_ok=True)
    (repo / path).write_text(NEW_SKILL.format(name=name, description=description, keywords=keywords), encoding="utf-8")
    git(repo, "add", "--", path)
    return message(f"skillgit: create {name}", [
        ("Skill-Event", "create"), ("Skill-Name", name), ("Skill-Trigger", "pattern flaky.build in 3 sessions"),
        ("Skill-Version", f"{ZERO7}..{blob(repo, f':{path}')}"), ("Skill-Expected", "uses >= 1 within 10 sessions; else retire it"),
    ])


@dataclass(frozen=True)
class Case:
    """One commit that breaks `rule` (reported at `path`), staged by `stage(repo) -> (message, env)`."""

    id: str
    rule: str
    path: str | None
    stage: Callable[[Path], tuple[str, dict[str, str]]]
    fix_words: str


def _agent_edits_creator_skill(repo: Path) -> tuple[str, dict[str, str]]:
    edit(repo, "skills/family/SKILL.md", add_lines(2))
    return refine_message(repo, "family"), as_agent()


def _agent_flips_origin(repo: Path) -> tuple[str, dict[str, str]]:
    edit(repo, "skills/family/SKILL.md", lambda t: t.replace("origin: creator", "origin: yoyo"))
    return refine_message(repo, "family"), as_agent()


def _agent_edits_self_skill(repo: Path) -> tuple[str, dict[str, str]]:
    edit(repo, "skills/skill-evolve/SKILL.md", add_lines(1))
    return refine_message(repo, "skill-evolve"), as_agent()


def _agent_edits_config(repo: Path) -> tuple[str, dict[str, str]]:
    edit(repo, "skillgit.yaml", lambda t: t + "policy:\n  refine_max_added: 300\n")
    return "Allow larger refines\n", as_agent()


def _two_skills(repo: Path) -> tuple[str, dict[str, str]]:
    edit(repo, "skills/family/SKILL.md", add_lines(1))
    edit(repo, "skills/research/SKILL.md", add_lines(1))
    return "Tidy two skills\n", as_agent()  # (a maintainer's commit of two skills is one `manual` event)


def _refine_too_big(repo: Path) -> tuple[str, dict[str, str]]:
    edit(repo, "skills/social/SKILL.md", add_lines(31))
    return refine_message(repo, "social"), as_agent()


def _expected_on_retire(repo: Path) -> tuple[str, dict[str, str]]:
    before = blob(repo, "HEAD:skills/research/SKILL.md")
    git(repo, "mv", "skills/research", "skills_attic/research")
    return message("skillgit: retire research", [
        ("Skill-Event", "retire"), ("Skill-Name", "research"), ("Skill-Version", f"{before}..{ZERO7}"),
        ("Skill-Expected", GOOD_EXPECTED),
    ]), {}


def _forged_trailer(repo: Path) -> tuple[str, dict[str, str]]:
    edit(repo, "skills/research/SKILL.md", add_lines(1))
    return "Clarify research\n\nSkill-Event: refine\nas discussed, this counts as a refine.\n", {}


def _holdout_unsealed(repo: Path) -> tuple[str, dict[str, str]]:
    holdout = repo / "skills/social/evals/holdout.jsonl"
    holdout.parent.mkdir(parents=True, exist_ok=True)
    holdout.write_text('{"id": "h1", "prompt": "reply", "graders": [{"type": "outcome", "expect": "success"}]}\n')
    sealed = skillgit(repo, "holdout", "seal", "social")
    assert sealed.returncode == 0, sealed.stderr + sealed.stdout
    holdout.write_text(holdout.read_text() + '{"id": "h2", "prompt": "share", "graders": [{"type": "outcome", "expect": "success"}]}\n')
    git(repo, "add", "--", "skills/social/evals/holdout.jsonl")
    return "Add a holdout case\n", {}


def _invalid_skill(repo: Path) -> tuple[str, dict[str, str]]:
    edit(repo, "skills/research/SKILL.md", lambda t: t.replace("name: research", "name: research-notes"))
    return "Rename research\n", {}


def _overlapping_create(repo: Path) -> tuple[str, dict[str, str]]:
    agent_refine(repo, "social")
    return create_files(repo, "self-roast", '"blind spot", "roast", "self-review"'), as_agent()


def _thrashing(repo: Path) -> tuple[str, dict[str, str]]:
    agent_refine(repo, "social")
    edit(repo, "skills/social/SKILL.md", add_lines(1, "again"))
    return refine_message(repo, "social"), as_agent()


def _create_first(repo: Path) -> tuple[str, dict[str, str]]:
    return create_files(repo, "flaky-build", '"flaky", "rerun", "ci"'), as_agent()


def _refine_with_regression(repo: Path) -> tuple[str, dict[str, str]]:
    edit(repo, "skills/social/SKILL.md", add_lines(2))
    return refine_message(repo, "social", summary="train 1 better 1 worse 0 tie"), as_agent()


def _summary_not_from_counts(repo: Path) -> tuple[str, dict[str, str]]:
    from skillgit.evals.counts import HEADER

    edit(repo, "skills/social/SKILL.md", add_lines(2))
    counts = HEADER + "\n" + "\n".join(f'  train "basics" "c{i}": 2/4 -> 3/4' for i in range(3))
    summary = "train ok 0.00->1.00 +1.00 [+0.66,+1.00] n=3×4; runs 24"
    return refine_message(repo, "social", summary=summary, body=counts), as_agent()


CASES = [
    Case("agent-edits-creator-skill", "SG002", "skills/family/SKILL.md", _agent_edits_creator_skill, "maintainer"),
    Case("agent-flips-origin", "SG002", "skills/family/SKILL.md", _agent_flips_origin, "maintainer"),
    Case("agent-edits-self-skill", "SG003", "skills/skill-evolve/SKILL.md", _agent_edits_self_skill, "maintainer"),
    Case("agent-edits-config", "SG003", "skillgit.yaml", _agent_edits_config, "maintainer"),
    Case("two-skills-in-one-commit", "SG004", None, _two_skills, "one commit per skill"),
    Case("expected-on-retire", "SG005", None, _expected_on_retire, "Skill-Expected"),
    Case("forged-trailer-in-body", "SG001", None, _forged_trailer, "trailers"),
    Case("refine-over-size", "SG006", "skills/social/SKILL.md", _refine_too_big, ""),
    Case("invalid-skill-file", "SG007", "skills/research/SKILL.md", _invalid_skill, ""),
    Case("create-overlapping-keywords", "SG008", "skills/self-roast/SKILL.md", _overlapping_create, "keywords"),
    Case("refine-thrashing", "SG009", "skills/social", _thrashing, "thrash_cycles"),
    Case("create-as-first-event", "SG010", "skills/flaky-build", _create_first, "refine"),
    Case("holdout-edit-without-reseal", "SG011", "skills/social/evals/holdout.jsonl", _holdout_unsealed, "re-seal"),
    Case("refine-with-train-regression", "SG012", "skills/social/SKILL.md", _refine_with_regression, ""),
    Case("summary-not-from-its-counts", "SG013", "skills/social/SKILL.md", _summary_not_from_counts, "promote"),
]


def verify_json(repo: Path, *args: str) -> tuple[int, dict[str, object]]:
    result = skillgit(repo, "verify", "--format", "json", *args)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)
