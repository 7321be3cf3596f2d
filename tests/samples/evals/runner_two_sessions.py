"""A runner that prints two sessions (native JSONL) for one case."""
import json
import sys

sys.stdin.read()
print(json.dumps({"kind": "header", "format": "skillgit-sessions", "version": 1}))
for i in (1, 2):
    print(json.dumps({"kind": "session", "id": f"s{i}", "source": "r", "outcome": "success"}))
