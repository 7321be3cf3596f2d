"""Progress on long commands: a bar on stderr when it is a terminal (a real pseudo-terminal here),
nothing when it is a pipe or a file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import git

COMMITS = 6000


@pytest.fixture(scope="module")
def long_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A managed repository with COMMITS ordinary commits after its `init` event, made by git fast-import."""
    repo = tmp_path_factory.mktemp("long") / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    stream = []
    for i in range(1, COMMITS + 1):
        data = f"line {i}\n"
        stream.append(f"commit refs/heads/main\nmark :{i}\ncommitter Dev <dev@example.com> {1_700_000_000 + i} +0000\n"
                      f"data {len(f'change {i}')}\nchange {i}\n"
                      + (f"from :{i - 1}\n" if i > 1 else "")
                      + f"M 100644 inline src/file.txt\ndata {len(data)}\n{data}\n")
    subprocess.run(["git", "-C", str(repo), "fast-import", "--quiet"], input="".join(stream), text=True, check=True)
    git(repo, "reset", "-q", "--hard", "main")
    (repo / "skills" / "one").mkdir(parents=True)
    (repo / "skills" / "one" / "SKILL.md").write_text("---\nname: one\ndescription: One skill\norigin: creator\n---\n\nDo one thing.\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Add a skill")
    from skillgit.cli import run

    assert run(["-C", str(repo), "init"]) == 0
    return repo


def on_terminal(repo: Path, *args: str) -> tuple[int, str, str]:
    """Run skillgit with stderr on a pseudo-terminal (stdout piped): exit code, stdout, what the terminal showed."""
    master, slave = os.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "skillgit", "-C", str(repo), *args], stdout=subprocess.PIPE,
                            stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    out = proc.stdout.read().decode() if proc.stdout else ""
    code = proc.wait()
    os.close(master)
    return code, out, shown.decode(errors="replace")


def test_verify_over_a_long_range_shows_a_bar_on_a_terminal_only(long_repo: Path) -> None:
    code, out, terminal = on_terminal(long_repo, "verify", "HEAD")
    assert code == 0, terminal
    assert "verifying" in terminal and f"{COMMITS + 2}/{COMMITS + 2}" in terminal
    piped = subprocess.run([sys.executable, "-m", "skillgit", "-C", str(long_repo), "verify", "HEAD"], capture_output=True,
                           text=True)
    assert piped.returncode == 0 and piped.stderr == ""
    assert "no violations" in piped.stdout


def test_a_short_range_and_json_output_show_no_bar(long_repo: Path) -> None:
    code, out, terminal = on_terminal(long_repo, "verify", "HEAD~10..HEAD")
    assert code == 0 and "verifying" not in terminal
    code, out, terminal = on_terminal(long_repo, "verify", "HEAD", "--format", "json")
    assert code == 0 and "verifying" not in terminal
    assert '"ok": true' in out


def test_report_shows_the_verify_bar_on_a_terminal(long_repo: Path, tmp_path: Path) -> None:
    code, out, terminal = on_terminal(long_repo, "report", "--format", "markdown", "-o", str(tmp_path / "r.md"))
    assert code == 0, terminal
    assert "verifying" in terminal and f"{COMMITS + 2}/{COMMITS + 2}" in terminal
    assert (tmp_path / "r.md").read_text().startswith("## skillgit report")


def test_the_cycle_shows_each_look_of_its_eval_gate_on_a_terminal_only(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from cycle_util import Clock, failing_release_batch, feed, make_repo

    clock = Clock(monkeypatch)
    repo = make_repo(tmp_path / "repo", clock)
    feed(repo, "a.jsonl", failing_release_batch(clock))
    clock.tick(hours=1)
    piped = subprocess.run([sys.executable, "-m", "skillgit", "-C", str(repo), "cycle", "--dry-run", "--now", clock.iso],
                           capture_output=True, text=True)
    assert piped.returncode == 0, piped.stderr
    assert "look 1/" not in piped.stderr
    code, out, terminal = on_terminal(repo, "cycle", "--on-propose", "auto", "--now", clock.iso, "--json")
    assert code == 0, terminal
    assert "look 1/" not in terminal and '"status": "committed"' in out
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    code, out, terminal = on_terminal(repo, "cycle", "--on-propose", "auto", "--now", clock.iso)
    assert code == 0, terminal
    assert "gate: look 1/" in terminal and "runs; train" in terminal, terminal
