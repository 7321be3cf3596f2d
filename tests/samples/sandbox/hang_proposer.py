"""A proposer that never answers, and leaves a child process behind that reports a heartbeat on the
channel (argv[1]: port) every 50 ms: everything it started must be killed at the timeout."""

import subprocess
import sys
import time

from report import send

port = int(sys.argv[1])
subprocess.Popen([sys.executable, "-c", "import sys, time\n"
                  f"sys.path.insert(0, {sys.path[0]!r})\n"
                  "from report import send\n"
                  "while True:\n"
                  f"    send({port}, kind='heartbeat')\n"
                  "    time.sleep(0.05)\n"])
send(port, kind="started")
time.sleep(600)
