"""A proposer that hands the skill to another owner (SG002/SG006: frozen fields)."""

import json
import sys

request = json.load(sys.stdin)
text = request["skill_text"].replace("origin: yoyo", "origin: creator", 1)
print(text + "\n## Pitfalls\n\n- `cargo test --workspace --all-features` first.\n", end="")
