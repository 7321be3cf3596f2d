"""The error hierarchy. Every user-facing failure is a SkillgitError carrying its exit code.

Exit codes (SPEC §10), one table, used everywhere:

====  =====================================================
0     ok
1     a check failed / violations found
2     usage or config error, bad input
3     holdout seal mismatch
4     repository state (dirty tree, lock held, HEAD moved)
70    internal error (a bug)
====  =====================================================
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
