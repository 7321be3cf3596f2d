"""The scripted runner of runner_quality.py, reporting each run's `version` and `case` on the test's
channel (argv[1]: its port; tests/channel.py): the way out of the sandbox a test can listen on. Only
this script's directory is shown in the sandbox, so the client of tests/samples/sandbox/report.py is
repeated here in three lines."""
import io
import json
import runpy
import socket
import sys
from pathlib import Path

raw = sys.stdin.read()
request = json.loads(raw)
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=120) as conn:
    conn.sendall((json.dumps({"kind": "run", "version": request["version"], "case": request["case"]["id"]}) + "\n").encode())
    conn.makefile().readline()
sys.stdin = io.StringIO(raw)
runpy.run_path(str(Path(__file__).resolve().with_name("runner_quality.py")), run_name="__main__")
