"""A runner that prints skillgit's native session JSONL (a header line, then one session)."""
import json
import sys

request = json.load(sys.stdin)
print(json.dumps({"kind": "header", "format": "skillgit-sessions", "version": 1}))
print(json.dumps({"kind": "session", "id": "n1", "source": "my-agent", "outcome": "success",
                  "final_message": f"Marker: native {request['case']['id']}",
                  "tool_calls": [{"name": "Bash", "args": {"command": "pytest"}, "ok": True}]}))
