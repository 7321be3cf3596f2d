"""Generate a deterministic mix of agent traces for the ingest benchmark.

    python bench/gen_traces.py --size 100MB --out /tmp/skillgit-bench/100MB [--seed 7]

Writes, by bytes, about 40% Claude Code transcripts (`claude/<project>/<session>.jsonl`, a few with
`<session>/subagents/agent-*.jsonl`), 30% yoyo audit-log sessions (`yoyo/sessions/day-N-…/audit.jsonl`
+ `outcome.json`, and `yoyo/memory/learnings.jsonl`) and 30% OTLP GenAI span batches
(`otel/spans-N.jsonl`). Line sizes follow real traces: small yoyo audit lines, kilobyte Claude
records with large tool results, OTLP lines of 5–20 spans. The same seed gives the same bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

WORDS = ["cargo", "test", "build", "skill", "session", "agent", "tool", "result", "error", "warning", "parse", "config", "module", "function", "value", "index", "commit", "branch", "merge", "trace", "span", "schema", "file", "path", "line", "read", "write", "edit", "search", "todo", "plan", "review", "fix", "refactor", "docs", "release", "deploy", "check", "lint", "format", "type", "import", "export", "metric", "score", "window", "retry"]
SKILLS = ["social", "family", "release", "blindspot", "pdf", "brainstorming", "self-assess", "communicate"]
TOOLS = ["bash", "read_file", "write_file", "edit_file", "search", "list_files", "todo"]
RESOURCE = [("service.name", "demo-agent"), ("service.version", "1.4.2"), ("telemetry.sdk.language", "python"),
            ("telemetry.sdk.name", "opentelemetry"), ("telemetry.sdk.version", "1.38.0"), ("host.name", "runner-7"),
            ("process.runtime.name", "cpython"), ("process.runtime.version", "3.12.7"), ("os.type", "linux")]
CLAUDE_TOOLS = ["Bash", "Read", "Edit", "Write", "Grep", "Glob", "TodoWrite"]


def parse_size(text: str) -> int:
    text = text.strip().upper()
    for suffix, factor in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if text.endswith(suffix):
            return int(float(text[: -len(suffix)]) * factor)
    return int(text)


class Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.pool = [" ".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(3, 40))) for _ in range(2000)]
        self.clock = datetime(2026, 3, 1, tzinfo=UTC)

    def text(self, min_chars: int, max_chars: int) -> str:
        target = self.rng.randint(min_chars, max_chars)
        parts: list[str] = []
        size = 0
        while size < target:
            chunk = self.rng.choice(self.pool)
            parts.append(chunk)
            size += len(chunk) + 1
        return "\n".join(parts)[:target]

    def tick(self, seconds: float = 5.0) -> datetime:
        self.clock += timedelta(seconds=self.rng.uniform(0.2, seconds))
        return self.clock

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128)))

    # -- yoyo --------------------------------------------------------------------------------

    def yoyo_session(self, root: Path, day: int) -> int:
        start = self.tick(3600)
        name = f"day-{day}-{start.strftime('%Y%m%dT%H%M%SZ')}"
        folder = root / "sessions" / name
        folder.mkdir(parents=True, exist_ok=True)
        written = 0
        with open(folder / "audit.jsonl", "w") as out:
            for _ in range(self.rng.randint(200, 600)):
                tool = self.rng.choice(TOOLS)
                if tool == "bash":
                    args = {"command": f"cd /work && {self.text(10, 160)}", "timeout": 600}
                elif tool == "edit_file":
                    args = {"path": f"src/{self.rng.choice(WORDS)}.rs", "old_text": self.text(20, 600), "new_text": self.text(20, 600)}
                elif tool == "read_file" and self.rng.random() < 0.1:
                    args = {"path": f"skills/{self.rng.choice(SKILLS)}/SKILL.md"}
                else:
                    args = {"path": f"src/{self.rng.choice(WORDS)}.rs", "pattern": self.rng.choice(WORDS)}
                line = json.dumps({
                    "args": args, "duration_ms": self.rng.randint(0, 60000), "success": self.rng.random() > 0.05,
                    "tool": tool, "ts": self.tick(20).strftime("%Y-%m-%dT%H:%M:%S"),
                }) + "\n"
                out.write(line)
                written += len(line)
        attempted = self.rng.randint(0, 3)
        outcome = {
            "day": day, "ts": self.clock.strftime("%Y-%m-%dT%H:%M:%SZ"), "session_type": "evolve",
            "build_ok": self.rng.random() > 0.1, "test_ok": self.rng.random() > 0.15,
            "tasks_attempted": attempted, "tasks_succeeded": self.rng.randint(0, attempted), "reverted": self.rng.random() < 0.05,
        }
        data = json.dumps(outcome, indent=2)
        (folder / "outcome.json").write_text(data)
        return written + len(data)

    def learnings(self, root: Path, count: int) -> int:
        (root / "memory").mkdir(parents=True, exist_ok=True)
        written = 0
        with open(root / "memory" / "learnings.jsonl", "w") as out:
            for day in range(count):
                rec = {"type": "lesson", "day": day, "ts": self.tick(600).isoformat(), "source": "evolution",
                       "title": self.text(20, 80), "context": self.text(200, 800), "takeaway": self.text(100, 400)}
                if self.rng.random() < 0.5:
                    rec["pattern_key"] = f"{self.rng.choice(WORDS)}.{self.rng.choice(WORDS)}"
                line = json.dumps(rec) + "\n"
                out.write(line)
                written += len(line)
        return written

    # -- Claude Code ---------------------------------------------------------------------------

    def claude_session(self, root: Path) -> int:
        sid = self.uid()
        project = root / f"-work-{self.rng.choice(WORDS)}"
        project.mkdir(parents=True, exist_ok=True)
        written = self._claude_file(project / f"{sid}.jsonl", sid, False, self.rng.randint(20, 120))
        if self.rng.random() < 0.2:
            agent = f"a{self.rng.getrandbits(28):07x}"
            sub = project / sid / "subagents"
            sub.mkdir(parents=True, exist_ok=True)
            written += self._claude_file(sub / f"agent-{agent}.jsonl", sid, True, self.rng.randint(5, 30), agent)
        return written

    def _claude_file(self, path: Path, sid: str, side: bool, steps: int, agent: str | None = None) -> int:
        parent = None
        written = 0
        base = {"isSidechain": side, "userType": "external", "cwd": "/work/app", "sessionId": sid, "version": "2.1.207", "gitBranch": "main"}
        if agent:
            base["agentId"] = agent

        def emit(out, rec):  # type: ignore[no-untyped-def]
            nonlocal parent, written
            uid = self.uid()
            rec = {"parentUuid": parent, **base, **rec, "uuid": uid, "timestamp": self.tick(8).isoformat().replace("+00:00", "Z")}
            parent = uid
            line = json.dumps(rec) + "\n"
            out.write(line)
            written += len(line)

        with open(path, "w") as out:
            emit(out, {"type": "user", "message": {"role": "user", "content": self.text(50, 800)}})
            if self.rng.random() < 0.3:
                emit(out, {"type": "user", "message": {"role": "user", "content": f"<command-message>{self.rng.choice(SKILLS)} is running…</command-message>\n<command-name>/{self.rng.choice(SKILLS)}</command-name>"}})
            for _ in range(steps):
                tool_id = "toolu_" + self.uid().replace("-", "")[:24]
                if self.rng.random() < 0.05:
                    name, tool_input = "Skill", {"skill": f"superpowers:{self.rng.choice(SKILLS)}"}
                else:
                    name = self.rng.choice(CLAUDE_TOOLS)
                    tool_input = {"command": self.text(10, 200)} if name == "Bash" else {"file_path": f"/work/app/src/{self.rng.choice(WORDS)}.py"}
                usage = {"input_tokens": self.rng.randint(1, 9), "cache_read_input_tokens": self.rng.randint(1000, 90000), "output_tokens": self.rng.randint(10, 900)}
                emit(out, {"type": "assistant", "message": {"id": "msg_" + self.uid()[:18], "type": "message", "role": "assistant", "model": "claude-opus-4-8",
                           "content": [{"type": "text", "text": self.text(20, 400)}, {"type": "tool_use", "id": tool_id, "name": name, "input": tool_input}], "usage": usage}})
                failed = self.rng.random() < 0.08
                content = ("Exit code 1\n" if failed and name == "Bash" else "") + self.text(200, 12000)
                emit(out, {"type": "user", "message": {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_id, "content": content, "is_error": failed}]},
                           "toolUseResult": {"stdout": content[:2000], "stderr": "", "interrupted": False}})
            emit(out, {"type": "assistant", "message": {"id": "msg_" + self.uid()[:18], "role": "assistant", "model": "claude-opus-4-8", "content": [{"type": "text", "text": self.text(50, 1500)}]}})
        return written

    # -- OTLP ------------------------------------------------------------------------------------

    def otlp_file(self, path: Path, traces: int) -> int:
        written = 0
        with open(path, "w") as out:
            for _ in range(traces):
                trace = f"{self.rng.getrandbits(128):032x}"
                root = f"{self.rng.getrandbits(64):016x}"
                start = int(self.tick(60).timestamp() * 1e9)
                spans = [self._span(trace, root, "", "invoke_agent demo-agent", start, [("gen_ai.operation.name", "invoke_agent"), ("gen_ai.agent.name", "demo-agent"), ("gen_ai.conversation.id", self.uid())], self.rng.random() < 0.1)]
                for i in range(self.rng.randint(4, 19)):
                    t = start + (i + 1) * 1_000_000_000
                    if self.rng.random() < 0.4:
                        chat = [("gen_ai.operation.name", "chat"), ("gen_ai.request.model", "claude-opus-4-8"), ("gen_ai.usage.input_tokens", self.rng.randint(100, 9000))]
                        if self.rng.random() < 0.5:  # content capture on (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT)
                            chat.append(("gen_ai.input.messages", json.dumps([{"role": "user", "parts": [{"type": "text", "content": self.text(200, 3000)}]}])))
                            chat.append(("gen_ai.output.messages", json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": self.text(50, 1500)}]}])))
                        spans.append(self._span(trace, f"{self.rng.getrandbits(64):016x}", root, "chat claude", t, chat, False))
                    else:
                        tool = self.rng.choice(CLAUDE_TOOLS + ["Skill"])
                        arguments = {"skill": self.rng.choice(SKILLS)} if tool == "Skill" else {"command": self.text(10, 300)}
                        spans.append(self._span(trace, f"{self.rng.getrandbits(64):016x}", root, f"execute_tool {tool}", t, [("gen_ai.operation.name", "execute_tool"), ("gen_ai.tool.name", tool), ("gen_ai.tool.call.arguments", json.dumps(arguments)), ("gen_ai.tool.call.result", self.text(50, 1500))], self.rng.random() < 0.07))
                resource = [{"key": k, "value": {"stringValue": v}} for k, v in RESOURCE]
                line = json.dumps({"resourceSpans": [{"resource": {"attributes": resource}, "scopeSpans": [{"scope": {"name": "bench"}, "spans": spans}]}]}) + "\n"
                out.write(line)
                written += len(line)
        return written

    def _span(self, trace: str, span: str, parent: str, name: str, start: int, attrs: list[tuple[str, object]], failed: bool) -> dict[str, object]:
        values = []
        for key, value in attrs:
            values.append({"key": key, "value": {"intValue": str(value)} if isinstance(value, int) else {"stringValue": value}})
        status: dict[str, object] = {"code": 2, "message": "tool failed"} if failed else {}
        if failed:
            values.append({"key": "error.type", "value": {"stringValue": "tool_error"}})
        return {"traceId": trace, "spanId": span, "parentSpanId": parent, "name": name, "kind": 1,
                "startTimeUnixNano": str(start), "endTimeUnixNano": str(start + self.rng.randint(1, 900_000_000)), "attributes": values, "status": status}


def generate(out: Path, size: int, seed: int = 7) -> int:
    gen = Gen(seed)
    out.mkdir(parents=True, exist_ok=True)
    budget = {"claude": size * 0.4, "yoyo": size * 0.3, "otel": size * 0.3}
    total = gen.learnings(out / "yoyo", max(10, size // (1 << 20)))
    budget["yoyo"] -= total
    day, otel = 1, 0
    while any(v > 0 for v in budget.values()):
        if budget["claude"] > 0:
            n = gen.claude_session(out / "claude")
            budget["claude"] -= n
            total += n
        if budget["yoyo"] > 0:
            n = gen.yoyo_session(out / "yoyo", day)
            day += 1
            budget["yoyo"] -= n
            total += n
        if budget["otel"] > 0:
            (out / "otel").mkdir(exist_ok=True)
            n = gen.otlp_file(out / "otel" / f"spans-{otel:05d}.jsonl", 400)
            otel += 1
            budget["otel"] -= n
            total += n
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="100MB", help="total bytes, e.g. 100MB or 1GB")
    parser.add_argument("--out", required=True, type=Path, help="output directory (created)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    total = generate(args.out, parse_size(args.size), args.seed)
    files = sum(len(f) for _, _, f in os.walk(args.out))
    print(f"wrote {total / (1 << 20):.1f} MiB in {files} files to {args.out}")


if __name__ == "__main__":
    main()
