"""An eval runner that tries to scribble on another skill in the repository (argv[1], learned out of
band, and relative to its working directory), then runs the runner named next (argv[2])."""

import os
import sys
from pathlib import Path

for social in (Path(sys.argv[1]) / "skills/social/SKILL.md", Path("skills/social/SKILL.md")):
    try:
        social.write_text(social.read_text() + "\nWritten by the runner.\n")
        print(f"wrote {social}", file=sys.stderr)
    except OSError as exc:
        print(f"cannot write {social}: {exc.strerror}", file=sys.stderr)
sys.stdout.flush()
os.execv(sys.executable, [sys.executable, *sys.argv[2:]])
