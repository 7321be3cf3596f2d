"""A session's outcome from explicit signals, never from the last tool result alone.

Every adapter without an outcome file of its own (Claude Code, Codex, OTel spans) decides the same way,
strongest first:

1. an explicit failure that nothing came after: an aborted or failed turn, an API error, the user
   interrupting, a failed agent span or a `result` record that says error → **failure**;
2. the final message's verdict: the agent saying it could not do the task (`I couldn't fix …`,
   `the task could not be completed`, `tests still fail`) → **failure**; saying it did (`all tests
   pass`, `I've fixed …`, `successfully`) → **success**;
3. the last test or build run the session reports (`pytest`, `cargo test`, `npm run build`, `make` …):
   passed → **success**, failed → **failure**;
4. a task completion record (Codex `task_complete` / `turn.completed`, an `invoke_agent` span that
   did not fail, a stream-json `result` with `success`) → **success**;
5. otherwise **unknown** (`None`): a session that simply stops says nothing about its result.

A failing `git commit` ("nothing to commit") or an `rg` without a match at the end of a session is not
a signal: only the calls that test or build the work are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from skillgit.evidence.session import Outcome, ToolCall

_FAILURE = re.compile(
    r"(?i)\b(?:i|we)(?:'m| am| was| were)? ?(?:could not|couldn't|cannot|can't|was unable to|were unable to|"
    r"am unable to|unable to|was not able to|wasn't able to|were not able to|weren't able to|not able to|"
    r"did not manage to|didn't manage to|failed to)\s+(?:complete|finish|fix|resolve|get|make|do|apply|run|build|"
    r"install|push|commit|release|deploy|find a way|reproduce|implement|solve|create|publish|merge|upload|update|"
    r"write|access|connect|start|finish the task)\b"
    r"|\b(?:the |this )?(?:task|request|change|fix|work) (?:could not|cannot|can't|couldn't) be "
    r"(?:completed|done|finished|applied|made)\b"
    r"|\b(?:tests?|the build|build|checks?|ci) (?:(?:is|are) )?still (?:fail|fails|failing|broken|red)\b"
    r"|\b(?:patch|change|fix|build|tests?|command|deploy(?:ment)?|release|push|migration) (?:did not|didn't|does not|"
    r"doesn't|could not|couldn't) (?:apply|work|pass|build|succeed|compile|go through)\b"
    r"|\b(?:i|we) (?:gave|give) up\b|\bno luck\b|\bunable to (?:complete|finish) (?:the|this) task\b"
)
_SUCCESS = re.compile(
    r"(?i)\ball (?:\d+ )?(?:tests?|checks?) (?:now )?(?:pass|passes|passed|green)\b"
    r"|\b(?:tests?|the build|build|checks?) (?:now )?(?:pass|passes|passed|succeeds|succeeded)\b"
    r"|\bsuccessfully\b"
    r"|\b(?:i(?:'ve| have)|we(?:'ve| have)) (?:fixed|completed|finished|implemented|added|updated|committed|pushed|"
    r"released|resolved|created|done|made the change|applied)\b"
    r"|\b(?:is|are) now (?:fixed|passing|working|green)\b"
    r"|\b(?:task|work) (?:is )?(?:complete|completed|done)\b|^\s*done[.!]?\s*$"
)
_TEST_TOOLS = frozenset({
    "pytest", "tox", "nox", "jest", "vitest", "mocha", "ctest", "rspec", "phpunit", "make", "mvn", "gradle",
    "./gradlew", "gradlew", "ninja", "tsc", "unittest",
})
_TEST_VERBS = {
    "cargo": {"test", "build", "check", "nextest", "clippy"}, "go": {"test", "build", "vet"},
    "npm": {"test", "run", "t"}, "yarn": {"test", "build", "run"}, "pnpm": {"test", "build", "run"},
    "bun": {"test", "run"}, "dotnet": {"test", "build"}, "mix": {"test", "compile"}, "bazel": {"test", "build"},
    "swift": {"test", "build"}, "deno": {"test"}, "cmake": {"--build"},
}
_WRAPPERS = frozenset({"uv", "poetry", "pipenv", "hatch", "pdm", "npx", "bunx", "time", "sudo", "env"})
_SHELL_KEYS = ("command", "cmd")


_FAILURE_HINTS = ("could", "unable", "not able", "n't", "cannot", "fail", "did not", "does not", "give up", "gave up",
                  "no luck", "still")
_SUCCESS_HINTS = ("pass", "success", "'ve ", " have ", "now ", "complete", "done", "green")
_TEST_HINT = re.compile(r"test|build|make|check|tox|nox|jest|mocha|rspec|phpunit|mvn|gradle|ninja|tsc|clippy|vet|compile")


def verdict(text: str | None) -> Outcome | None:
    """What the final message says about the task: failure, success, or nothing (None)."""
    if not text:
        return None
    tail = text[-4000:]
    lowered = tail.lower()  # a cheap look for the words first: most messages have none of them
    if any(h in lowered for h in _FAILURE_HINTS) and _FAILURE.search(tail):
        return "failure"
    if any(h in lowered for h in _SUCCESS_HINTS) and _SUCCESS.search(tail):
        return "success"
    return None


def is_test_or_build(call: ToolCall) -> bool:
    """Whether `call` runs the project's tests or build (a shell command such as `pytest -q` or `cargo test`)."""
    for key in _SHELL_KEYS:
        value = call.args.get(key)
        if isinstance(value, list):
            value = " ".join(str(v) for v in value)
        if isinstance(value, str) and value.strip():
            if _TEST_HINT.search(value) is None:
                return False
            return any(_tests(part) for part in re.split(r"&&|\|\||;|\n", _unwrap_shell(value)))
    return False


def _unwrap_shell(command: str) -> str:
    text = command.strip()
    for prefix in ("bash -lc ", "bash -c ", "sh -c ", "zsh -lc ", "/bin/bash -lc ", "/bin/sh -c ", "/bin/zsh -lc "):
        if text.startswith(prefix):
            return text[len(prefix):].strip().strip("'\"")
    return text


def _tests(part: str) -> bool:
    words = [w for w in part.strip().split() if "=" not in w or w.startswith("-")]
    while words and words[0] in _WRAPPERS:
        words = words[2:] if words[0] in ("uv", "poetry", "pipenv", "hatch", "pdm") and len(words) > 1 and words[1] == "run" \
            else words[1:]
    if not words:
        return False
    tool = words[0].rsplit("/", 1)[-1] if not words[0].startswith("./") else words[0]
    if tool in ("python", "python3") and len(words) > 2 and words[1] == "-m":
        tool = words[2]
    if tool in _TEST_TOOLS:
        return True
    verbs = _TEST_VERBS.get(tool)
    return verbs is not None and len(words) > 1 and words[1] in verbs


def test_result(calls: Sequence[ToolCall]) -> Outcome | None:
    """The result of the last test or build run among `calls` (None when there is none with a known result)."""
    for call in reversed(calls):
        if call.ok is not None and is_test_or_build(call):
            return "success" if call.ok else "failure"
    return None


class Signals:
    """The explicit signals of one session, fed in time order; `outcome()` decides (see the module doc)."""

    def __init__(self) -> None:
        self.record: Outcome | None = None

    def completed(self, ok: bool = True) -> None:
        """A task completion record (a failed one when `ok` is False)."""
        self.record = "success" if ok else "failure"

    def failed(self) -> None:
        """An explicit failure: an aborted or failed turn, an API error, an interrupt."""
        self.record = "failure"

    def activity(self) -> None:
        """The agent went on working: an earlier failure event (a retried API error) no longer ends the session."""
        if self.record == "failure":
            self.record = None

    def outcome(self, final_message: str | None, calls: Sequence[ToolCall]) -> Outcome | None:
        if self.record == "failure":
            return "failure"
        return verdict(final_message) or test_result(calls) or self.record
