"""Regenerate docs/commands.md (from --help) and docs/config.md (from the config schema): `python scripts/gen_docs.py`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from skillgit.cli import cli

HEADER = """# Command reference

Generated from `skillgit <command> --help` by `python scripts/gen_docs.py`; a test fails
when this file is out of date. Every command takes `-C DIR` (run as if started in DIR) and prints
JSON with `--json` where it prints data.

## Exit codes

| code | meaning |
|---|---|
| 0 | ok |
| 1 | a check failed / violations found / gate rejected |
| 2 | usage or config error, bad input |
| 3 | holdout seal mismatch |
| 4 | repository state (dirty tree, lock held, HEAD moved) |
| 70 | internal error (a bug; a short report is printed) |
"""


def walk(group: click.Group, prefix: list[str]) -> list[tuple[list[str], click.Command]]:
    out: list[tuple[list[str], click.Command]] = []
    ctx = click.Context(group, info_name="skillgit")
    for name in sorted(group.list_commands(ctx)):
        command = group.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        out.append((prefix + [name], command))
        if isinstance(command, click.Group):
            out.extend(walk(command, prefix + [name]))
    return out


def render() -> str:
    parts = [HEADER]
    for path, command in walk(cli, []):
        name = " ".join(path)
        ctx = click.Context(command, info_name=f"skillgit {name}", terminal_width=80, max_content_width=80)
        help_text = command.get_help(ctx)
        parts.append(f"\n## skillgit {name}\n\n```text\n{help_text}\n```\n")
    return "".join(parts)


CONFIG_HEADER = """# skillgit.yaml

Generated from `skillgit/schemas/config.schema.json` by `python scripts/gen_docs.py`. Every key
has a default; a missing file means all defaults. Errors name the path to the bad value
(`skillgit.yaml: cycle.min_sessions: -1 is less than the minimum of 0`). The keys under `agent`
and `paths` are fixed by the spec; `verify` reads the config as of the range's base.

| key | type | default | meaning |
|---|---|---|---|
"""


def render_config() -> str:
    from skillgit.schemas import load_schema

    rows: list[str] = []

    def visit(schema: dict, prefix: str) -> None:
        for key, sub in schema.get("properties", {}).items():
            path = f"{prefix}{key}"
            if sub.get("type") == "object" and "properties" in sub:
                visit(sub, path + ".")
                continue
            kind = sub.get("type") or ("enum: " + " / ".join(map(str, sub.get("enum", []))))
            kind = " or ".join(kind) if isinstance(kind, list) else kind
            default = json.dumps(sub.get("default"), ensure_ascii=False)
            rows.append(f"| `{path}` | {kind} | `{default}` | {sub.get('description', '')} |")

    visit(load_schema("config"), "")
    return CONFIG_HEADER + "\n".join(rows) + "\n"


def main() -> int:
    docs = Path(__file__).resolve().parent.parent / "docs"
    stale = []
    for name, text in (("commands.md", render()), ("config.md", render_config())):
        target = docs / name
        if "--check" in sys.argv:
            if not target.exists() or target.read_text() != text:
                stale.append(name)
        else:
            target.write_text(text)
    if stale:
        print("stale: " + ", ".join(stale))
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
