"""An eval runner that reports each run on the channel (argv[1]: port) and waits until the test lets
it go (`wait` argv[2]), then runs the runner named next (argv[3], e.g. tools/eval_runner.py)."""

import os
import sys

from report import send

send(int(sys.argv[1]), kind="runner", wait=sys.argv[2])
sys.stdout.flush()
os.execv(sys.executable, [sys.executable, *sys.argv[3:]])
