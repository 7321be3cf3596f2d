"""A judge that returns the scores written in the case's `judge_scores` field.

It fails (exit 5) if the request carries a skill version or lacks the rubric, session or case,
so tests also check what a judge is and is not told.
"""
import json
import sys

request = json.load(sys.stdin)
if {"version", "skill", "skill_dir"} & set(request):
    print("judge was told the version", file=sys.stderr)
    sys.exit(5)
for key in ("rubric", "dimensions", "scale", "case", "session"):
    if key not in request:
        print(f"missing {key}", file=sys.stderr)
        sys.exit(5)
print("thinking about it...")
print(json.dumps({"scores": request["case"]["judge_scores"]}))
