"""The installed hooks' entry point: `python -m skillgit.policy.hookmain NAME [ARGS…]`.

It does exactly what `skillgit hook NAME [ARGS…]` does (same checks, output and exit codes) without
loading the command-line layer, because git runs it on every commit: the shims written by
`skillgit hooks install` call it with the Python that installed them.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

USAGE = "usage: python -m skillgit.policy.hookmain pre-commit | commit-msg MESSAGE_FILE | prepare-commit-msg MESSAGE_FILE [SOURCE [SHA]]"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in ("pre-commit", "commit-msg", "prepare-commit-msg") or (args[0] != "pre-commit" and len(args) < 2):
        print(f"skillgit: {USAGE}", file=sys.stderr)
        return 2
    from skillgit.errors import EXIT_INTERNAL, SkillgitError

    try:
        from skillgit.policy import hooks

        if args[0] == "commit-msg":
            result = hooks.run_commit_msg(args[1], ".")
        elif args[0] == "prepare-commit-msg":
            result = hooks.run_prepare_commit_msg(args[1], args[2] if len(args) > 2 else None, ".")
        else:
            result = hooks.run_pre_commit(".")
    except SkillgitError as exc:
        print(f"skillgit: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - a bug: a short report, exit 70
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        print(
            f"skillgit: internal error: {type(exc).__name__}: {exc}\n  at {Path(frame.filename).name}:{frame.lineno} "
            f"in {frame.name}\n  This is a bug in skillgit; please report it with the command you ran.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    for line in result.lines:
        print(line, file=sys.stderr)
    return result.code


if __name__ == "__main__":
    sys.exit(main())
