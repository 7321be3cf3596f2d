"""A proposer that returns a SKILL.md for another skill than the one it was asked about."""

import json
import sys

request = json.load(sys.stdin)
print(request["skill_text"].replace("name: release", "name: social", 1), end="")
