"""A judge for gate tests: scores `correctness` from `quality N` and `security` from `security M`
in the session's final message (both capped at 10)."""
import json
import re
import sys

request = json.load(sys.stdin)
message = request["session"]["final_message"] or ""
quality = re.search(r"quality (\d+)", message)
security = re.search(r"security (\d+)", message)
print(json.dumps({"scores": {"correctness": min(10, int(quality.group(1)) if quality else 0),
                             "security": min(10, int(security.group(1)) if security else 0)}}))
