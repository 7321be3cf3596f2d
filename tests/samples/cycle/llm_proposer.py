"""An LLM-CLI-shaped proposer: reads the JSON request on stdin, prints the new SKILL.md on stdout.

It does what a model would be asked to: keep the file, add a Pitfalls entry quoting the failing and
the working command of the first finding. `--fence` wraps the answer the way chatty models do.
"""

import json
import sys

request = json.load(sys.stdin)
assert request["protocol"] == "skillgit-proposal/1" and request["kind"] == "refine"
text = request["skill_text"].rstrip("\n")
finding = next(f for f in request["findings"] if f.get("working_command"))
text += (
    "\n\n## Pitfalls\n\n"
    f"- `{finding['failing_command']}` fails on feature-gated tests; run `{finding['working_command']}` instead.\n"
)
if "--fence" in sys.argv:
    print("Here is the updated skill:\n\n```markdown\n" + text + "```\n\nLet me know if you want changes.")
else:
    sys.stdout.write(text)
