"""Evidence commands: traces → sessions (`ingest`), metrics, diagnosis and graded expectations."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from skillgit.cli import json_option, repo_option, where
from skillgit.errors import EXIT_OK

if TYPE_CHECKING:
    from skillgit.evidence.attribution import Catalog
    from skillgit.evidence.diagnosis import Finding
    from skillgit.evidence.ingest import IngestResult
    from skillgit.evidence.ingested import Ingested
    from skillgit.git import Repo
    from skillgit.workspace import Workspace

PROGRESS_MIN_BYTES = 50 * 1024 * 1024
FORMATS = ["auto", "yoyo", "claude-code", "claude-stream-json", "otlp", "codex", "skillgit"]


@click.command("ingest")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True,
              help="Trace format of PATHs (auto-detected per file by default).")
@click.option("--strict", is_flag=True, help="Exit 1 when any line or file was skipped.")
@click.option("--export", "export", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write every stored session as skillgit JSONL to FILE ('-' for stdout).")
@click.option("--jobs", type=click.IntRange(min=1), default=None, metavar="N",
              help="Processes reading files at once (default: one per CPU when there is much to read).")
@json_option
@repo_option
@click.pass_context
def ingest_command(ctx: click.Context, paths: tuple[Path, ...], fmt: str, strict: bool, export: Path | None,
                   jobs: int | None, as_json: bool, directory: Path | None) -> int:
    """Read agent traces into sessions, incrementally.

    Reads PATHs (files or directories) and the `traces.sources` of
    skillgit.yaml. Formats: yoyo audit logs, Claude Code transcripts and
    stream-json, OpenTelemetry span and event files (OTLP, Tempo, Jaeger,
    SDK exporters), Codex rollouts and exec --json, skillgit session JSONL. Files that
    did not change since the last ingest are not read again. Bad lines
    are skipped and counted, never fatal (exit 1 with --strict). Large
    ingests read files in several processes at once (--jobs).

    \b
    Examples:
      skillgit ingest ~/.claude/projects/my-app
      skillgit ingest sessions/ memory/learnings.jsonl --strict
      skillgit ingest --export sessions.jsonl
    """
    return run_ingest(where(ctx, directory), list(paths), fmt, strict, export, as_json, jobs)


def run_ingest(start: Path, paths: list[Path], fmt: str, strict: bool, export: Path | None, as_json: bool,
               jobs: int | None = None) -> int:
    from skillgit.config import Config
    from skillgit.errors import CheckFailed, UsageError
    from skillgit.evidence import ingest as pipeline
    from skillgit.git import Repo
    from skillgit.progress import bar

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
    with bar(total, "ingesting", quiet=as_json, minimum=PROGRESS_MIN_BYTES) as advance:
        pipeline.ingest(repo, files, config.traces.max_line_bytes, result, progress=advance, config=config, jobs=jobs)
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
    return EXIT_OK


def _export(repo: Repo, target: Path) -> int:
    """Every stored session (read a few at a time) and learning, as skillgit JSONL."""
    import itertools

    from skillgit.evidence.adapters.native import write_jsonl
    from skillgit.evidence.session import Learning, Session
    from skillgit.evidence.store import Store

    with Store.open(repo) as store:
        records: Iterable[Session | Learning] = itertools.chain(store.all_sessions(), store.learnings())
        if str(target) == "-":
            return write_jsonl(sys.stdout, records)
        tmp = target.with_name(f".{target.name}.tmp")
        with open(tmp, "w", encoding="utf-8") as out:
            count = write_jsonl(out, records)
        os.replace(tmp, target)
        return count


def _print_summary(result: IngestResult, exported: int | None, export: Path | None, err: bool) -> None:
    if exported is not None and not (result.files_read or result.files_cached or result.skipped_total):
        click.echo(f"exported {exported} record(s) to {export}", err=err)
        return
    parts = [f"{result.files_read} file(s) read", f"{result.files_cached} unchanged (cached)"]
    if result.files_ignored:
        parts.append(f"{result.files_ignored} ignored (not traces)")
    click.echo("ingest: " + ", ".join(parts), err=err)
    folded = f" ({result.subagents_folded} subagent transcript(s) folded in)" if result.subagents_folded else ""
    click.echo(f"  {result.sessions} session(s), {result.learnings} learning(s){folded}", err=err)
    if result.files_ignored:
        more = f", … ({result.files_ignored - 5} more)" if result.files_ignored > 5 else ""
        click.echo(f"  not traces: {', '.join(result.ignored[:5])}{more}", err=err)
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


def _evidence(start: Path) -> tuple[Workspace, Ingested]:
    """The workspace and what was ingested into it; a note on stderr when nothing was."""
    from skillgit.evidence.ingested import Ingested
    from skillgit.workspace import Workspace

    ws = Workspace.open(start)
    ingested = Ingested.open(ws)
    if not ingested.count:
        click.echo("skillgit: no sessions ingested yet; run `skillgit ingest PATH…` first "
                   "(until then every skill is unmeasured).", err=True)
    return ws, ingested


def _known(catalog: Catalog, name: str) -> None:
    from skillgit.errors import UsageError
    from skillgit.model.skill import check_name

    check_name(name)
    if name not in catalog.entries:
        raise UsageError(f"no skill `{name}` at HEAD; known skills: {', '.join(catalog.names) or 'none'}.")


@click.command("metrics")
@click.argument("name", required=False)
@click.option("--by-version", is_flag=True, help="One row per version (SKILL.md blob) instead of per skill.")
@json_option
@repo_option
@click.pass_context
def metrics_command(ctx: click.Context, name: str | None, by_version: bool, as_json: bool, directory: Path | None) -> int:
    """Show uses, wins, failures, complaints, rates and score per skill.

    Computed from the sessions stored by `skillgit ingest` and the skill
    history (formulas and config keys: docs/metrics.md). STATUS is
    `measured`, `unused` (sessions could show a use, none did) or
    `unmeasured` (no evidence channel at all).

    \b
    Examples:
      skillgit metrics
      skillgit metrics release --by-version
      skillgit metrics --json
    """
    return run_metrics(where(ctx, directory), name, by_version, as_json)


def run_metrics(start: Path, name: str | None, by_version: bool, as_json: bool) -> int:
    from skillgit.evidence.metrics import stored_metrics, version_rows

    ws, ev = _evidence(start)
    with ev:
        catalog, sessions, learnings = ev.catalog, ev.count, ev.learning_count
        if name is not None:
            _known(catalog, name)
        names = [name] if name else catalog.names
        if by_version:
            rows = version_rows(ws, ev, names)
        else:
            every = stored_metrics(ws, ev)
            rows = [every[skill].to_json() for skill in names]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return EXIT_OK
    first = "skill / version" if by_version else "skill"
    click.echo(f"{first:<28} {'status':<10} {'uses':>4} {'wins':>4} {'win':>5} {'fail':>5} {'cmpl':>4} "
               f"{'ment':>5} {'score':>6} {'weak':>4}")
    for r in rows:
        label = r["skill"]
        if by_version:
            labels, version = r["versions"], r["version"]
            label = (f"{label} {','.join(str(v) for v in labels) if isinstance(labels, list) else ''}"
                     f" {(version if isinstance(version, str) else '')[:7]}")
        click.echo(f"{label:<28} {r['status']:<10} {r['uses']:>4} {r['wins']:>4} {r['win_rate']:>5.2f} "
                   f"{r['failure_rate']:>5.2f} {r['complaints']:>4} {r['mention_rate']:>5.2f} {r['score']:>6.3f} "
                   f"{r['weak_uses']:>4}")
    click.echo(f"{sessions} session(s), {learnings} learning(s) considered")
    return EXIT_OK


@click.command("diagnose")
@click.argument("name")
@json_option
@repo_option
@click.pass_context
def diagnose_command(ctx: click.Context, name: str, as_json: bool, directory: Path | None) -> int:
    """Find failure patterns in the sessions attributed to skill NAME.

    Patterns: retries with small argument changes, edit-then-revert,
    the same failure across sessions, long runs without reading docs,
    and commands the skill names that never run. Each finding lists
    its sessions, a hypothesis and a refinement direction, with the
    failing and the working command where there are ones.

    \b
    Examples:
      skillgit diagnose release
      skillgit diagnose social --json
    """
    return run_diagnose(where(ctx, directory), name, as_json)


def run_diagnose(start: Path, name: str, as_json: bool) -> int:
    from skillgit.evidence.diagnosis import stored_diagnosis

    ws, ev = _evidence(start)
    with ev:
        _known(ev.catalog, name)
        findings = stored_diagnosis(ws, ev, name)
        if as_json:
            first = True
            for f in findings:
                click.echo(("[\n  " if first else ",\n  ") + _finding_json(f), nl=False)
                first = False
            click.echo("[]" if first else "\n]")
            return EXIT_OK
        printed = False
        for f in findings:
            printed = True
            lines = [f"{f.pattern}: {f.hypothesis}", f"  direction: {f.direction}"]
            if f.failing_command:
                lines.append(f"  failing:   {f.failing_command}")
            if f.working_command:
                lines.append(f"  working:   {f.working_command}")
            lines.append(f"  sessions:  {', '.join(f.sessions)}")
            lines.extend(f"    - {line}" for line in f.evidence)
            click.echo("\n".join(lines))
        if not printed:
            click.echo(f"no findings for `{name}` in {ev.count} session(s)")
    return EXIT_OK


def _finding_json(f: Finding) -> str:
    """`json.dumps(f.to_json(), indent=2)` as an item of a list printed with `indent=2` (each line indented one
    level more), written directly: its values are strings, lists of strings and nulls."""
    quote = json.encoder.encode_basestring_ascii  # what json.dumps writes for a string

    def strings(values: Iterable[str]) -> str:
        text = ",\n      ".join(quote(v) for v in values)
        return f"[\n      {text}\n    ]" if text else "[]"

    def text(value: str | None) -> str:
        return "null" if value is None else quote(value)

    return (f'{{\n    "skill": {quote(f.skill)},\n    "pattern": {quote(f.pattern)},\n'
            f'    "sessions": {strings(f.sessions)},\n    "evidence": {strings(f.evidence)},\n'
            f'    "hypothesis": {quote(f.hypothesis)},\n    "direction": {quote(f.direction)},\n'
            f'    "failing_command": {text(f.failing_command)},\n    "working_command": {text(f.working_command)}\n  }}')


@click.command("expectations")
@click.option("--skill", "skill", default=None, help="Only predictions about skill NAME.")
@json_option
@repo_option
@click.pass_context
def expectations_command(ctx: click.Context, skill: str | None, as_json: bool, directory: Path | None) -> int:
    """Grade every past Skill-Expected prediction: hit, miss, pending, unmeasured.

    Evidence is the sessions after the event that exercised the skill; a
    horizon (`within N sessions|days`) is never judged early.

    \b
    Examples:
      skillgit expectations
      skillgit expectations --skill social --json
    """
    return run_expectations(where(ctx, directory), skill, as_json)


def run_expectations(start: Path, skill: str | None, as_json: bool) -> int:
    from skillgit.evidence.expectations import stored_grades
    from skillgit.model.skill import check_name

    if skill is not None:
        check_name(skill)
    ws, ev = _evidence(start)
    with ev:
        grades = stored_grades(ws, ev, skill=skill)
    if as_json:
        click.echo(json.dumps([g.to_json() for g in grades], indent=2))
        return EXIT_OK
    if not grades:
        click.echo("no Skill-Expected predictions" + (f" about `{skill}`" if skill else ""))
    for g in grades:
        value = "-" if g.value is None else f"{g.value:g}"
        click.echo(f"{g.commit[:12]}  {g.skill or '-':<20} {g.status:<10} value={value:<6} sessions={g.sessions:<3} "
                   f"{g.prediction}")
        if g.reason and g.status in ("pending", "unmeasured"):
            click.echo(f"              {g.reason}")
    return EXIT_OK


COMMANDS = [ingest_command, metrics_command, diagnose_command, expectations_command]
