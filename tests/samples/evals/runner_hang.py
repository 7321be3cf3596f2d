"""A runner that never finishes, with a child process that would outlive it if not killed.

Writes the child's pid to the file named by the case's `pidfile` field.
"""
import json
import subprocess
import sys
import time
from pathlib import Path

request = json.load(sys.stdin)
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
pidfile = request["case"].get("pidfile")
if pidfile:
    Path(pidfile).write_text(str(child.pid))
print('{"id": "partial", "outcome": "succ', flush=True)
time.sleep(120)
