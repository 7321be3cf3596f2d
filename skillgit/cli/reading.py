"""Commands that read history and the tree: journal, versions, show, status."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from skillgit.cli import json_option, repo_option, where
from skillgit.errors import EXIT_OK

if TYPE_CHECKING:
    from skillgit.events import Event
    from skillgit.workspace import Workspace


def _ws(ctx: click.Context, directory: Path | None) -> Workspace:
    from skillgit.workspace import Workspace

    return Workspace.open(where(ctx, directory))


def plural(n: int, word: str) -> str:
    """`1 commit`, `2 commits`."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> list[str]:
    """Rows as aligned columns under a header (the last column is not padded)."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header) - 1)]
    return ["  ".join([*(str(cell).ljust(w) for cell, w in zip(row, widths)), str(row[-1])]).rstrip() for row in [header, *rows]]


@click.command()
@click.option("--skill", help="Only events about this skill.")
@click.option("--event", "kinds", multiple=True, help="Only these event types (repeatable).")
@click.option("--since", help="Only events after this date (as `git log --since` takes it).")
@click.option("-n", "--limit", type=click.IntRange(min=1), help="At most this many events.")
@json_option
@repo_option
@click.pass_context
def journal(ctx: click.Context, skill: str | None, kinds: tuple[str, ...], since: str | None, limit: int | None,
            as_json: bool, directory: Path | None) -> int:
    """Print the event journal (newest first), read from git history.

    Only events: the commits from before `skillgit init` are the repository's own history
    (`skillgit versions NAME` shows them).

    \b
    Examples:
      skillgit journal --skill social
      skillgit journal --event refine --event rollback --since "2 weeks ago" --json
    """
    from skillgit import history

    events = history.journal(_ws(ctx, directory), skill=skill, kinds=kinds, since=since, limit=limit)
    if as_json:
        click.echo(json.dumps([e.to_json() for e in events], indent=2))
        return EXIT_OK
    if not events:
        click.echo("no events")
        return EXIT_OK
    rows = [(e.commit[:12], f"{e.time:%Y-%m-%d %H:%M}", e.kind or "", _skills(e), e.author_email, e.message.title)
            for e in events]
    lines = table(rows, ("COMMIT", "DATE", "EVENT", "SKILL", "AUTHOR", "TITLE"))
    click.echo(lines[0])
    for line, e in zip(lines[1:], events):
        click.echo(line)
        extra = "  ".join(f"{k}: {v}" for k, v in e.trailers.governed() if k not in ("Skill-Event", "Skill-Name", "Skill-Version"))
        if extra:
            click.echo(f"{'':14}{extra}")
    return EXIT_OK


def _skills(event: Event) -> str:
    names = list(event.skills)
    if event.renamed_from:
        return f"{event.renamed_from} -> {event.skill}"
    if len(names) > 3:
        return f"{', '.join(names[:3])} (+{len(names) - 3})"
    return ", ".join(names) or "-"


@click.command()
@click.argument("name")
@click.option("--all-commits", is_flag=True, help="Also list the commits that changed the skill's other files (unnumbered).")
@json_option
@repo_option
@click.pass_context
def versions(ctx: click.Context, name: str, all_commits: bool, as_json: bool, directory: Path | None) -> int:
    """List the versions v1…vN of skill NAME: the distinct contents of its SKILL.md, in order.

    A version is a commit that changed the SKILL.md's bytes (or moved the skill to or from the
    attic), in any branch merged into HEAD (as `git log --full-history` lists them); the history
    follows renames and moves between folders (back and forth) and includes the commits from before
    `skillgit init` (marked `*`: the repository's own history, not events). `status` counts the same
    versions. --all-commits also lists the commits that changed only the skill's other files.

    \b
    Examples:
      skillgit versions social
      skillgit versions social --all-commits --json
    """
    from skillgit import history

    ws = _ws(ctx, directory)
    found = history.versions(ws, name, all_commits=all_commits)
    if not found:
        raise click.UsageError(f"skill `{name}` has no history in this repository; see `skillgit status`.")
    from skillgit.evidence.metrics import per_version_usage

    usage = per_version_usage(ws, name)
    if as_json:
        click.echo(json.dumps([{**v.to_json(), **usage.get(v.blob or "", {})} for v in found], indent=2))
        return EXIT_OK
    numbered = [v for v in found if v.number]
    early = sum(1 for v in numbered if not v.adopted)
    names = list(dict.fromkeys(v.name for v in found if v.name))
    head = f"skill {name}: {plural(len(numbered), 'version')}"
    if early:
        head += f" ({early} from before skillgit's init, marked *)"
    if len(names) > 1:
        head += f"; earlier names: {', '.join(n for n in names if n != name)}"
    click.echo(head)
    rows = []
    for v in found:
        event = v.event + ("" if v.adopted else "*")
        note = f" (= v{v.same_as})" if v.same_as else ""
        rows.append((v.label + note, v.commit[:12], f"{v.time:%Y-%m-%d %H:%M}", event, (v.blob or "-------")[:7],
                     v.location, v.author, v.subject))
    lines = table(rows, ("VERSION", "COMMIT", "DATE", "EVENT", "BLOB", "WHERE", "AUTHOR", "SUBJECT"))
    click.echo(lines[0])
    for line, v in zip(lines[1:], found):
        stats = usage.get(v.blob or "") if v.number else None
        click.echo(line + (f"  [uses={stats['uses']} win_rate={stats['win_rate']}]" if stats else ""))
        if v.eval_summary:
            click.echo(f"{'':8}eval: {v.eval_summary}")
        if v.rollback_of:
            click.echo(f"{'':8}rollback of {v.rollback_of}")
    return EXIT_OK


@click.command()
@click.argument("name")
@click.option("--version", "version", help="vN or a revision (default: HEAD).")
@json_option
@repo_option
@click.pass_context
def show(ctx: click.Context, name: str, version: str | None, as_json: bool, directory: Path | None) -> int:
    """Print skill NAME's SKILL.md (as of --version vN or REV).

    \b
    Examples:
      skillgit show social
      skillgit show social --version v2
    """
    from skillgit.history import resolve_version, versions

    ws = _ws(ctx, directory)
    rev = resolve_version(ws, name, version)[0] if version else "HEAD"
    paths = [f"{e.dir}/SKILL.md" for e in ws.skills(rev) if e.name == name]
    if not paths and version:
        older = [v.name for v in versions(ws, name) if v.commit == rev]
        paths = [f"{e.dir}/SKILL.md" for e in ws.skills(rev) if older and e.name == older[0]]
    raw = ws.repo.read_file(rev, paths[0]) if paths else None
    if raw is None:
        raise click.UsageError(f"skill `{name}` has no SKILL.md at {version or 'HEAD'}; see `skillgit versions {name}`.")
    if as_json:
        from skillgit.git import blob_id

        click.echo(json.dumps({"skill": name, "path": paths[0], "rev": rev, "blob": blob_id(raw),
                               "text": raw.decode("utf-8", "replace")}))
    else:
        click.echo(raw.decode("utf-8", "replace"), nl=False)
    return EXIT_OK


@click.command()
@json_option
@repo_option
@click.pass_context
def status(ctx: click.Context, as_json: bool, directory: Path | None) -> int:
    """Show the managed skills (state, owner, version, last event) and uncommitted skill edits.

    \b
    Example:
      skillgit status --json
    """
    from skillgit.status import collect

    ws = _ws(ctx, directory)
    head = ws.repo.head()
    if head is not None:
        ws.require_history(head, "cannot report the managed skills")
    report = collect(ws)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return EXIT_OK
    click.echo(report["summary"])
    if report["skills"]:
        rows = []
        for s in report["skills"]:
            metrics = f"uses={s['uses']} win_rate={s['win_rate']} score={s['score']}" if s.get("uses") is not None else ""
            last = s["last_event"]
            rows.append((s["name"], s["location"], str(s["status"] or "-"), str(s["origin"] or "?") + (" core" if s["core"] else ""),
                         s.get("version") or "-", s["blob"][:7],
                         f"{last['event']} {last['commit'][:12]}" if last else "-", s["path"], metrics))
        for line in table(rows, ("SKILL", "WHERE", "STATUS", "ORIGIN", "VERSION", "BLOB", "LAST EVENT", "PATH", "")):
            click.echo(f"  {line}")
    for problem in report.get("problems", []):
        click.echo(f"  problem: {problem}")
    for path in report["uncommitted"]:
        click.echo(f"  uncommitted: {path}")
    return EXIT_OK


COMMANDS = [journal, versions, show, status]
