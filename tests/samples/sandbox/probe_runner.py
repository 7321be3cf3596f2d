"""An eval runner that first runs probe.py (argv[2]: the repository) and reports what it found on the
channel (argv[1]: port), then runs the runner named next (argv[3:], e.g. tools/eval_runner.py)."""

import json
import os
import subprocess
import sys

from report import send

here = os.path.dirname(os.path.abspath(__file__))
found = subprocess.run([sys.executable, os.path.join(here, "probe.py"), sys.argv[2]], capture_output=True, text=True)
send(int(sys.argv[1]), kind="probe", **json.loads(found.stdout))
sys.stdout.flush()
os.execv(sys.executable, [sys.executable, *sys.argv[3:]])
