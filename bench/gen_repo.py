"""Generate a deterministic skills repository for benchmarks, through `git fast-import`.

    python bench/gen_repo.py --commits 100000 --events 10000 --skills 1000 --out /tmp/sg-bench-repo

History: an import of S skills (half `origin: yoyo`, the evolver's own `skill-evolve`), the `init`
event, then N-2 commits of which K are skill events spread evenly — agent refines (with trigger,
prediction, eval summary), maintainer `manual` edits, agent no-ops, creates and retires — and the
rest ordinary code commits by a few developers. Events are chosen so that the history follows the
default rules (bootstrap order, no thrashing, refine size, ownership), so `skillgit verify` has real
work and nothing to report. Same arguments, same commits (fixed seed and dates).

Prints (and writes to <out>/.git/bench-manifest.json) a manifest: commit/event counts, the head,
and the most-changed skill (for `skillgit versions` benchmarks). `--merge-every N` turns every Nth
ordinary commit into a pull request merged with a merge commit (history as GitHub's merge button
leaves it), for the cost of checking merges.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

AGENT = ("yoyo-bot", "yoyo-bot@example.com")
MAINTAINER = ("Maintainer", "maintainer@example.com")
DEVELOPERS = [(f"Dev {i}", f"dev{i}@example.com") for i in range(1, 6)]
START = 1_704_067_200  # 2024-01-01T00:00:00Z
STEP = 300
ZERO_VERSION = "0000000"

CONFIG = """\
# skillgit configuration of the generated benchmark repository.
version: 1
paths: {skills: skills, attic: skills_attic}
agent:
  origin: yoyo
  identities: ["yoyo-bot@example.com"]
  self_skill: skill-evolve
policy:
  max_active: 100000
  max_non_core: 100000
"""


def blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class Skill:
    name: str
    origin: str
    description: str
    keywords: list[str]
    lines: list[str]
    location: str = "skills"
    last_touch: int = -1

    def text(self) -> bytes:
        kw = ", ".join(f'"{k}"' for k in self.keywords)
        head = ["---", f"name: {self.name}", f'description: "{self.description}"', f"origin: {self.origin}",
                "status: active", f"keywords: [{kw}]", "---", "", f"# {self.name}", ""]
        return ("\n".join(head + self.lines) + "\n").encode()


@dataclass
class State:
    rng: random.Random
    skills: dict[str, Skill] = field(default_factory=dict)
    cycles: list[int] = field(default_factory=list)
    agent_real: int = 0
    init_index: int = 1
    created: int = 0
    changes: dict[str, int] = field(default_factory=dict)


def body_lines(rng: random.Random, n: int) -> list[str]:
    words = ["check", "the", "build", "log", "before", "retry", "with", "a", "smaller", "diff", "and", "note", "why"]
    return [f"{i + 1}. " + " ".join(rng.choice(words) for _ in range(8)) for i in range(n)]


def new_skill(rng: random.Random, index: int, origin: str, prefix: str = "skill") -> Skill:
    name = f"{prefix}-{index:05d}"
    description = f"Procedure {index} for the {name} task: when to use it and how"
    if origin == "yoyo" and prefix != "skill":
        description = f"[CANDIDATE — unreviewed] {description}"
    return Skill(name, origin, description, [f"k{index}a", f"k{index}b", f"k{index}c"],
                 ["## Procedure", ""] + body_lines(rng, 24))


class Stream:
    """Writes a fast-import stream to a running `git fast-import`."""

    def __init__(self, out: Path) -> None:
        self.proc = subprocess.Popen(["git", "fast-import", "--quiet", "--done"], cwd=out, stdin=subprocess.PIPE)
        assert self.proc.stdin is not None
        self.pipe = self.proc.stdin
        self.mark = 0
        self.main = 0
        self.main_marks: list[int] = []

    def commit(self, index: int, author: tuple[str, str], message: str, ops: list[bytes], *, ref: str = "main",
               parent: int | None = None, merge: int | None = None) -> int:
        """Write one commit on `ref` (after `parent`, a mark; default: the previous main commit) and
        return its mark; `merge` makes it a merge of that mark."""
        self.mark += 1
        when = START + index * STEP
        msg = message.encode()
        parts = [f"commit refs/heads/{ref}\n".encode(), b"mark :%d\n" % self.mark,
                 f"author {author[0]} <{author[1]}> {when} +0000\n".encode(),
                 f"committer {author[0]} <{author[1]}> {when} +0000\n".encode(),
                 b"data %d\n" % len(msg), msg, b"\n"]
        parent = self.main if parent is None else parent
        if parent:
            parts.append(b"from :%d\n" % parent)
        if merge:
            parts.append(b"merge :%d\n" % merge)
        parts.extend(ops)
        parts.append(b"\n")
        self.pipe.write(b"".join(parts))
        if ref == "main":
            self.main = self.mark
            self.main_marks.append(self.mark)
        return self.mark

    def close(self) -> None:
        self.pipe.write(b"done\n")
        self.pipe.close()
        if self.proc.wait() != 0:
            raise SystemExit("git fast-import failed")


def put(path: str, data: bytes) -> bytes:
    return b"M 100644 inline " + path.encode() + b"\n" + b"data %d\n" % len(data) + data + b"\n"


def trailers(pairs: list[tuple[str, str]]) -> str:
    return "\n".join(f"{k}: {v}" for k, v in pairs)


def refinable(state: State, index: int, origin: str) -> list[str]:
    """Skills of `origin` that the no-thrashing rule lets the agent refine at commit `index`."""
    cutoff = state.cycles[-3] if len(state.cycles) >= 3 else state.init_index + 1
    return [s.name for s in state.skills.values()
            if s.origin == origin and s.location == "skills" and s.last_touch < cutoff and s.name != "skill-evolve"]


def event(state: State, stream: Stream, index: int, pool: dict[str, list[str]]) -> None:
    rng = state.rng
    roll = rng.random()
    if state.agent_real == 0:
        roll = 0.0
    if roll < 0.70:
        kind = "refine"
    elif roll < 0.85:
        kind = "manual"
    elif roll < 0.95:
        kind = "no-op"
    elif roll < 0.98 or state.agent_real < 2:
        kind = "create"
    else:
        kind = "retire"
    if kind in ("refine", "retire"):
        candidates = refinable(state, index, "yoyo")
        if not candidates:
            kind = "no-op"
    trigger = f"sessions {index - 40}..{index}: 3 retries of the same command"
    if kind == "no-op":
        msg = "skillgit: no-op\n\nNothing crossed a threshold.\n\n" + trailers(
            [("Skill-Event", "no-op"), ("Skill-Trigger", trigger)])
        stream.commit(index, AGENT, msg + "\n", [])
        state.cycles.append(index)
        return
    if kind == "manual":
        names = [s.name for s in state.skills.values() if s.location == "skills"]
        skill = state.skills[rng.choice(names)]
        before = blob_id(skill.text())
        skill.lines[rng.randrange(2, len(skill.lines))] = f"Maintainer note {index}: keep this step short."
        after = skill.text()
        msg = f"skillgit: manual {skill.name}\n\nTighten wording.\n\n" + trailers(
            [("Skill-Event", "manual"), ("Skill-Name", skill.name), ("Skill-Version", f"{before}..{blob_id(after)}")])
        stream.commit(index, MAINTAINER, msg + "\n", [put(f"skills/{skill.name}/SKILL.md", after)])
        skill.last_touch = index
        state.changes[skill.name] = state.changes.get(skill.name, 0) + 1
        return
    if kind == "create":
        state.created += 1
        skill = new_skill(rng, 90000 + state.created, "yoyo", prefix="gen")
        state.skills[skill.name] = skill
        after = skill.text()
        msg = f"skillgit: create {skill.name}\n\nA pattern seen in 3 sessions.\n\n" + trailers([
            ("Skill-Event", "create"), ("Skill-Name", skill.name), ("Skill-Trigger", trigger),
            ("Skill-Version", f"{ZERO_VERSION}..{blob_id(after)}"),
            ("Skill-Expected", "uses >= 1 within 10 sessions; else retire it")])
        stream.commit(index, AGENT, msg + "\n", [put(f"skills/{skill.name}/SKILL.md", after)])
    elif kind == "retire":
        skill = state.skills[rng.choice(candidates)]
        before = blob_id(skill.text())
        msg = f"skillgit: retire {skill.name}\n\nUnused for 10 sessions.\n\n" + trailers([
            ("Skill-Event", "retire"), ("Skill-Name", skill.name), ("Skill-Trigger", trigger),
            ("Skill-Version", f"{before}..{ZERO_VERSION}")])
        stream.commit(index, AGENT, msg + "\n", [f"R skills/{skill.name} skills_attic/{skill.name}\n".encode()])
        skill.location = "skills_attic"
    else:
        skill = state.skills[rng.choice(candidates)]
        before = blob_id(skill.text())
        at = rng.randrange(2, len(skill.lines))
        skill.lines[at] = f"Pitfall {index}: run the failing command once with --verbose before retrying."
        skill.lines.insert(at + 1, f"Then compare its output with the working run ({index}).")
        if len(skill.lines) > 60:
            del skill.lines[3:8]
        after = skill.text()
        msg = f"skillgit: refine {skill.name}\n\nAdd the pitfall seen in the last sessions.\n\n" + trailers([
            ("Skill-Event", "refine"), ("Skill-Name", skill.name), ("Skill-Trigger", trigger),
            ("Skill-Version", f"{before}..{blob_id(after)}"),
            ("Skill-Expected", "win_rate >= 0.6 within 5 sessions; else revert the pitfall"),
            ("Skill-Eval-Summary", "train 2 better 0 worse 1 tie")])
        stream.commit(index, AGENT, msg + "\n", [put(f"skills/{skill.name}/SKILL.md", after)])
    skill.last_touch = index
    state.changes[skill.name] = state.changes.get(skill.name, 0) + 1
    state.cycles.append(index)
    state.agent_real += 1


def pull_request(stream: Stream, index: int, author: tuple[str, str]) -> None:
    """A branch forked a few main commits back with one new file, merged into main with `--no-ff` (the
    merge's tree is exactly the clean merge of its parents)."""
    fork = stream.main_marks[-4] if len(stream.main_marks) >= 4 else stream.main
    note = put(f"docs/note_{index:06d}.md", f"# Note {index}\n\nWritten on a branch.\n".encode())
    side = stream.commit(index, author, f"Add note {index}\n", [note], ref="pr", parent=fork)
    stream.commit(index, author, f"Merge pull request #{index}\n\nAdd note {index}.\n", [note], merge=side)


def generate(commits: int, events: int, skills: int, out: Path, seed: int = 7, merge_every: int = 0) -> dict[str, object]:
    if commits < 2 or events > commits - 2:
        raise SystemExit("need --commits >= 2 and --events <= commits - 2")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(out)], check=True)
    state = State(random.Random(seed))
    stream = Stream(out)
    ops = []
    for i in range(skills):
        origin = "yoyo" if i % 2 == 0 else "creator"
        skill = new_skill(state.rng, i, origin)
        state.skills[skill.name] = skill
        ops.append(put(f"skills/{skill.name}/SKILL.md", skill.text()))
    evolve = Skill("skill-evolve", "creator", "Evolve your own skills from past sessions", ["evolve", "meta", "cycle"],
                   ["## Hard rules", "", "1. Never edit this skill."])
    state.skills[evolve.name] = evolve
    ops.append(put("skills/skill-evolve/SKILL.md", evolve.text()))
    ops.extend(put(f"src/mod_{m:03d}.py", f"# module {m}\n".encode()) for m in range(200))
    stream.commit(0, MAINTAINER, "Import skills and code\n", ops)
    stream.commit(1, MAINTAINER, "skillgit: init\n\nskillgit manages the skills under skills/ from this commit on.\n\n"
                  "Skill-Event: init\n", [put("skillgit.yaml", CONFIG.encode())])
    modules = {m: [f"# module {m}"] for m in range(200)}
    every = (commits - 2) / events if events else 0.0
    next_event = 2 + every / 2 if events else float("inf")
    done_events = 0
    for index in range(2, commits):
        if done_events < events and index >= next_event:
            event(state, stream, index, {})
            done_events += 1
            next_event += every
            continue
        if merge_every and index % merge_every == 0:
            pull_request(stream, index, DEVELOPERS[index % len(DEVELOPERS)])
            continue
        module = state.rng.randrange(200)
        modules[module].append(f"value_{index} = {index}")
        text = ("\n".join(modules[module][-40:]) + "\n").encode()
        author = DEVELOPERS[index % len(DEVELOPERS)]
        stream.commit(index, author, f"Update module {module} (change {index})\n\nKeep the values in order.\n",
                      [put(f"src/mod_{module:03d}.py", text)])
    stream.close()
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=out, check=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=out, capture_output=True, text=True, check=True).stdout.strip()
    busiest = max(state.changes, key=lambda n: (state.changes[n], n)) if state.changes else None
    manifest = {
        "path": str(out), "commits": commits, "events": events + 1, "skills": skills, "head": head,
        "busiest_skill": busiest, "busiest_changes": state.changes.get(busiest, 0) if busiest else 0, "seed": seed,
        "merge_every": merge_every,
    }
    (out / ".git" / "bench-manifest.json").write_text(json.dumps(manifest, indent=2))
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--skills", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--merge-every", type=int, default=0,
                        help="make every Nth ordinary commit a merged pull request (a side commit and a merge)")
    parser.add_argument("--out", type=Path, default=Path("/tmp/sg-bench-repo"))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    manifest = generate(args.commits, args.events, args.skills, args.out, args.seed, args.merge_every)
    manifest["seconds"] = round(time.perf_counter() - started, 1)
    json.dump(manifest, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
