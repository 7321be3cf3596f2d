"""A runner that writes into its skill directory; reports whether an earlier case's writes are visible."""
import json
import sys
from pathlib import Path

request = json.load(sys.stdin)
skill_dir = Path(request["skill_dir"])
skill_md = skill_dir / "SKILL.md"
seen = "dirty" if "SCRIBBLED" in skill_md.read_text() or (skill_dir / "notes.txt").exists() else "clean"
with skill_md.open("a") as f:
    f.write("\nSCRIBBLED\n")
(skill_dir / "notes.txt").write_text("left behind")
print(json.dumps({"id": request["case"]["id"], "outcome": "success", "final_message": seen, "tool_calls": []}))
