"""The command proposer: any LLM CLI as a proposer (`claude -p`, `codex exec`, `llm -s …`).

Protocol: the request (`ProposalRequest.to_json()`, one JSON object) on stdin; the complete
candidate SKILL.md on stdout. The command runs in the sandbox (skillgit.sandbox): its working
directory is a private temporary copy of the skill directory (without `evals/`), the only place it
may write; it never sees the repository. It gets `cycle.proposer_timeout_seconds`; on timeout
everything it started is killed. A command that edits SKILL.md in that directory and prints
nothing is read from there instead.

Refused (`ProposerFailed`, exit 1, nothing committed): a timeout, a non-zero exit, empty output,
output that is not a SKILL.md (a single surrounding ``` fence is tolerated), a SKILL.md for
another skill, or any other file of the copy changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from skillgit.cycle.proposers.protocol import Proposal, ProposalRequest, ProposerFailed

if TYPE_CHECKING:
    from skillgit.sandbox import Bind, Sandbox

MAX_OUTPUT = 1_000_000
_FENCE = re.compile(r"```[A-Za-z0-9_-]*[ \t]*\r?\n(?P<body>.*?)\r?\n```", re.DOTALL)


class CommandProposer:
    name = "command"

    def __init__(self, command: str, timeout: float, *, skill_dir: Path | None = None,
                 sandbox: Sandbox | None = None, binds: Sequence[Bind] = ()) -> None:
        self.command = command
        self.timeout = timeout
        self.skill_dir = skill_dir
        """A directory to copy as the proposer's working directory (default: an empty one with SKILL.md)."""
        self.sandbox = sandbox
        """Where the command runs (the cycle sets it from `cycle.sandbox`); None: a plain process."""
        self.binds = tuple(binds)
        """What else the command needs to see in the sandbox (an agent CLI's config)."""

    def propose(self, request: ProposalRequest) -> Proposal:
        from skillgit.evals.process import exit_error, run_command
        from skillgit.sandbox import Bind

        with tempfile.TemporaryDirectory(prefix="skillgit-proposer-") as tmp:
            work = Path(tmp) / "skill"
            if self.skill_dir is not None and self.skill_dir.is_dir():
                shutil.copytree(self.skill_dir, work, symlinks=True, ignore=shutil.ignore_patterns("evals"))
            else:
                work.mkdir()
            (work / "SKILL.md").write_text(request.skill_text, encoding="utf-8")
            before = _digest_tree(work)
            io = Path(tmp) / "io"
            io.mkdir()
            env = {**os.environ, "SKILLGIT_SKILL": request.skill, "SKILLGIT_PROPOSAL_KIND": request.kind}
            stdin = json.dumps(request.to_json(), ensure_ascii=False, default=str).encode("utf-8")
            proc = run_command(self.command, stdin, workdir=io, timeout=self.timeout, what="proposer", cwd=work,
                               env=env, max_output=MAX_OUTPUT, sandbox=self.sandbox,
                               binds=(Bind(work, writable=True), *self.binds))
            if proc.error:
                raise ProposerFailed(f"{proc.error}; nothing was committed. Check the command with --proposer.")
            if proc.returncode:
                raise ProposerFailed(f"{exit_error('proposer', proc.returncode, proc.stderr_tail)}; nothing was committed.")
            after = _digest_tree(work)
            others = sorted(p for p in set(before) | set(after) if p != "SKILL.md" and before.get(p) != after.get(p))
            if others:
                raise ProposerFailed(
                    f"proposer `{self.command}` changed {', '.join(others[:5])} besides SKILL.md; only SKILL.md may "
                    "change, so the proposal is refused and nothing was committed."
                )
            text = proc.stdout.read_bytes()
            if not text.strip():
                edited = (work / "SKILL.md").read_bytes()
                if edited != request.skill_text.encode("utf-8"):
                    text = edited
        return Proposal(self._candidate(text, request), f"candidate from `{self.command}`")

    def _candidate(self, raw: bytes, request: ProposalRequest) -> bytes:
        from skillgit.errors import SkillgitError
        from skillgit.model.skill import parse_skill

        if not raw.strip():
            raise ProposerFailed(f"proposer `{self.command}` printed nothing; it must print the new SKILL.md. Nothing was committed.")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProposerFailed(f"proposer output is not UTF-8 (byte {exc.start}); nothing was committed.") from None
        text = unwrap(text)
        newline = "\r\n" if "\r\n" in request.skill_text else "\n"
        if request.skill_text.endswith(("\n", "\r\n")) or not request.skill_text:
            text += newline
        candidate = text.encode("utf-8")
        try:
            skill = parse_skill(candidate, request.path)
        except SkillgitError as exc:
            first = " ".join(text.strip().split())[:80]
            raise ProposerFailed(
                f"proposer output is not a SKILL.md ({exc}); it began with {first!r}. Nothing was committed."
            ) from None
        if skill.name != request.skill:
            raise ProposerFailed(
                f"proposer returned a SKILL.md for `{skill.name or '(no name)'}`, not `{request.skill}`; a proposal may "
                "only change the skill it was asked about. Nothing was committed."
            )
        return candidate


def unwrap(text: str) -> str:
    """The SKILL.md in a proposer's output, without surrounding blank lines: the output itself when it
    starts with `---`, else the first fenced block that does (else the output, to be refused)."""
    stripped = text.strip()
    if stripped.startswith("---"):
        return stripped
    for match in _FENCE.finditer(text):
        body = match.group("body").strip()
        if body.startswith("---"):
            return body
    return stripped


def _digest_tree(root: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            out[rel] = "link:" + os.readlink(path)
        elif path.is_file():
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        elif path.is_dir():
            out[rel] = "dir"
    return out
