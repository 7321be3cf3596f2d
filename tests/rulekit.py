"""Helpers for the policy rule tests: build a change with the git CLI, then the Change the rules see."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from conftest import AGENT, MAINTAINER, as_agent, git

from skillgit import trailers as T
from skillgit.config import Config
from skillgit.events import version_value
from skillgit.git import Identity
from skillgit.model.skill import name_is_safe
from skillgit.policy.changes import pending_change
from skillgit.policy.model import Change, Violation
from skillgit.policy.rules import RULES
from skillgit.policy.rules.common import skill_version
from skillgit.workspace import Workspace

EXPECTED = "win_rate >= 0.6 within 5 sessions; else revert to the previous version"
GOOD_SUMMARY = "train 2 better 0 worse 1 tie"


def write(repo: Path, files: dict[str, bytes | str | None]) -> None:
    """Write (or delete, for None) files in the work tree and stage exactly those paths."""
    for rel, data in files.items():
        path = repo / rel
        if data is None:
            git(repo, "rm", "-q", "-r", "--cached", "--ignore-unmatch", "--", rel)
            if path.exists():
                path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        git(repo, "add", "--", rel)


def staged_tree(repo: Path) -> str:
    return git(repo, "write-tree").strip()


def message(kind: str | None, skill: str | None = None, *pairs: tuple[str, str], title: str | None = None) -> str:
    head = ([(T.EVENT, kind)] if kind else []) + ([(T.NAME, skill)] if skill else []) + list(pairs)
    if not head:
        return (title or "Edit skills") + "\n"
    return T.format_message(title or f"skillgit: {kind} {skill or ''}".strip(), head)


def refine_message(skill: str, *extra: tuple[str, str], summary: str | None = GOOD_SUMMARY) -> str:
    pairs = [(T.VERSION, "1111111..2222222"), (T.EXPECTED, EXPECTED)]
    if summary is not None:
        pairs.append((T.EVAL_SUMMARY, summary))
    return message("refine", skill, *pairs, *extra)


def pending(repo: Path, msg: str | None, *, agent: bool = True, stamp: bool = True) -> Change:
    """The Change of the staged index on top of HEAD, as `skillgit.policy.changes.pending_change` builds it.

    With `stamp`, a `Skill-Version` in `msg` (the helpers above write a placeholder) is replaced by
    the change's real blob ids, as the event commands write it; `stamp=False` keeps it as given."""
    ws = Workspace.open(repo)
    author = Identity(*(AGENT if agent else MAINTAINER))
    change = pending_change(ws, ws.repo.head(), staged_tree(repo), msg or "Edit\n", author, agent=agent)
    if stamp and msg is not None and change.message is not None:
        name, stamped = change.message.trailers.get(T.NAME), change.message.trailers.get(T.VERSION)
        if name is not None and stamped is not None and name_is_safe(name):
            true = version_value(*skill_version(change, ws.config, name))
            msg = msg.replace(f"{T.VERSION}: {stamped}\n", f"{T.VERSION}: {true}\n")
            change = pending_change(ws, ws.repo.head(), staged_tree(repo), msg, author, agent=agent)
    return change if msg is not None else dataclasses.replace(change, message=None)


def commit(repo: Path, msg: str, *, agent: bool = False, allow_empty: bool = False) -> str:
    """Commit what is staged with the git CLI (no hooks), as the agent or the maintainer."""
    args = ["commit", "-q", "--no-verify", "-F", "-"] + (["--allow-empty"] if allow_empty else [])
    git(repo, *args, input=msg, env=as_agent() if agent else None)
    return git(repo, "rev-parse", "HEAD").strip()


def check(rule_id: str, change: Change, config: Config | None = None, repo: Path | None = None) -> list[Violation]:
    """Violations of one rule (config: the repo's unless given)."""
    if config is None:
        assert repo is not None
        config = Workspace.open(repo).config
    return RULES[rule_id].check(change, config)


def rule_ids(violations: list[Violation]) -> list[str]:
    return sorted({v.rule for v in violations})


def config_with(repo: Path, extra: str) -> Config:
    """The repo's skillgit.yaml with `extra` YAML appended (e.g. a `policy:` block)."""
    text = (repo / "skillgit.yaml").read_text(encoding="utf-8")
    return Config.from_text(text.rstrip("\n") + "\n" + extra)


def skill_text(repo: Path, name: str, root: str = "skills") -> str:
    return (repo / root / name / "SKILL.md").read_text(encoding="utf-8")


def with_lines(text: str, n: int, word: str = "Tip") -> str:
    """`text` with `n` new body lines appended."""
    return text.rstrip("\n") + "\n" + "".join(f"- {word} {i}: check the exit code\n" for i in range(n))


def new_skill(name: str, *, origin: str = "yoyo", description: str | None = None,
              keywords: list[str] | None = None, body: str = "Do the thing.\n", extra: str = "") -> str:
    description = description if description is not None else f"[CANDIDATE — unreviewed] {name} procedure"
    lines = ["---", f"name: {name}", f'description: "{description}"', f"origin: {origin}", "status: candidate"]
    if keywords is not None:
        lines.append("keywords: [" + ", ".join(f'"{k}"' for k in keywords) + "]")
    if extra:
        lines.append(extra.rstrip("\n"))
    return "\n".join(lines + ["---", "", f"# {name}", "", body])
