"""An eval runner that, on its first call, lands a commit on the branch (someone else working meanwhile),
then runs the demo's scripted runner. argv[1]: a marker file so it commits only once."""

import os
import subprocess
import sys
from pathlib import Path

marker = Path(sys.argv[1])
if not marker.exists():
    marker.write_text("done")
    Path("NOTES.md").write_text("A maintainer's note, committed while the cycle runs.\n")
    subprocess.run(["git", "add", "NOTES.md"], check=True)
    subprocess.run(["git", "commit", "-q", "-m", "Concurrent work"], check=True, env=dict(os.environ))
sys.stdout.flush()
os.execv(sys.executable, [sys.executable, "tools/eval_runner.py"])
