"""Looks for the repository from inside a sandbox and prints what it found as one JSON object.

argv[1]: the repository's absolute path (learned out of band). Every other argument is a path to
try writing to. Each way in is tried: the path itself, $PWD and its parents, /proc/$PPID/cwd,
$OLDPWD, $GIT_DIR, and git run from each of them.
"""

import json
import os
import subprocess
import sys

repo = sys.argv[1]
HOLDOUT = "skills/release/evals/holdout.jsonl"


def read(path):
    try:
        with open(path, encoding="utf-8") as f:
            return "read: " + f.read(200)
    except OSError as exc:
        return f"blocked: {exc.strerror}"


def proc_cwd(pid):
    try:
        return os.readlink(f"/proc/{pid}/cwd")
    except OSError as exc:
        return f"blocked: {exc.strerror}"


pwd = os.environ.get("PWD", "")
ways = {"absolute": repo, "PWD": pwd, "PWD/../..": os.path.join(pwd, "..", ".."),
        "/proc/PPID/cwd": f"/proc/{os.getppid()}/cwd", "/proc/1/cwd": "/proc/1/cwd",
        "OLDPWD": os.environ.get("OLDPWD", ""), "GIT_DIR/..": os.path.join(os.environ.get("GIT_DIR", "/nonexistent"), "..")}
found = {
    "cwd": os.getcwd(), "pwd": pwd, "oldpwd": os.environ.get("OLDPWD"), "git_dir": os.environ.get("GIT_DIR"),
    "home": os.environ.get("HOME"), "ppid_cwd": proc_cwd(os.getppid()), "pid1_cwd": proc_cwd(1),
    "repo_exists": os.path.exists(repo), "git_dir_exists": os.path.exists(os.path.join(repo, ".git")),
    "holdout": {name: read(os.path.join(base, HOLDOUT)) for name, base in ways.items() if base},
    "git": {}, "writes": {},
}
for name, base in ways.items():
    if base:
        done = subprocess.run(["git", "-C", base, "show", f"HEAD:{HOLDOUT}"], capture_output=True, text=True)
        found["git"][name] = "read" if done.returncode == 0 else f"blocked: {done.stderr.strip()[:120]}"
for target in sys.argv[2:]:
    try:
        with open(target, "a", encoding="utf-8") as f:
            f.write("written from the sandbox\n")
        found["writes"][target] = "written"
    except OSError as exc:
        found["writes"][target] = f"blocked: {exc.strerror}"
print(json.dumps(found))
