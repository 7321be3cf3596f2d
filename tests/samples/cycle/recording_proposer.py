"""A proposer that keeps a copy of the request it got (argv[1]) and then answers like llm_proposer."""

import json
import sys

raw = sys.stdin.read()
with open(sys.argv[1], "w") as f:
    f.write(raw)
request = json.loads(raw)
print(request["skill_text"] + "\n## Pitfalls\n\n- Run `cargo test --workspace --all-features` before tagging.\n", end="")
