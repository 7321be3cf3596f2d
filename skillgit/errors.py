"""The error hierarchy. Every user-facing failure is a SkillgitError carrying its exit code.

Exit codes (SPEC §10), one table, used everywhere (`skillgit.errors.EXIT_*`):

| code | constant | meaning |
|---|---|---|
| 0 | `EXIT_OK` | ok |
| 1 | `EXIT_CHECK_FAILED` | a check failed / violations found |
| 2 | `EXIT_USAGE` | usage or config error, bad input |
| 3 | `EXIT_SEAL` | holdout seal mismatch |
| 4 | `EXIT_REPO_STATE` | repository state (dirty tree, lock held, HEAD moved) |
| 70 | `EXIT_INTERNAL` | internal error (a bug) |

How a command gives its exit code, one way per case:

- A command that ran returns its code from its click callback (`-> int`, one of the constants above):
  `EXIT_CHECK_FAILED` when what it printed reports problems (verify's violations, watch's alerts, a
  hook's refusal), else `EXIT_OK`. A library function that decides a code returns it the same way
  (`PromoteOutcome.exit_code`, `RunReport.exit_code`).
- A command that cannot do its work raises a SkillgitError: its class carries the code and its
  message says what to fix; `skillgit.cli.run` prints `skillgit: MESSAGE` and returns the code.
  Argument mistakes click finds (or a command finds in its arguments) are click's UsageError: exit 2.
- Nothing calls `sys.exit` or `ctx.exit` but the entry points' `main` (tests/test_exit_codes.py).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_SEAL = 3
EXIT_REPO_STATE = 4
EXIT_INTERNAL = 70


class SkillgitError(Exception):
    """Base of every error skillgit reports to a user. The message names the place and the fix."""

    exit_code = EXIT_USAGE


class UsageError(SkillgitError):
    """Bad arguments or bad input files."""


class ConfigError(UsageError):
    """`skillgit.yaml` is unreadable or invalid."""


class SkillFileError(UsageError):
    """A SKILL.md that cannot be read or parsed."""


class TrailerError(UsageError):
    """A trailer value or commit message that skillgit refuses to write or accept."""


class CheckFailed(SkillgitError):
    """A check ran and found problems (policy violations, failed evals)."""

    exit_code = EXIT_CHECK_FAILED


class SealMismatch(SkillgitError):
    """Holdout bytes do not match their lock."""

    exit_code = EXIT_SEAL


class RepoStateError(SkillgitError):
    """The repository is not in a state the command can work on."""

    exit_code = EXIT_REPO_STATE


class GitError(SkillgitError):
    """A git command failed in a way the user must look at."""

    exit_code = EXIT_REPO_STATE
