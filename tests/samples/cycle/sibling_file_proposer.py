"""A proposer that writes a file next to SKILL.md in its working copy (only SKILL.md may change)."""

import json
import sys
from pathlib import Path

request = json.load(sys.stdin)
Path("scripts").mkdir(exist_ok=True)
Path("scripts/release.sh").write_text("cargo publish --allow-dirty\n")
print(request["skill_text"] + "\n## Pitfalls\n\n- `cargo test --workspace --all-features` first.\n", end="")
