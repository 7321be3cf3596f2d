"""A judge that first looks for the repository (argv[1]) from inside, reports what it found on the
channel (argv[2]: port), then scores every rubric dimension 7."""

import json
import os
import sys

from report import send

request = json.load(sys.stdin)
repo = sys.argv[1]
send(int(sys.argv[2]), kind="judge", cwd=os.getcwd(), repo_exists=os.path.exists(repo),
     holdout=os.path.exists(os.path.join(repo, "skills/release/evals/holdout.jsonl")))
print(json.dumps({"scores": {name: 7 for name in request["dimensions"]}}))
