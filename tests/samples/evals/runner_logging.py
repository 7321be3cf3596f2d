"""The scripted runner of runner_quality.py, logging `<version[:12]> <case id>` per run to argv[1]."""
import io
import json
import runpy
import sys
from pathlib import Path

raw = sys.stdin.read()
request = json.loads(raw)
with open(sys.argv[1], "a", encoding="utf-8") as log:
    log.write(f"{request['version'][:12]} {request['case']['id']}\n")
sys.stdin = io.StringIO(raw)
runpy.run_path(str(Path(__file__).with_name("runner_quality.py")), run_name="__main__")
