"""A scripted runner for gate tests: SKILL.md markers decide which cases pass.

`<!-- quality: N -->` in SKILL.md passes every train case whose `level` is ≤ N;
`<!-- holdout-quality: N -->` does the same for holdout cases (no `suite`), default: quality.
A case with `format: claude-code` gets a Claude Code transcript, every other case skillgit's
native session JSONL. The final message says `quality N` (what judge_quality.py scores).
It exits 9 if the skill directory holds an `evals/` directory: a runner never sees eval files.
"""
import json
import re
import sys
from pathlib import Path

request = json.load(sys.stdin)
skill_dir = Path(request["skill_dir"])
if (skill_dir / "evals").exists():
    print("the runner can see evals/", file=sys.stderr)
    sys.exit(9)
text = (skill_dir / "SKILL.md").read_text(encoding="utf-8")


def marker(key, default):
    found = re.search(rf"<!-- {key}: (\d+) -->", text)
    return int(found.group(1)) if found else default


case = request["case"]
quality = marker("quality", 0)
if "suite" not in case:
    quality = marker("holdout-quality", quality)
ok = quality >= int(case.get("level", 1))
security = marker("security", 10)
message = f"quality {quality} security {security}: {'done' if ok else 'gave up'} on {case['id']}"
run_id = f"{case['id']}-{request['version'][:8]}"

if case.get("format") == "claude-code":
    def rec(kind, uid, content, ts):
        role = "assistant" if kind == "assistant" else "user"
        return {"parentUuid": None, "isSidechain": False, "type": kind, "sessionId": run_id, "uuid": uid,
                "timestamp": f"2026-01-01T10:00:0{ts}.000Z", "message": {"role": role, "content": content}}
    lines = [
        rec("user", "u1", case.get("prompt") or "go", 0),
        rec("assistant", "a1", [{"type": "tool_use", "id": "t1", "name": "Skill", "input": {"skill": request["skill"]}}], 1),
        rec("user", "u2", [{"type": "tool_result", "tool_use_id": "t1", "content": "loaded"}], 2),
        rec("assistant", "a2", [{"type": "tool_use", "id": "t2", "name": "Bash", "input": {"command": "pytest -q"}}], 3),
        rec("user", "u3", [{"type": "tool_result", "tool_use_id": "t2", "content": "ok" if ok else "1 failed",
                             "is_error": not ok}], 4),
        rec("assistant", "a3", [{"type": "text", "text": message}], 5),
    ]
    for line in lines:
        print(json.dumps(line))
else:
    print(json.dumps({"kind": "header", "format": "skillgit-sessions", "version": 1}))
    print(json.dumps({
        "kind": "session", "id": run_id, "source": "scripted-runner",
        "outcome": "success" if ok else "failure", "final_message": message, "turns": 2,
        "tool_calls": [{"name": "Read", "args": {"path": "SKILL.md"}, "ok": True},
                       {"name": "Bash", "args": {"command": "pytest -q"}, "ok": ok}],
        "skills": [{"name": request["skill"], "how": "invoked", "version": request["version"]}],
    }))
