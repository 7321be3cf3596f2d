"""Time the adoption path on a plugin marketplace: `init` (layout detection and baseline), then `status`,
`versions NAME` and `verify`, each beside a git anchor measured in the same run.

    python bench/bench_adoption.py --out /tmp/sg-adoption [--commits 3000] [--skills 181] [--runs 5]

The repository is generated (deterministic: fixed seed and dates, `git fast-import`) in the shape of a
public plugin marketplace: plugins `plugins/<plugin>/skills/<name>/` (SKILL.md and a reference file),
with agents and commands beside the skills in each plugin, a history of upstream commits by a few
developers (skill edits, other files, skills added over time, a few renamed with `git mv`, a few
removed and brought back), every Nth change a pull request merged with a merge commit. Then
`skillgit init` on a fresh clone (timed on each of `--runs` clones), and on one of them `--events`
maintainer commits with their trailers (as the hooks write them) before `status`, `versions` (the
busiest skill) and `verify` (every commit since `init`) are timed.

Anchors (git doing the reading each command needs, in the same repository and run; `skillgit --version`
gives the start-up cost every command pays):
`git ls-tree -r HEAD` for init's detection; `git log --raw --full-history -- plugins` (the walk over
the skill roots behind status's versions); `git log --full-history -- FOLDER` for one skill's versions;
`git log --raw INIT..HEAD` for verify. Prints one JSON object: medians, spreads and ratios.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

START = 1_704_067_200  # 2024-01-01T00:00:00Z
STEP = 3_600
DEVS = [(f"Upstream Dev {i}", f"dev{i}@upstream.example") for i in range(1, 6)]
MAINTAINER = ("Maintainer", "maintainer@example.com")
WORDS = ["check", "the", "build", "log", "before", "retry", "with", "a", "smaller", "diff", "and", "note", "why"]


def blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def skill_text(name: str, lines: list[str]) -> bytes:
    head = ["---", f"name: {name}", f"description: Use when the task needs {name.replace('-', ' ')}.", "---", "",
            f"# {name}", "", "## Procedure", ""]
    return ("\n".join(head + lines) + "\n").encode()


class Stream:
    """A `git fast-import` stream: commits on main, side branches merged back with merge commits."""

    def __init__(self, out: Path) -> None:
        self.proc = subprocess.Popen(["git", "fast-import", "--quiet", "--done"], cwd=out, stdin=subprocess.PIPE)
        assert self.proc.stdin is not None
        self.pipe = self.proc.stdin
        self.mark = 0
        self.main = 0

    def commit(self, when: int, author: tuple[str, str], message: str, ops: list[bytes], *, ref: str = "main",
               parent: int | None = None, merge: int | None = None) -> int:
        self.mark += 1
        msg = message.encode()
        parts = [f"commit refs/heads/{ref}\n".encode(), b"mark :%d\n" % self.mark,
                 f"author {author[0]} <{author[1]}> {when} +0000\n".encode(),
                 f"committer {author[0]} <{author[1]}> {when} +0000\n".encode(), b"data %d\n" % len(msg), msg, b"\n"]
        base = self.main if parent is None else parent
        if base:
            parts.append(b"from :%d\n" % base)
        if merge:
            parts.append(b"merge :%d\n" % merge)
        parts.extend(ops)
        parts.append(b"\n")
        self.pipe.write(b"".join(parts))
        if ref == "main":
            self.main = self.mark
        return self.mark

    def close(self) -> None:
        self.pipe.write(b"done\n")
        self.pipe.close()
        if self.proc.wait() != 0:
            raise SystemExit("git fast-import failed")


def put(path: str, data: bytes) -> bytes:
    return f"M 100644 inline {path}\n".encode() + b"data %d\n" % len(data) + data + b"\n"


def delete(path: str) -> bytes:
    return f"D {path}\n".encode()


def generate(out: Path, commits: int, skills: int, merge_every: int, seed: int = 12) -> dict[str, object]:
    """The marketplace repository at `out` (made anew); returns its manifest."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=out, check=True)
    rng = random.Random(seed)
    plugins = [f"plugin-{i:02d}" for i in range(max(1, skills // 3))]
    folders: dict[str, str] = {}
    lines: dict[str, list[str]] = {}
    changes: dict[str, int] = {}
    names = [f"skill-{i:03d}" for i in range(skills)]
    first = names[: skills * 2 // 3]
    later = names[len(first):]
    stream = Stream(out)
    when = START

    def skill_ops(name: str) -> list[bytes]:
        folder = folders[name]
        return [put(f"{folder}/SKILL.md", skill_text(name, lines[name]))]

    ops: list[bytes] = [put("README.md", b"# Plugins\n")]
    for plugin in plugins:
        ops.append(put(f"plugins/{plugin}/agents/agent.md", f"# {plugin} agent\n".encode()))
        ops.append(put(f"plugins/{plugin}/commands/run.md", f"# {plugin} command\n".encode()))
    for name in first:
        folders[name] = f"plugins/{rng.choice(plugins)}/skills/{name}"
        lines[name] = [f"{n + 1}. " + " ".join(rng.choice(WORDS) for _ in range(8)) for n in range(20)]
        ops += skill_ops(name)
        ops.append(put(f"{folders[name]}/references/guide.md", f"# {name} guide\n".encode()))
    stream.commit(when, DEVS[0], "Import the marketplace\n", ops)
    made, merges, renames, removed = 1, 0, 0, 0
    pending_restore: list[tuple[str, bytes]] = []
    while made < commits:
        when += STEP
        author = rng.choice(DEVS)
        roll = rng.random()
        live = [n for n in folders if n not in {p for p, _ in pending_restore}]
        if later and roll < 0.03:
            name = later.pop(0)
            folders[name] = f"plugins/{rng.choice(plugins)}/skills/{name}"
            lines[name] = [f"{n + 1}. " + " ".join(rng.choice(WORDS) for _ in range(8)) for n in range(12)]
            message, ops = f"Add the {name} skill\n", skill_ops(name)
        elif roll < 0.035 and live:
            name = rng.choice(live)
            old, new = folders[name], f"plugins/{rng.choice(plugins)}/skills/{name}"
            if old == new:
                continue
            ops = [f"R {old} {new}\n".encode()]
            folders[name] = new
            message, renames = f"Move {name} to another plugin\n", renames + 1
        elif roll < 0.04 and live and not pending_restore:
            name = rng.choice(live)
            pending_restore.append((name, skill_text(name, lines[name])))
            message, ops, removed = f"Remove {name} for now\n", [delete(folders[name])], removed + 1
        elif roll < 0.05 and pending_restore:
            name, text = pending_restore.pop()
            message, ops = f"Bring {name} back\n", [put(f"{folders[name]}/SKILL.md", text)]
        elif roll < 0.55 and live:
            name = rng.choice(live)
            at = rng.randrange(len(lines[name]))
            lines[name][at] = f"{at + 1}. " + " ".join(rng.choice(WORDS) for _ in range(8))
            changes[name] = changes.get(name, 0) + 1
            message, ops = f"{name}: reword step {at + 1}\n", skill_ops(name)
        elif roll < 0.65 and live:
            name = rng.choice(live)
            message = f"{name}: extend the guide\n"
            ops = [put(f"{folders[name]}/references/guide.md", f"# {name} guide\n\nRevision {made}.\n".encode())]
        else:
            plugin = rng.choice(plugins)
            message = f"{plugin}: update the agent\n"
            ops = [put(f"plugins/{plugin}/agents/agent.md", f"# {plugin} agent\n\nRevision {made}.\n".encode())]
        if merge_every and made % merge_every == 0:
            side = stream.commit(when, author, message, ops, ref="pr", parent=stream.main)
            when += STEP
            stream.commit(when, MAINTAINER, f"Merge pull request #{made} from contributor/pr\n", [], merge=side)
            made, merges = made + 2, merges + 1
        else:
            stream.commit(when, author, message, ops)
            made += 1
    stream.close()
    subprocess.run(["git", "branch", "-qD", "pr"], cwd=out, check=False)
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=out, check=True)
    busiest = max(changes, key=lambda n: (changes[n], n))
    manifest = {"commits": int(subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=out, capture_output=True,
                                              text=True, check=True).stdout), "merges": merges, "renames": renames,
                "removed_and_restored": removed, "skills": len(folders), "busiest_skill": busiest,
                "busiest_folder": folders[busiest], "last_when": when}
    (out / ".git" / "bench-manifest.json").write_text(json.dumps(manifest, indent=2))
    return manifest


def maintainer_events(repo: Path, n: int, start: int, rng: random.Random) -> None:
    """`n` maintainer commits of one skill each, with the trailers the commit-msg hook writes."""
    files = subprocess.run(["git", "ls-files", "plugins/*/skills/*/SKILL.md"], cwd=repo, capture_output=True, text=True,
                           check=True).stdout.split()
    for i in range(n):
        path = repo / rng.choice(files)
        name = path.parent.name
        before = path.read_bytes()
        after = before + f"- maintainer note {i}\n".encode()
        path.write_bytes(after)
        when = f"{start + (i + 1) * 60} +0000"
        message = (f"{name}: maintainer note {i}\n\nSkill-Event: manual\nSkill-Name: {name}\n"
                   f"Skill-Version: {blob_id(before)}..{blob_id(after)}\n")
        env = {"GIT_AUTHOR_NAME": MAINTAINER[0], "GIT_AUTHOR_EMAIL": MAINTAINER[1], "GIT_COMMITTER_NAME": MAINTAINER[0],
               "GIT_COMMITTER_EMAIL": MAINTAINER[1], "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
        subprocess.run(["git", "commit", "-q", "--no-verify", "-F", "-", str(path.relative_to(repo))], cwd=repo,
                       input=message, text=True, env={**_env(), **env}, check=True)


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)


def timed(cmd: list[str], cwd: Path, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        out.append(time.perf_counter() - start)
        if result.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} failed ({result.returncode}): {result.stderr.decode()[-500:]}")
    return out


def summary(ours: list[float], anchor: list[float]) -> dict[str, float]:
    m, a = statistics.median(ours), statistics.median(anchor)
    return {"median_s": round(m, 3), "max_s": round(max(ours), 3), "anchor_median_s": round(a, 4),
            "ratio": round(m / a, 1) if a else float("inf")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="where the generated repository and clones go")
    parser.add_argument("--commits", type=int, default=3000)
    parser.add_argument("--skills", type=int, default=181)
    parser.add_argument("--merge-every", type=int, default=6, help="every Nth change is a merged pull request")
    parser.add_argument("--events", type=int, default=100, help="maintainer commits after init (for status/verify)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    skillgit = shutil.which("skillgit")
    sg = [skillgit] if skillgit else [sys.executable, "-m", "skillgit"]
    source = args.out / "upstream"
    manifest = generate(source, args.commits, args.skills, args.merge_every)

    init_times = []
    for i in range(args.runs):
        clone = args.out / f"clone-{i}"
        if clone.exists():
            shutil.rmtree(clone)
        subprocess.run(["git", "clone", "-q", str(source), str(clone)], check=True)
        init_times += timed([*sg, "init"], clone, 1)
    repo = args.out / "clone-0"
    init_anchor = timed(["git", "ls-tree", "-r", "HEAD"], repo, args.runs)
    init_commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True,
                                 check=True).stdout.strip()
    maintainer_events(repo, args.events, int(str(manifest["last_when"])) + 3600, random.Random(5))

    startup = timed([*sg, "--version"], repo, args.runs)
    status = timed([*sg, "status", "--json"], repo, args.runs)
    status_anchor = timed(["git", "log", "--raw", "--no-abbrev", "--full-history", "--format=%H", "--", "plugins"], repo,
                          args.runs)
    skill = str(manifest["busiest_skill"])
    versions = timed([*sg, "versions", skill, "--json"], repo, args.runs)
    versions_anchor = timed(["git", "log", "--full-history", "--format=%H", "--", str(manifest["busiest_folder"])], repo,
                            args.runs)
    verify = timed([*sg, "verify", f"{init_commit}..HEAD", "--json"], repo, args.runs)
    verify_all = timed([*sg, "verify", "--json"], repo, args.runs)
    verify_anchor = timed(["git", "log", "--raw", "--no-abbrev", f"{init_commit}..HEAD"], repo, args.runs)
    count = len(json.loads(subprocess.run([*sg, "versions", skill, "--json"], cwd=repo, capture_output=True, text=True,
                                          check=True).stdout))
    verified = json.loads(subprocess.run([*sg, "verify", "--json"], cwd=repo, capture_output=True, text=True,
                                         check=False).stdout)
    result = {
        **manifest,
        "events_after_init": args.events,
        "runs": args.runs,
        "startup_median_s": round(statistics.median(startup), 3),
        "init": summary(init_times, init_anchor),
        "status": summary(status, status_anchor),
        "versions": {**summary(versions, versions_anchor), "skill": skill, "versions": count},
        "verify_since_init": summary(verify, verify_anchor),
        "verify_default_range": {**summary(verify_all, verify_anchor), "checked": verified.get("checked"),
                                 "violations": len(verified.get("violations", []))},
        "anchors": {"init": "git ls-tree -r HEAD", "status": "git log --raw --full-history -- plugins",
                    "versions": "git log --full-history -- FOLDER", "verify": "git log --raw INIT..HEAD"},
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
