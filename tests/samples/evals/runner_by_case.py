"""Dispatch to the sample runner named by the case's `script` field (one suite, many behaviours)."""
import io
import json
import runpy
import sys
from pathlib import Path

data = sys.stdin.read()
script = json.loads(data)["case"]["script"]
sys.stdin = io.StringIO(data)
runpy.run_path(str(Path(__file__).with_name(script)), run_name="__main__")
