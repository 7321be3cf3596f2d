"""Bad input from a hostile or broken source: a clear error naming the place and exit 2 (a skip with a
warning for a trace source), never a traceback (exit 70) and never a hang."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from attackkit import Attacker, head, maintainer, sg
from conftest import git

EXPECTED = "win_rate >= 0.6 within 5 sessions; else revert the pitfall"
UNBUILDABLE = {
    "impossible date": "2020-02-30",
    "int tag on text": '!!int "x"',
    "float tag on text": '!!float "x"',
    "bool tag on maybe": '!!bool "maybe"',
    "5000-digit int": "1" * 5000,
}


def no_crash(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode != 70 and "internal error" not in result.stderr, result.stderr


@pytest.mark.parametrize("value", UNBUILDABLE.values(), ids=UNBUILDABLE.keys())
def test_an_unbuildable_value_in_a_committed_skill_is_reported_by_every_command_and_hook(
    repo: Path, tmp_path: Path, value: str
) -> None:
    base = head(repo)
    person = maintainer(repo, tmp_path / "m")
    assert person.run(f"sed -i 's/^score: .*/score: {value}/' skills/social/SKILL.md\n"
                      "git commit -q --no-verify -am 'Social: score'\n").returncode == 0
    checks = {
        "validate": (sg(repo, "validate"), 2),
        "status": (sg(repo, "status"), 0),
        "verify": (sg(repo, "verify", f"{base}..HEAD"), 1),
    }
    for name, (result, code) in checks.items():
        no_crash(result)
        assert result.returncode == code, (name, result)
    assert "skills/social/SKILL.md: line 6: the value" in checks["verify"][0].stdout
    assert "skills/social/SKILL.md:6: error: the value" in checks["validate"][0].stdout
    hooked = person.run("echo '- steady' >> skills/social/SKILL.md\ngit commit -q -am 'Social: steady'\n")
    no_crash(hooked)
    assert hooked.returncode != 0 and "SG007 skills/social/SKILL.md: line 6: the value" in hooked.stderr
    other = person.run("echo notes > notes.md\ngit add notes.md\ngit commit -q -m 'Notes'\n")
    assert other.returncode == 0, other.stderr


@pytest.mark.parametrize("value", UNBUILDABLE.values(), ids=UNBUILDABLE.keys())
def test_an_unbuildable_value_in_the_committed_config_is_exit_2_everywhere(repo: Path, tmp_path: Path, value: str) -> None:
    person = maintainer(repo, tmp_path / "m")
    assert person.run(f"sed -i 's/^  min_sessions: 3/  min_sessions: {value}/' skillgit.yaml\n"
                      "git commit -q --no-verify -am 'Config: sessions'\n").returncode == 0
    assert value.split()[-1] in (repo / "skillgit.yaml").read_text()
    for args in (("status",), ("verify", "HEAD~1..HEAD"), ("verify", "HEAD"), ("validate",)):
        result = sg(repo, *args)
        no_crash(result)
        assert result.returncode == 2, (args, result)
        assert "skillgit.yaml" in result.stderr and "cannot be read as its YAML type" in result.stderr, result.stderr
    hooked = person.run("echo notes > notes.md\ngit add notes.md\ngit commit -q -m 'Notes'\n")
    no_crash(hooked)
    assert hooked.returncode != 0
    assert "cannot be read as its YAML type" in hooked.stderr and "git commit --no-verify" in hooked.stderr


def codex_rollout(where: Path, arguments: str) -> Path:
    session = "019bd6d8-b99b-7eb1-847c-87c3da10673a"
    lines = [
        {"timestamp": "2026-07-01T10:00:00.000Z", "type": "session_meta", "payload": {"id": session, "cwd": "/w"}},
        {"timestamp": "2026-07-01T10:00:01.000Z", "type": "response_item",
         "payload": {"type": "function_call", "name": "shell", "arguments": arguments, "call_id": "c1"}},
        {"timestamp": "2026-07-01T10:00:02.000Z", "type": "response_item",
         "payload": {"type": "function_call_output", "call_id": "c1", "output": "{" + '"a":' * 3000 + "1" + "}" * 3000}},
    ]
    path = where / "sessions" / "2026" / "07" / "01" / f"rollout-2026-07-01T10-00-00-{session}.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_a_trace_nested_50000_deep_is_read_without_a_crash(repo: Path, tmp_path: Path) -> None:
    rollout = codex_rollout(tmp_path / "codex", "[" * 50_000 + "]" * 50_000)
    plain = tmp_path / "deep.jsonl"
    plain.write_text('{"kind": "session", "x": ' + "[" * 50_000 + "]" * 50_000 + "}\n")
    for source in (rollout, plain):
        result = sg(repo, "ingest", str(source), timeout=60)
        no_crash(result)
        assert result.returncode == 0, result
    assert "deep.jsonl:1: not-json" in result.stderr


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.jsonl"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("source", ["fifo", "/dev/zero"])
def test_ingest_skips_a_fifo_or_a_device_with_a_warning(repo: Path, fifo: Path, source: str) -> None:
    path = str(fifo) if source == "fifo" else source
    result = sg(repo, "ingest", path, timeout=30)
    assert result.returncode == 0, result
    assert f"{path}: unreadable (not a regular file (a " in result.stderr


def test_ingest_skips_a_fifo_inside_a_trace_folder(repo: Path, tmp_path: Path) -> None:
    folder = tmp_path / "sessions" / "day-1"
    folder.mkdir(parents=True)
    os.mkfifo(folder / "outcome.json")
    os.mkfifo(folder / "audit.jsonl")
    result = sg(repo, "ingest", str(tmp_path / "sessions"), timeout=30)
    no_crash(result)
    assert "not a regular file (a FIFO)" in result.stderr


@pytest.mark.parametrize("source", ["fifo", "/dev/zero"])
@pytest.mark.parametrize("command", ["import-journal", "refine", "create"])
def test_a_fifo_or_device_given_as_a_file_is_exit_2(repo: Path, fifo: Path, source: str, command: str) -> None:
    path = str(fifo) if source == "fifo" else source
    args = {"import-journal": ("import-journal", path), "refine": ("refine", "social", "--from", path, "--expected", EXPECTED),
            "create": ("create", "flaky-build", "--from", path, "--expected", EXPECTED)}[command]
    result = sg(repo, *args, timeout=30)
    assert result.returncode == 2, result
    kind = "a FIFO" if source == "fifo" else "a character device"
    fix = "pass the path of the journal file, skills/_journal.md" if command == "import-journal" else "pass the path of the new SKILL.md file"
    assert result.stderr == f"skillgit: {'' if command == 'import-journal' else '--from '}{path}: not a regular file ({kind}); {fix}.\n"


def test_a_5000_character_candidate_is_exit_2(repo: Path) -> None:
    result = sg(repo, "eval", "run", "social", "--candidate", "x" * 5000)
    no_crash(result)
    assert result.returncode == 2
    assert len(result.stderr) < 600


def test_git_dir_naming_another_repository_than_dash_c_is_exit_2(repo: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    result = sg(repo, "status", env={"GIT_DIR": str(other / ".git")})
    no_crash(result)
    assert result.returncode == 2
    assert result.stderr == (f"skillgit: GIT_DIR={other}/.git names another repository ({other}/.git) than {repo} ({repo}/.git); "
                             "unset GIT_DIR, or point -C at that repository's work tree.\n")


def test_a_skills_path_outside_the_repository_is_refused(repo: Path, tmp_path: Path) -> None:
    person = maintainer(repo, tmp_path / "m")
    assert person.run("sed -i 's/^  skills: skills/  skills: ..\\/outside/' skillgit.yaml\n").returncode == 0
    result = sg(repo, "status")
    assert result.returncode == 2
    assert result.stderr == ("skillgit: skillgit.yaml: paths.skills: `../outside` is not a folder inside the repository; name one "
                             "relative to the repository root, written plainly (no `..`, `.` or `\\`); the default is `skills`.\n")


@pytest.mark.parametrize("spec", ["HEAD~1..HEAD..HEAD", "A..B..C", "HEAD~1...HEAD...HEAD"])
def test_a_range_with_two_dots_twice_is_exit_2_with_the_fix(repo: Path, spec: str) -> None:
    result = sg(repo, "verify", spec)
    assert result.returncode == 2
    assert result.stderr == f"skillgit: {spec!r} is not a range; pass BASE..HEAD, e.g. `skillgit verify origin/main..HEAD`.\n"


def test_an_agent_cannot_sneak_a_fifo_in_as_the_config(repo: Path, tmp_path: Path) -> None:
    agent = Attacker(repo, tmp_path / "a")
    assert agent.run("rm skillgit.yaml && mkfifo skillgit.yaml\n").returncode == 0
    result = sg(repo, "status", timeout=30)
    assert result.returncode == 2
    assert result.stderr == "skillgit: skillgit.yaml: cannot read it (not a regular file (a FIFO)); make it a regular YAML file.\n"
