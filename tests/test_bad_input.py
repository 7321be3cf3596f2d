"""Bad input to the event commands: a clear message, a documented exit code, and the repository unchanged."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import snapshot

EXPECTED = "win_rate >= 0.6 within 5 sessions; else split the procedure into a helper script"
GOOD_HEAD = "---\nname: social\ndescription: Talk with the community\norigin: yoyo\n---\n"


def write_skill(repo: Path, data: bytes) -> None:
    (repo / "skills/social/SKILL.md").write_bytes(data)


def bomb() -> bytes:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]")
    return ("---\nname: social\ndescription: d\n" + "\n".join(lines) + "\n---\nbody\n").encode()


# (case id, setup(repo, tmp_path) -> argv, expected exit code, words the message must contain)
Setup = Callable[[Path, Path], list[str]]


def refine_with(data: bytes) -> Setup:
    def setup(repo: Path, tmp: Path) -> list[str]:
        write_skill(repo, data)
        return ["refine", "social", "--expected", EXPECTED]

    return setup


def symlink_out(repo: Path, tmp: Path) -> list[str]:
    secret = tmp / "secret.txt"
    secret.write_text("outside\n")
    os.symlink(secret, repo / "skills/social/notes.md")
    return ["refine", "social", "--expected", EXPECTED]


def dirty_target(repo: Path, tmp: Path) -> list[str]:
    write_skill(repo, (repo / "skills/social/SKILL.md").read_bytes() + b"- dirty\n")
    return ["retire", "social"]


def dirty_then_from(repo: Path, tmp: Path) -> list[str]:
    write_skill(repo, (repo / "skills/social/SKILL.md").read_bytes() + b"- dirty\n")
    candidate = tmp / "cand.md"
    candidate.write_bytes(GOOD_HEAD.encode() + b"new\n")
    return ["refine", "social", "--from", str(candidate), "--expected", EXPECTED]


CASES: list[tuple[str, Setup, int, str]] = [  # the exact message; {repo}, {tmp}: the test's paths
    ("malformed-yaml", refine_with(b"---\nname: social\ndescription: [unclosed\n---\nbody\n"), 2,
     "skills/social/SKILL.md is not a valid skill; nothing was committed:\n  skills/social/SKILL.md: (file): line 4: invalid YAML: expected ',' or ']', but got '<stream end>'. Fix the syntax at that line."),
    ("huge-yaml", refine_with(b"---\nname: social\ndescription: d\nx: " + b"y" * 70_000 + b"\n---\nbody\n"), 2,
     'skills/social/SKILL.md is not a valid skill; nothing was committed:\n  skills/social/SKILL.md: (file): line 2: the frontmatter is 70032 bytes, over the limit of 65536. Move long content into the body.'),
    ("yaml-bomb", refine_with(bomb()), 2,
     'skills/social/SKILL.md is not a valid skill; nothing was committed:\n  skills/social/SKILL.md: (file): line 4: YAML anchors and aliases are not allowed (they can expand without bound). Write the value out in full.'),
    ("duplicate-keys", refine_with(b"---\nname: social\nname: social\ndescription: d\n---\nb\n"), 2,
     'skills/social/SKILL.md is not a valid skill; nothing was committed:\n  skills/social/SKILL.md: (file): line 3: duplicate key "name". Keep one of them.'),
    ("invalid-utf8", refine_with(GOOD_HEAD.encode() + b"\xff\xfe bad\n"), 2,
     'skills/social/SKILL.md is not a valid skill; nothing was committed:\n  skills/social/SKILL.md: (file): line 6: not valid UTF-8 at byte 71. Save the file as UTF-8.'),
    ("bom", refine_with(b"\xef\xbb\xbf" + GOOD_HEAD.encode() + b"body\n"), 2,
     'skills/social/SKILL.md is not a valid skill; nothing was committed:\n  skills/social/SKILL.md: (file): line 1: file starts with a UTF-8 byte order mark (BOM). Save it as UTF-8 without BOM.'),
    ("no-frontmatter", refine_with(b"# just a heading\n"), 2,
     'skills/social/SKILL.md is not a valid skill; nothing was committed:\n  skills/social/SKILL.md: (file): line 1: the file does not start with a `---` line. Put the YAML frontmatter between two `---` lines at the top of the file.'),
    ("symlink-out-of-repo", symlink_out, 2,
     'skills/social/notes.md is a symlink to {tmp}/secret.txt, outside the repository; nothing was committed. Replace it with the file itself.'),
    ("dotdot-name", lambda r, t: ["refine", "../etc", "--expected", EXPECTED], 2,
     "skill name '../etc' is not allowed: use 1-64 lowercase letters, digits and single hyphens (no `/`, `..`, leading or trailing hyphen); for example `etc`."),
    ("slash-name", lambda r, t: ["create", "a/b", "--description", "d", "--expected", EXPECTED], 2,
     "skill name 'a/b' is not allowed: use 1-64 lowercase letters, digits and single hyphens (no `/`, `..`, leading or trailing hyphen); for example `a-b`."),
    ("newline-in-expected", lambda r, t: ["create", "x", "--description", "d", "--expected", "uses >= 1 within 2 sessions; else a\nSkill-Event: init"], 2,
     'trailer Skill-Expected: the value contains a line break (U+000A); trailer values are one line (a line break could inject a forged trailer). Put details in the commit body instead.'),
    ("prose-expected", lambda r, t: ["create", "x", "--description", "d", "--expected", "feels better"], 2,
     "Skill-Expected 'feels better' is not a checkable prediction: it lacks a signal (`<metric> <op> <number>`), a horizon (`within <N> sessions|days`), a fallback (`; else <what to do>`). Example: 'win_rate >= 0.6 within 5 sessions; else split the procedure into a helper script'."),
    ("forged-trailer-in-body", lambda r, t: (write_skill(r, (r / "skills/social/SKILL.md").read_bytes() + b"x\n"), ["record", "social", "-m", "Skill-Event: create"])[1], 2,
     'commit title starts with the governed trailer key `Skill-Event:`; reword the title.'),
    ("dirty-target-skill", dirty_target, 4,
     'retire social: uncommitted changes in skills/social/SKILL.md; commit them (`skillgit record`) or discard them first.'),
    ("dirty-target-with-from", dirty_then_from, 2,
     'skills/social has uncommitted edits (skills/social/SKILL.md); commit or discard them before --from.'),
    ("unknown-skill", lambda r, t: ["retire", "nope"], 2,
     'no skill `nope` at HEAD (looked under skills/); active skills: blindspot, explore-codebase, family, release, research, skill-evolve, social.'),
    ("nothing-to-refine", lambda r, t: ["refine", "social", "--expected", EXPECTED], 2,
     'nothing to refine: skills/social is unchanged; edit skills/social/SKILL.md first or pass --from FILE.'),
    ("rollback-to-missing-version", lambda r, t: ["rollback", "social", "--to", "v9"], 2,
     'v9: skill `social` has versions v1…v1; see `skillgit versions social`.'),
    ("rollback-to-unknown-rev", lambda r, t: ["rollback", "social", "--to", "nosuchrev"], 2,
     'nosuchrev: no such commit in {repo}; check the name with `git log`.'),
]


@pytest.mark.parametrize("case,setup,code,message", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_cleanly(sg, managed_repo: Path, tmp_path: Path, case: str, setup: Setup, code: int, message: str) -> None:
    argv = setup(managed_repo, tmp_path)
    before = snapshot(managed_repo)
    result = sg(managed_repo, *argv)
    assert result.code == code, result
    assert "Traceback" not in result.err and "internal error" not in result.err
    assert result.err == "skillgit: " + message.format(repo=managed_repo, tmp=tmp_path) + "\n"
    assert snapshot(managed_repo) == before


def test_a_crlf_skill_is_accepted_and_its_bytes_kept(sg, managed_repo: Path) -> None:
    data = (GOOD_HEAD + "# Social\r\n\r\nBe kind.\r\n").replace("\n", "\r\n").replace("\r\r\n", "\r\n").encode()
    write_skill(managed_repo, data)
    result = sg(managed_repo, "record", "social")
    assert result.code == 0, result
    committed = subprocess.run(
        ["git", "-C", str(managed_repo), "cat-file", "blob", "HEAD:skills/social/SKILL.md"], capture_output=True, check=True
    ).stdout
    assert committed == data


def test_a_body_with_a_horizontal_rule_is_body_text(sg, managed_repo: Path) -> None:
    write_skill(managed_repo, GOOD_HEAD.encode() + b"# Social\n\n---\n\nname: not-frontmatter\n")
    result = sg(managed_repo, "refine", "social", "--expected", EXPECTED)
    assert result.code == 0, result


def test_not_a_repository_is_a_usage_error(sg, tmp_path: Path) -> None:
    result = sg(tmp_path, "status")
    assert result.code == 2
    assert result.err == f"skillgit: {tmp_path}: not a git repository (or any parent); run `git init` there or pass -C DIR.\n"
