"""Built-in eval runners and proposers for the agent CLIs people use: Claude Code and Codex.

`eval.runner: claude-code` (or `codex`) and `cycle.proposer: claude-code` (or `codex`) name a command
that follows the ordinary protocols (docs/evals.md, docs/cycle.md) — `python -m skillgit.agents run
claude-code` / `… propose claude-code` — so they are launched, timed out, killed and sandboxed like
any other runner or proposer command. That command:

- **run**: reads the runner request on stdin, makes a private workspace holding the skill where the
  agent looks for skills (`.claude/skills/<name>/` for Claude Code, `.agents/skills/<name>/` for
  Codex), runs the agent there non-interactively with the case prompt as the last argument, reads
  what the agent printed in its own format (`--output-format stream-json`, `exec --json`) and prints
  that run as one native session (times measured around the run; the agent's exit code in `meta`).
  An agent that printed no trace makes the run an error (its exit status and stderr are passed on).
- **propose**: reads the proposal request on stdin, wraps it in a prompt asking for the complete new
  SKILL.md, runs the agent in an empty private directory and prints the SKILL.md of its final
  message (a fenced block starting with `---`, or the message itself).

The command lines (`agents.<name>.argv`, `agents.<name>.model` in skillgit.yaml):

    claude-code  claude -p --output-format stream-json --verbose --permission-mode acceptEdits [--model M] PROMPT
    codex        codex exec --json --skip-git-repo-check --sandbox workspace-write [-m M] PROMPT

`BINDS` lists what each CLI needs from the home directory (its login and settings), read-only, for a
sandbox to show it.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from skillgit.config import Config
    from skillgit.cycle.proposers.llm_cli import CommandProposer
    from skillgit.evidence.session import Session
    from skillgit.jsontypes import JSON
    from skillgit.sandbox import Bind

STDERR_TAIL = 1500


@dataclass(frozen=True)
class AgentCli:
    """How to drive one agent CLI without a terminal."""

    name: str
    argv: tuple[str, ...]
    model_flag: str
    skills_dir: str
    """Where, relative to its working directory, the agent looks for project skills."""
    trace_format: str
    """The trace adapter that reads what it prints."""
    binds: tuple[str, ...]
    install_hint: str


AGENTS: dict[str, AgentCli] = {
    "claude-code": AgentCli(
        "claude-code", ("claude", "-p", "--output-format", "stream-json", "--verbose", "--permission-mode", "acceptEdits"),
        "--model", ".claude/skills", "claude-stream-json", ("~/.claude:ro", "~/.claude.json:ro"),
        "install Claude Code (`npm install -g @anthropic-ai/claude-code`) or set agents.claude-code.argv in skillgit.yaml",
    ),
    "codex": AgentCli(
        "codex", ("codex", "exec", "--json", "--skip-git-repo-check", "--sandbox", "workspace-write"),
        "-m", ".agents/skills", "codex", ("~/.codex:ro",),
        "install Codex (`npm install -g @openai/codex`) or set agents.codex.argv in skillgit.yaml",
    ),
}
BINDS = {name: agent.binds for name, agent in AGENTS.items()}


def configured(name: str, config: Config | None) -> AgentCli:
    """The agent `name` with the argv and model of `agents.<name>` in skillgit.yaml applied."""
    agent = AGENTS[name]
    section = config.agents.of(name) if config is not None else None
    argv = tuple(section.argv if section is not None and section.argv else agent.argv)
    model = section.model if section is not None else None
    if model:
        argv += (agent.model_flag, model)
    return replace(agent, argv=argv)


def helper_command(mode: str, name: str, config: Config | None) -> str:
    """The command line of the built-in runner (`mode` run) or proposer (`propose`) for agent `name`."""
    agent = configured(name, config)
    return shlex.join([sys.executable, "-m", "skillgit.agents", mode, name, "--argv", json.dumps(list(agent.argv))])


def runner_command(runner: str, config: Config) -> str:
    """`eval.runner` as a command: a built-in agent name becomes the built-in runner's command line."""
    name = runner.strip()
    return helper_command("run", name, config) if name in AGENTS else runner


def sandbox_binds(name: str) -> list[Bind]:
    """`BINDS` of agent `name` for the sandbox (none for a name that is not a built-in agent)."""
    from skillgit.sandbox import Bind

    return [Bind.parse(spec, f"the {name} agent's binds") for spec in BINDS.get(name.strip(), ())]


def agent_proposer(spec: str, config: Config) -> CommandProposer:
    """The `cycle.proposer` factory for `claude-code` and `codex` (see `skillgit.cycle.proposers`)."""
    from skillgit.cycle.proposers.llm_cli import CommandProposer

    proposer = CommandProposer(helper_command("propose", spec, config), float(config.cycle.proposer_timeout_seconds),
                               binds=sandbox_binds(spec))
    proposer.name = spec
    return proposer


# -- the helper process ---------------------------------------------------------------------------


class AgentFailed(Exception):
    """The agent could not be run or printed no trace; the message says why and what to do."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def main(args: Sequence[str] | None = None, stdin: IO[str] | None = None, stdout: IO[str] | None = None) -> int:
    """`python -m skillgit.agents run|propose NAME [--argv JSON]`: request on stdin, result on stdout."""
    words = list(sys.argv[1:] if args is None else args)
    if len(words) not in (2, 4) or words[0] not in ("run", "propose") or words[1] not in AGENTS \
            or (len(words) == 4 and words[2] != "--argv"):
        print(f"usage: python -m skillgit.agents run|propose {'|'.join(AGENTS)} [--argv JSON]", file=sys.stderr)
        return 2
    agent = configured(words[1], None)
    if len(words) == 4:
        try:
            argv = json.loads(words[3])
        except ValueError:
            argv = None
        if not isinstance(argv, list) or not argv or not all(isinstance(w, str) and w for w in argv):
            print(f"skillgit.agents: --argv must be a JSON list of words, not {words[3]!r}", file=sys.stderr)
            return 2
        agent = replace(agent, argv=tuple(argv))
    try:
        request = json.load(stdin or sys.stdin)
        if not isinstance(request, dict):
            raise ValueError("not a JSON object")
    except ValueError as exc:
        print(f"skillgit.agents: the request on stdin is not a JSON object ({exc})", file=sys.stderr)
        return 2
    out = stdout or sys.stdout
    try:
        if words[0] == "run":
            run_case(agent, request, out)
        else:
            out.write(propose(agent, request))
    except AgentFailed as exc:
        print(f"skillgit.agents: {exc}", file=sys.stderr)
        return exc.status
    return 0


def run_case(agent: AgentCli, request: Mapping[str, JSON], out: IO[str]) -> Session:
    """Run one eval case (a runner request) with `agent`; write its session as native JSONL to `out`."""
    from skillgit.evidence.adapters.native import write_jsonl

    case = request.get("case")
    skill, skill_dir = request.get("skill"), request.get("skill_dir")
    if not isinstance(case, dict) or not isinstance(skill, str) or not isinstance(skill_dir, str):
        raise AgentFailed("the runner request needs `skill`, `skill_dir` and `case` (docs/evals.md)", 2)
    prompt = case.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise AgentFailed(f"case {case.get('id')!r} has no prompt; the {agent.name} runner sends the prompt to the agent", 2)
    with tempfile.TemporaryDirectory(prefix=f"skillgit-{agent.name}-") as tmp:
        work = Path(tmp) / "work"
        target = work / agent.skills_dir / skill
        target.parent.mkdir(parents=True)
        shutil.copytree(skill_dir, target, symlinks=True)
        started = datetime.now(UTC)
        session, code = _launch(agent, prompt, work, Path(tmp))
        ended = datetime.now(UTC)
    meta = {**session.meta, "agent": agent.name, "case": str(case.get("id")), "exit_code": code}
    if isinstance(request.get("version"), str):
        meta["skill_version"] = request["version"]
    session = replace(session, started=session.started or started, ended=session.ended or ended, meta=meta,
                      origin=f"{agent.name}:{case.get('id')}")
    write_jsonl(out, [session])
    return session


def propose(agent: AgentCli, request: Mapping[str, JSON]) -> str:
    """The SKILL.md `agent` writes for a proposal request."""
    from skillgit.cycle.proposers.llm_cli import unwrap

    with tempfile.TemporaryDirectory(prefix=f"skillgit-{agent.name}-") as tmp:
        work = Path(tmp) / "work"
        work.mkdir()
        session, _ = _launch(agent, proposal_prompt(request), work, Path(tmp))
    reply = session.final_message or ""
    text = unwrap(reply)
    if not text.startswith("---"):
        first = " ".join(reply.split())[:80]
        raise AgentFailed(f"the {agent.name} reply holds no SKILL.md (it began with {first!r}); nothing to propose")
    return text + "\n"


def proposal_prompt(request: Mapping[str, JSON]) -> str:
    """The request as a prompt: what to do, the limits, then the request itself as JSON."""
    given = request.get("limits")
    limits: Mapping[str, JSON] = given if isinstance(given, Mapping) else {}
    listed = limits.get("frozen_fields")
    frozen = ", ".join(str(x) for x in (listed if isinstance(listed, list) else ())) or "name, description"
    body = {k: v for k, v in request.items() if k != "instructions"}
    return (
        f"You improve one agent skill, `{request.get('skill')}`: a SKILL.md file with YAML frontmatter. The JSON "
        "request below holds its current text (`skill_text`), the problems seen when agents used it (`findings`, "
        "each with the failing and the working command, and `complaints`), its metrics and its training cases.\n\n"
        "Write the complete new SKILL.md. Prefer a `## Pitfalls` entry quoting the failing and the working command, a "
        "verification step, or a missing procedure step. Keep these frontmatter fields exactly as they are: "
        f"{frozen}. Add at most {limits.get('max_added', 30)} lines and remove at most {limits.get('max_removed', 15)}. "
        "Do not create, edit or delete any file and do not run commands: answer with text only.\n\n"
        "Your final message must be the whole new SKILL.md inside one ```markdown fenced block.\n\n"
        "The request:\n```json\n" + json.dumps(body, indent=2, ensure_ascii=False, default=str) + "\n```\n"
    )


def _launch(agent: AgentCli, prompt: str, work: Path, tmp: Path) -> tuple[Session, int]:
    """Run `agent` on `prompt` in `work`; its session (read from its own output format) and exit status."""
    from skillgit.evidence.adapters.lines import ReadReport
    from skillgit.evidence.adapters.registry import ADAPTERS
    from skillgit.evidence.session import Session

    out, err = tmp / "agent.out", tmp / "agent.err"
    argv = [*agent.argv, prompt]
    with open(out, "wb") as fout, open(err, "wb") as ferr:
        try:
            code = subprocess.run(argv, cwd=work, stdin=subprocess.DEVNULL, stdout=fout, stderr=ferr, check=False).returncode
        except FileNotFoundError:
            raise AgentFailed(f"`{argv[0]}` is not on PATH; {agent.install_hint}", 127) from None
        except PermissionError:
            raise AgentFailed(f"`{argv[0]}` cannot be executed; {agent.install_hint}", 126) from None
    report = ReadReport()
    sessions = [s for s in ADAPTERS[agent.trace_format].read(out, report) if isinstance(s, Session)]
    if not sessions:
        tail = err.read_bytes()[-STDERR_TAIL:].decode("utf-8", "replace").strip()
        last = tail.splitlines()[-1] if tail else "no stderr"
        raise AgentFailed(
            f"`{' '.join(agent.argv[:3])} …` exited with status {code} and printed no {agent.trace_format} trace ({last}); "
            f"check agents.{agent.name}.argv in skillgit.yaml", code or 1)
    return sessions[0], code


if __name__ == "__main__":
    sys.exit(main())
