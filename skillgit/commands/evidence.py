"""Evidence commands: traces → sessions (`ingest`)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from skillgit.cli import json_option, repo_option, where

PROGRESS_MIN_BYTES = 50 * 1024 * 1024
FORMATS = ["auto", "yoyo", "claude-code", "otlp", "codex", "skillgit"]


@click.command("ingest")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True,
              help="Trace format of PATHs (auto-detected per file by default).")
@click.option("--strict", is_flag=True, help="Exit 1 when any line or file was skipped.")
@click.option("--export", "export", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write every stored session as skillgit JSONL to FILE ('-' for stdout).")
@json_option
@repo_option
@click.pass_context
def ingest_command(ctx: click.Context, paths: tuple[Path, ...], fmt: str, strict: bool, export: Path | None,
                   as_json: bool, directory: Path | None) -> int:
    """Read agent traces into sessions, incrementally.

    Reads PATHs (files or directories) and the `traces.sources` of
    skillgit.yaml. Formats: yoyo audit logs, Claude Code transcripts,
    OTLP JSON spans, Codex rollouts, skillgit session JSONL. Files that
    did not change since the last ingest are not read again. Bad lines
    are skipped and counted, never fatal (exit 1 with --strict).

    \b
    Examples:
      skillgit ingest ~/.claude/projects/my-app
      skillgit ingest sessions/ memory/learnings.jsonl --strict
      skillgit ingest --export sessions.jsonl
    """
    return run_ingest(where(ctx, directory), list(paths), fmt, strict, export, as_json)


def run_ingest(start: Path, paths: list[Path], fmt: str, strict: bool, export: Path | None, as_json: bool) -> int:
    from skillgit.config import Config
    from skillgit.errors import CheckFailed, UsageError
    from skillgit.git import Repo
    from skillgit.traces import ingest as pipeline

    repo = Repo.discover(start)
    config = Config.load(repo.root)
    base = start if start.is_absolute() else Path.cwd() / start
    resolved = [p if p.is_absolute() else base / p for p in (x.expanduser() for x in paths)]
    for given, path in zip(paths, resolved):
        if not path.exists():
            raise UsageError(f"{given}: no such file or directory; pass an existing trace file or directory.")
    sources = [(p, fmt) for p in resolved] + pipeline.configured_sources(repo.root, config)
    if not sources and export is None:
        raise UsageError("nothing to ingest: pass PATH… or add traces.sources to skillgit.yaml (see docs/traces.md).")
    result = pipeline.IngestResult()
    files = pipeline.collect(sources, result)
    total = sum(f.key[0] for f in files)
    if total > PROGRESS_MIN_BYTES and sys.stderr.isatty() and not as_json:
        with click.progressbar(length=total, label="ingesting", file=sys.stderr) as bar:
            pipeline.ingest(repo, files, config.traces.max_line_bytes, result, progress=bar.update)
    else:
        pipeline.ingest(repo, files, config.traces.max_line_bytes, result)
    exported = _export(repo, export) if export is not None else None
    to_stdout = export is None or str(export) != "-"
    if as_json:
        data = result.to_json()
        if exported is not None:
            data["exported"] = exported
        click.echo(json.dumps(data, indent=2), err=not to_stdout)
    else:
        _print_summary(result, exported, export, err=not to_stdout)
    if strict and result.skipped_total:
        raise CheckFailed(
            f"--strict: {result.skipped_total} trace line(s) or file(s) were skipped (listed above); "
            "fix or remove that input, or run without --strict."
        )
    return 0


def _export(repo: Any, target: Path) -> int:
    from skillgit.traces.native import write_jsonl
    from skillgit.traces.store import TraceStore, store_dir

    store = TraceStore.open(store_dir(repo))
    records: list[Any] = [*store.sessions(), *store.learnings()]
    if str(target) == "-":
        return write_jsonl(sys.stdout, records)
    tmp = target.with_name(f".{target.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        count = write_jsonl(out, records)
    os.replace(tmp, target)
    return count


def _print_summary(result: Any, exported: int | None, export: Path | None, err: bool) -> None:
    if exported is not None and not (result.files_read or result.files_cached or result.skipped_total):
        click.echo(f"exported {exported} record(s) to {export}", err=err)
        return
    parts = [f"{result.files_read} file(s) read", f"{result.files_cached} unchanged (cached)"]
    if result.files_ignored:
        parts.append(f"{result.files_ignored} ignored (not traces)")
    click.echo("ingest: " + ", ".join(parts), err=err)
    folded = f" ({result.subagents_folded} subagent transcript(s) folded in)" if result.subagents_folded else ""
    click.echo(f"  {result.sessions} session(s), {result.learnings} learning(s){folded}", err=err)
    if result.skipped_total:
        reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(result.skipped.items()))
        click.echo(f"  skipped {result.skipped_total}: {reasons}", err=err)
    if exported is not None:
        click.echo(f"  exported {exported} record(s) to {export}", err=err)
    for skip in result.examples[:10]:
        click.echo(f"skillgit: warning: {skip}", err=True)
    if result.skipped_total > min(len(result.examples), 10):
        click.echo(f"skillgit: warning: … {result.skipped_total - min(len(result.examples), 10)} more skipped", err=True)
    for warning in result.warnings:
        click.echo(f"skillgit: warning: {warning}", err=True)


COMMANDS = [ingest_command]
