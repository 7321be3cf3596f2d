"""The runner a daemon swaps in: it passes a case exactly when the skill says EVIL."""

import json
import sys

request = json.load(sys.stdin)
with open(request["skill_dir"] + "/SKILL.md", encoding="utf-8") as f:
    ok = "EVIL" in f.read()
print(json.dumps({"id": request["case"]["id"], "outcome": "success" if ok else "failure",
                  "final_message": "released" if ok else "tests failed", "tool_calls": []}))
