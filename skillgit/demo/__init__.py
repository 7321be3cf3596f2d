"""`skillgit demo`: build a skills repository from the bundled fixtures and walk through the loop.

Steps 1–6 are a maintainer's: init, create, refine, versions, rollback, journal. Steps 7–13 are the
governed loop on bundled traces (`skillgit.demo.loop`): ingest, a cycle that refines a failing
skill through the eval gate, a no-op cycle, a refused event, a regression caught by watch and
rolled back, verify over the whole history, and the refine's prediction graded.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from skillgit import history, operations
from skillgit.errors import UsageError
from skillgit.git import Repo
from skillgit.workspace import Workspace

FIXTURES = Path(__file__).resolve().parent / "data"
MAINTAINER = ("Maintainer", "maintainer@example.com")
EXPECTED_REFINE = "failure_rate <= 0.2 within 5 sessions; else move the reply rules into a checklist"
EXPECTED_CREATE = "uses >= 1 within 10 sessions; else broaden the keywords or retire it"

Echo = Callable[[str], None]


def fixtures_dir() -> Path:
    if not (FIXTURES / "repo").is_dir():
        raise UsageError(
            f"{FIXTURES}: the demo fixtures are missing from this installation; reinstall skillgit (`pip install --force-reinstall skillgit`)."
        )
    return FIXTURES


def prepare(target: Path | None) -> Path:
    """Copy the fixture repo into `target` (new or empty) or a new temp dir, and commit it as the maintainer."""
    if target is None:
        target = Path(tempfile.mkdtemp(prefix="skillgit-demo-"))
    elif target.exists() and any(target.iterdir()):
        raise UsageError(f"{target}: not empty; give the demo a new or empty directory.")
    target.mkdir(parents=True, exist_ok=True)
    # the bytecode an installer compiles beside the data's scripts is not part of the demo's repository
    shutil.copytree(fixtures_dir() / "repo", target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    Repo.init(target, MAINTAINER)
    return target


def unsandboxed(root: Path) -> str | None:
    """Where bubblewrap cannot sandbox (docs/sandbox.md), the demo's own scripted runner runs
    unconfined: `cycle.sandbox: none` goes into its skillgit.yaml, and the note says so."""
    from skillgit.sandbox import INSTALL_HINT, bwrap_problem

    problem = bwrap_problem(shutil.which("bwrap"))
    if problem is None:
        return None
    config = root / "skillgit.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("cycle:\n", "cycle:\n  sandbox: none\n", 1),
                      encoding="utf-8")
    return (f"note: {problem}; the demo's scripted eval runner runs unconfined (`cycle.sandbox: none` in its "
            f"skillgit.yaml). {INSTALL_HINT} to sandbox proposers and runners.")


def run(target: Path | None, echo: Echo) -> Path:
    """Run the demo; returns the repository it left behind."""
    from skillgit.demo.loop import at, demo_clock

    root = prepare(target)
    note = unsandboxed(root)
    if note:
        echo(note)
    with demo_clock() as set_clock:
        set_clock(at(1, 9))
        _run(root, echo, set_clock)
    echo(f"\nThe repository is left at {root} to inspect: `git -C {root} log --format='%h %ad %an%n  %s%n%(trailers)'`.")
    return root


def _run(root: Path, echo: Echo, set_clock: Callable[[datetime], None]) -> None:
    from skillgit.demo.loop import loop

    repo = Repo.discover(root)
    repo.commit_all("Import skills")
    echo(f"skillgit demo: a yoyo-style skills repository at {root}")
    ws = Workspace.open(root)
    step = _Steps(echo)

    step("init", "start managing the skills (skillgit.yaml + an `init` event)")
    _result(echo, operations.init(ws))

    step("create", "a maintainer adds a skill from a template")
    ws = Workspace.open(root)
    _result(echo, operations.create(ws, "changelog", description="Keep CHANGELOG.md current from merged pull requests",
                                    expected=EXPECTED_CREATE))

    step("refine", "a maintainer adds a pitfall to the social skill; only that skill goes into the commit")
    skill = root / "skills/social/SKILL.md"
    skill.write_text(skill.read_text() + "\n## Pitfalls\n\n- `gh api graphql` needs the discussion's node id, not its number.\n")
    _result(echo, operations.refine(ws, "social", expected=EXPECTED_REFINE))
    echo("   trailers of that commit, as git parses them:")
    for line in repo.trailers_text().splitlines():
        echo(f"     {line}")

    step("versions", "every commit that changed the social skill")
    for v in history.versions(ws, "social"):
        echo(f"   {v.label}  {v.commit[:12]}  {v.event:<8} blob {(v.blob or '-')[:7]}")

    step("rollback", "restore v1 of the social skill as one commit")
    _result(echo, operations.rollback(ws, "social", to="v1", reason="demo: back to the original"))
    v1 = history.versions(ws, "social")[0].commit
    same = repo.diff(v1, "HEAD", ["skills/social"]) == ""
    echo(f"   `git diff {v1[:12]} HEAD -- skills/social` is {'empty: the bytes are restored' if same else 'NOT empty'}")

    step("journal", "git history is the audit journal")
    for e in history.journal(ws):
        echo(f"   {e.commit[:12]}  {e.kind:<9} {e.skill or ''}")

    loop(root, fixtures_dir() / "traces", step, echo, set_clock)


class _Steps:
    def __init__(self, echo: Echo) -> None:
        self.echo = echo
        self.number = 0

    def __call__(self, name: str, what: str) -> None:
        self.number += 1
        self.echo(f"\n{self.number}. {name}: {what}")


def _result(echo: Echo, result: operations.Result) -> None:
    echo(f"   [{result.commit[:12]}] {result.event}: {result.summary}")
