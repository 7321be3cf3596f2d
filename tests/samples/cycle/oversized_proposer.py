"""A proposer whose candidate is a valid SKILL.md that breaks SG006 (too many added lines)."""

import json
import sys

request = json.load(sys.stdin)
lines = "".join(f"- Step {i}: run `cargo test --workspace --all-features` again.\n" for i in range(40))
print(request["skill_text"] + "\n## Pitfalls\n\n" + lines, end="")
