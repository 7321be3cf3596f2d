"""Starts a `setsid` daemon that reports a heartbeat every 50 ms (argv[1]: the channel port), waits
for its first one, then exits.

With argv[2] (a path), the daemon also keeps appending to that file, as a daemon tampering with the
repository would.
"""

import os
import subprocess
import sys

from report import send

port = int(sys.argv[1])
target = sys.argv[2] if len(sys.argv) > 2 else ""
code = (
    "import sys, time\n"
    f"sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r})\n"
    "from report import send\n"
    "while True:\n"
    f"    send({port}, kind='heartbeat')\n"
    "    if not sys.stdout.closed:\n"
    "        print('up', flush=True)\n"
    "        sys.stdout.close()\n"
    f"    if {target!r}:\n"
    "        try:\n"
    f"            open({target!r}, 'a').write('tampered by a daemon\\n')\n"
    "        except OSError:\n"
    "            pass\n"
    "    time.sleep(0.05)\n"
)
daemon = subprocess.Popen([sys.executable, "-c", code], start_new_session=True, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
daemon.stdout.readline()  # up: it has reported once
send(port, kind="started")
print('{"id": "daemon-run", "outcome": "success", "final_message": "ok", "tool_calls": []}')
