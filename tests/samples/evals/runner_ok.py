"""A well-behaved runner: reads the request, reads SKILL.md from skill_dir, prints one session."""
import json
import sys
from pathlib import Path

request = json.load(sys.stdin)
skill_md = Path(request["skill_dir"], "SKILL.md").read_text(encoding="utf-8")
marker = next((line for line in skill_md.splitlines() if line.startswith("Marker:")), "Marker: none")
case = request["case"]
print(json.dumps({
    "id": f"run-{case['id']}",
    "outcome": "success",
    "final_message": f"{marker} | case {case['id']} | prompt {case.get('prompt')} | "
                     f"version {request['version']} | keys {','.join(sorted(case))}",
    "turns": 2,
    "started": "2026-01-01T10:00:00+00:00",
    "ended": "2026-01-01T10:00:03+00:00",
    "tool_calls": [
        {"name": "Read", "args": {"path": "SKILL.md"}, "ok": True},
        {"name": "Edit", "args": {"path": "src/app.py"}, "ok": True},
        {"name": "Bash", "args": {"command": "pytest -q"}, "ok": True, "exit_code": 0},
    ],
    "skills": [{"name": request["skill"], "how": "invoked"}],
}, indent=2))
