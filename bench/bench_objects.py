"""How a command reads git objects: `git cat-file --batch` (skillgit's `BlobReader`) beside pygit2.

    pip install pygit2   # bench only: skillgit itself does not use it
    python bench/bench_objects.py [--repo DIR] [--runs 11]

Each measurement is a fresh Python process, as a command or a hook is: it opens the repository and
reads N blobs (N = 1, 20, 1000) one by one, through one `git cat-file --batch` process or through
pygit2 (imported and opened in that process). The anchor is `python -c pass` in the same run; the
table gives medians and each method's time over the anchor's.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CAT_FILE = """
import sys
from pathlib import Path
from skillgit.git.blobs import BlobReader
oids = sys.stdin.read().split()
with BlobReader(Path(sys.argv[1])) as reader:
    for oid in oids:
        reader.read(oid)
"""

PYGIT2 = """
import sys
import pygit2
oids = sys.stdin.read().split()
repo = pygit2.Repository(sys.argv[1])
for oid in oids:
    bytes(repo[oid].data)
"""


def timed(code: str, repo: Path, oids: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, str(repo)], input="\n".join(oids), text=True, check=True, cwd=ROOT)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=ROOT, help="a repository with at least 1,000 files at HEAD")
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    listing = subprocess.run(["git", "-C", str(args.repo), "ls-tree", "-r", "HEAD"], capture_output=True, text=True, check=True)
    blobs = [line.split()[2] for line in listing.stdout.splitlines() if line.split()[1] == "blob"]
    print(f"{args.repo}: {len(blobs)} blobs at HEAD; {args.runs} runs each, interleaved")
    anchor: list[float] = []
    rows: dict[tuple[str, int], list[float]] = {}
    for _ in range(args.runs):
        anchor.append(timed("pass", args.repo, []))
        for n in (1, 20, 1000):
            oids = blobs[:n]
            for name, code in (("cat-file --batch", CAT_FILE), ("pygit2", PYGIT2)):
                rows.setdefault((name, len(oids)), []).append(timed(code, args.repo, oids))
    base = statistics.median(anchor)
    print(f"{'anchor: python -c pass':28} {base * 1000:8.1f} ms")
    for (name, n), times in rows.items():
        median = statistics.median(times)
        print(f"{name:18} {n:5d} blobs {median * 1000:8.1f} ms   over the anchor {(median - base) * 1000:8.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
