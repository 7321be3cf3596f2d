"""`skillgit report`: the demo repository's page rendered by headless Chromium and read through the DOM;
escaping against hostile commit text; the Markdown for pull requests and the CI step summary."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from browser import load
from conftest import as_agent, git

SKILL_JS = """[...document.querySelectorAll('section.skill')].map(s => ({
  name: s.dataset.skill, versions: Number(s.dataset.versions), events: Number(s.dataset.events),
  versionRows: s.querySelectorAll('tr.version-row').length, eventRows: s.querySelectorAll('tr.event-row').length,
  drawn: s.querySelectorAll('.js-plotly-plot .main-svg').length > 0}))"""
READY_JS = ("document.querySelectorAll('.plotly-graph-div').length > 0 && [...document.querySelectorAll('.plotly-graph-div')]"
            ".every(d => d.querySelector('.main-svg'))")


@pytest.fixture(scope="module")
def demo_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("demo") / "repo"
    done = subprocess.run([sys.executable, "-m", "skillgit", "demo", str(target)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return target


def report(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed `skillgit report`, as a user or CI runs it."""
    return subprocess.run([sys.executable, "-m", "skillgit", "-C", str(repo), "report", *args], capture_output=True, text=True)


def skill_folders(repo: Path) -> dict[str, str]:
    """Skill name → folder at HEAD, from git's own tree listing."""
    found = {}
    for path in git(repo, "ls-tree", "-r", "--name-only", "HEAD").splitlines():
        parts = path.split("/")
        if parts[-1] == "SKILL.md" and len(parts) == 3 and parts[0] in ("skills", "skills_attic"):
            found[parts[-2]] = "/".join(parts[:-1])
    return found


def test_the_demo_page_shows_every_skill_its_versions_and_events_offline(demo_repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    done = report(demo_repo, "-o", str(out))
    assert done.returncode == 0, done.stderr
    folders = skill_folders(demo_repo)
    expected_versions = {}
    for name, folder in folders.items():
        expected_versions[name] = len(git(demo_repo, "log", "--format=%H", "--", f"skills/{name}", f"skills_attic/{name}").split())
    named = git(demo_repo, "log", "--format=%(trailers:key=Skill-Name,valueonly)%x00").split("\0")
    expected_events = Counter(n.strip() for n in named if n.strip())
    all_events = len(git(demo_repo, "log", "--format=%(trailers:key=Skill-Event,valueonly)%x00").replace("\0", " ").split())

    page = load(out, {
        "skills": SKILL_JS,
        "events": "document.querySelectorAll('table.events tr.event-row').length",
        "verify": "document.querySelector('[data-verify]').dataset.verify",
        "charts": "document.querySelectorAll('.js-plotly-plot').length",
        "decisions": "document.querySelectorAll('.decision').length",
        "predictions": "document.querySelectorAll('tr.prediction-row').length",
        "cases": "[...document.querySelectorAll('tr.case')].map(tr => [...tr.cells].map(td => td.textContent))",
        "inventory": "[...document.querySelectorAll('tr.inventory-row td:first-child')].map(td => td.textContent)",
        "text": "document.body.innerText",
    }, ready=READY_JS)

    assert page.errors == [], page.errors
    assert page.requests == [out.resolve().as_uri()], f"the page fetched more than itself: {page.requests}"
    assert page.screenshot.startswith(b"\x89PNG") and len(page.screenshot) > 50_000
    (tmp_path / "report.png").write_bytes(page.screenshot)
    shown = {s["name"]: s for s in page.values["skills"]}
    assert set(shown) == set(folders), (set(shown), set(folders))
    assert sorted(page.values["inventory"]) == sorted(folders)
    for name, s in shown.items():
        assert s["versions"] == s["versionRows"] == expected_versions[name], (name, s, expected_versions[name])
        assert s["events"] == s["eventRows"] == expected_events.get(name, 0), (name, s)
        assert s["drawn"], f"the chart of {name} was not drawn"
    assert shown["release"]["versions"] == 4 and shown["release"]["events"] == 3
    assert page.values["events"] == all_events == 9
    assert page.values["verify"] == "ok"
    assert page.values["charts"] == len(folders) + 2  # a timeline per skill, the holdout chart, the predictions
    assert page.values["decisions"] == 2  # the gated refine of release, the refused family
    assert page.values["predictions"] == 3
    shown_cases = [(row[0], row[2], f"{row[3]} -> {row[4]}") for row in page.values["cases"]]
    assert sorted(shown_cases) == sorted((part, case or "(holdout case)", f"{a} -> {b}")
                                         for part, _, case, a, b in committed_counts(demo_repo))
    for word in ("hit", "miss", "accepted", "rejected", "old-deploy"):
        assert word in page.values["text"]


HOSTILE = '</script><script>document.body.dataset.pwned="script"</script><img src=x onerror="document.body.dataset.pwned=\'img\'">'


def test_hostile_commit_text_is_shown_as_text_never_run(managed_repo: Path, tmp_path: Path) -> None:
    agent = tmp_path / "agent.py"
    agent.write_text(
        "import subprocess, sys\n"
        "hostile = sys.argv[2]\n"
        "msg = f'skillgit: refused social {hostile}\\n\\n{hostile}\\n\\nSkill-Event: refused\\nSkill-Name: social\\n'"
        " f'Skill-Reason: {hostile}\\nSkill-Trigger: {hostile}\\n'\n"
        "subprocess.run(['git', '-C', sys.argv[1], 'commit', '-q', '--no-verify', '--allow-empty', '-m', msg], check=True)\n"
    )
    env = {**as_agent(), "GIT_AUTHOR_NAME": 'bot "&amp;" \'x\' end'}  # git itself drops < and > from names
    import os

    done = subprocess.run([sys.executable, str(agent), str(managed_repo), HOSTILE], env={**os.environ, **env})
    assert done.returncode == 0
    out = tmp_path / "hostile.html"
    made = report(managed_repo, "-o", str(out))
    assert made.returncode == 0, made.stderr
    html = out.read_text()
    assert HOSTILE not in html and "<img src=x" not in html
    page = load(out, {
        "pwned": "document.body.dataset.pwned || null",
        "images": "document.querySelectorAll('img').length",
        "bold": "document.querySelectorAll('b').length",
        "text": "document.body.innerText",
    }, ready=READY_JS)
    assert page.values["pwned"] is None
    assert page.values["images"] == 0 and page.values["bold"] == 0
    assert HOSTILE.replace("\n", " ") in page.values["text"]
    assert 'bot "&amp;" \'x\' end' in page.values["text"]
    assert page.errors == [], page.errors
    assert page.requests == [out.resolve().as_uri()]


def test_markdown_lists_the_events_of_a_range_with_trigger_gate_and_diffstat(demo_repo: Path) -> None:
    first_cycle = git(demo_repo, "log", "--format=%H", "--grep=Skill-Trigger", "--reverse").split()[0]
    since = git(demo_repo, "rev-parse", f"{first_cycle}~1").strip()
    done = report(demo_repo, "--format", "markdown", "--since", since)
    assert done.returncode == 0, done.stderr
    md = done.stdout
    events = git(demo_repo, "log", "--format=%h%x00%(trailers:key=Skill-Event,valueonly)", "--abbrev=12", f"{since}..HEAD")
    listed = [line.split("\0") for line in events.splitlines() if line.strip()]
    assert md.count("\n### `") == len(listed) == 5
    for short, kind in listed:
        assert f"### `{short}` {kind.strip()}" in md
    assert "**trigger:** release: complaints 2, win\\_rate 0.43" in md
    assert "**gate: accepted**" in md and "| holdout " in md
    assert "**gate: rejected**" in md
    assert "skills/release/SKILL.md | 15" in md
    assert "✅ verify" in md


def committed_counts(repo: Path) -> list[tuple[str, str, str, str, str]]:
    """(part, suite, case, champion, candidate) of every count line the gated refines committed, read with git."""
    rows = []
    for body in git(repo, "log", "--format=%B%x00", "--grep=Eval counts per case").split("\0"):
        for line in body.splitlines():
            if m := re.fullmatch(r'train "(.*)" "(.*)": (\d+/\d+) -> (\d+/\d+)', line.strip()):
                rows.append(("train", m[1], m[2], m[3], m[4]))
            elif m := re.fullmatch(r"holdout: (\d+/\d+) -> (\d+/\d+)", line.strip()):
                rows.append(("holdout", "", "", m[1], m[2]))
    return rows


def test_the_gate_decision_shows_each_case_with_its_counts(demo_repo: Path) -> None:
    expected = committed_counts(demo_repo)
    assert {part for part, *_ in expected} == {"train", "holdout"} and len(expected) >= 4
    data = json.loads(report(demo_repo, "--format", "json", "--no-verify").stdout)
    decision = next(d for s in data["skills"] for d in s["decisions"] if d["cases"])
    got = [(c["part"], c["suite"] or "", c["case"] or "", f"{c['champion']['passes']}/{c['champion']['runs']}",
            f"{c['candidate']['passes']}/{c['candidate']['runs']}") for c in decision["cases"]]
    assert sorted(got) == sorted(expected)
    assert decision["cases_error"] is None
    for c in decision["cases"]:
        low, high = c["candidate_interval"]
        assert 0 <= low <= c["candidate"]["passes"] / c["candidate"]["runs"] <= high <= 1
    md = report(demo_repo, "--format", "markdown").stdout
    assert "| part | case | champion | candidate | candidate 95% interval |" in md
    for part, suite, case, a, b in expected:
        name = f"{suite} / {case}" if part == "train" else "(holdout case)"
        assert f"| {part} | {name.replace('_', chr(92) + '_')} | {a} | {b} | [" in md


def test_hostile_case_ids_in_the_counts_are_text(managed_repo: Path) -> None:
    hostile = '<img src=x onerror=alert(1)>|`x`'
    message = ("skillgit: refine social\n\nEval counts per case, champion -> candidate (passes/runs; judge scores: "
               f"sum/runs/sum of squares):\n  train \"s\" {json.dumps(hostile)}: 1/2 -> 2/2\n  holdout: 0/2 -> 2/2\n\n"
               "Skill-Event: refine\nSkill-Name: social\n"
               "Skill-Eval-Summary: train ok n=1×2; holdout 0.00->1.00 +1.00 [+0.34,+1.00] n=1×2; runs 8\n")
    git(managed_repo, "commit", "-q", "--no-verify", "--allow-empty", "-m", message, env=as_agent())
    data = json.loads(report(managed_repo, "--format", "json", "--no-verify").stdout)
    cases = [c for s in data["skills"] for d in s["decisions"] for c in d["cases"]]
    assert [(c["part"], c["case"]) for c in cases] == [("train", hostile), ("holdout", None)]
    md = report(managed_repo, "--format", "markdown", "--no-verify").stdout
    row = next(line for line in md.splitlines() if line.startswith("| train | s / "))
    assert "<img" not in row and "&lt;img" in row and "\\|" in row and "\\`x\\`" in row


def test_markdown_text_cannot_break_out_of_its_line(managed_repo: Path) -> None:
    message = ("skillgit: refused social\n\nSkill-Event: refused\nSkill-Name: social\n"
               "Skill-Reason: <details><summary>x</summary> | col | `code` [link](javascript:alert(1)) **bold**\n")
    git(managed_repo, "commit", "-q", "--no-verify", "--allow-empty", "-m", message, env=as_agent())
    done = report(managed_repo, "--format", "markdown")
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith("- **reason:**"))
    assert "<details>" not in line and "&lt;details&gt;" in line
    assert "\\[link\\]" in line and "\\`code\\`" in line and "\\*\\*bold\\*\\*" in line and "\\|" in line


def test_verify_github_adds_the_report_to_the_step_summary(demo_repo: Path, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    since = git(demo_repo, "rev-list", "--max-parents=0", "HEAD").strip()
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    import os

    done = subprocess.run([sys.executable, "-m", "skillgit", "-C", str(demo_repo), "verify", f"{since}..HEAD",
                           "--format", "github"], capture_output=True, text=True, env={**os.environ, **env})
    assert done.returncode == 0, done.stderr
    text = summary.read_text()
    assert text.startswith("earlier step\n## skillgit verify")
    assert "## skillgit report" in text
    assert text.count("\n### `") == 9
    assert "**gate: accepted**" in text


def test_json_format_and_bad_input(demo_repo: Path, tmp_path: Path) -> None:
    done = report(demo_repo, "--format", "json", "--no-verify")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["verify"] is None and {s["name"] for s in data["skills"]} == set(skill_folders(demo_repo))
    bad = report(demo_repo, "--since", "no-such-rev", "--format", "json")
    assert bad.returncode == 2 and "no-such-rev" in bad.stderr and "Traceback" not in bad.stderr
    mine = tmp_path / "report.html"
    mine.write_text("my own notes\n")
    refused = subprocess.run([sys.executable, "-m", "skillgit", "-C", str(demo_repo), "report"], capture_output=True,
                             text=True, cwd=tmp_path)
    assert refused.returncode == 2 and "not a skillgit report" in refused.stderr
    assert mine.read_text() == "my own notes\n"
    missing = report(demo_repo, "-o", str(tmp_path / "no-such-dir" / "r.html"))
    assert missing.returncode == 2 and "no such directory" in missing.stderr


def test_without_plotly_the_html_report_says_how_to_install_it(demo_repo: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "plotly").mkdir()
    (blocker / "plotly" / "__init__.py").write_text("raise ImportError('blocked', name='plotly')\n")
    import os

    env = {**os.environ, "PYTHONPATH": str(blocker)}
    done = subprocess.run([sys.executable, "-m", "skillgit", "-C", str(demo_repo), "report", "-o", str(tmp_path / "r.html")],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 2, done
    assert "pip install 'skillgit[report]'" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "r.html").exists()
    assert report(demo_repo, "--format", "markdown").returncode == 0


def test_since_keeps_the_range_and_the_version_it_started_from(demo_repo: Path) -> None:
    refine = git(demo_repo, "log", "-1", "--format=%H", "--grep=Skill-Trigger", "--reverse", "--", "skills/release").strip()
    done = report(demo_repo, "--format", "json", "--since", refine, "--no-verify")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    in_range = set(git(demo_repo, "rev-list", f"{refine}..HEAD").split())
    assert {x["commit"] for x in data["events"]} == {c for c in in_range if git(demo_repo, "log", "-1", "--format=%(trailers:key=Skill-Event)", c).strip()}
    release = next(s for s in data["skills"] if s["name"] == "release")
    assert [(v["version"], v["in_range"]) for v in release["versions"]] == [("v2", False), ("v3", True), ("v4", True)]
    assert release["versions"][0]["commit"] == refine
    assert all(s["versions"] == [] for s in data["skills"] if s["name"] not in ("release",))


def _shape_problems(value: object, hint: object, where: str) -> list[str]:
    """Where `value` (read from JSON) differs from type `hint`: a TypedDict's keys (required, allowed) and,
    inside, the TypedDicts of its values, lists and optional values."""
    import typing

    if hint is None or hint is type(None):
        return [] if value is None else [f"{where}: {value!r} is not null"]
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, __import__("types").UnionType):
        if value is None and type(None) in args:
            return []
        found = [_shape_problems(value, a, where) for a in args if a is not type(None)]
        return [] if any(not f for f in found) else found[0]
    if typing.get_origin(hint) is list:
        if not isinstance(value, list):
            return [f"{where}: {type(value).__name__}, not a list"]
        return [p for i, item in enumerate(value) for p in _shape_problems(item, args[0], f"{where}[{i}]")]
    if typing.is_typeddict(hint):
        if not isinstance(value, dict):
            return [f"{where}: {type(value).__name__}, not a mapping"]
        hints = typing.get_type_hints(hint, localns={"JSON": object, "JSONObject": dict})  # JSON: any value
        problems = [f"{where}: key {k!r} is not in {hint.__name__}" for k in value if k not in hints]
        problems += [f"{where}: {hint.__name__} key {k!r} is missing" for k in hint.__required_keys__ if k not in value]
        return problems + [p for k, v in value.items() if k in hints for p in _shape_problems(v, hints[k], f"{where}.{k}")]
    return []


def test_the_json_report_has_the_shape_the_renderers_read(demo_repo: Path) -> None:
    """`skillgit.report.data` describes the report (and the parts other modules' `to_json` write): a real
    report, with verify, decisions, per-case counts and predictions, has exactly those keys."""
    from skillgit.report.data import ReportData

    done = report(demo_repo, "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    decisions = [d for s in data["skills"] for d in s["decisions"]]
    assert data["verify"]["violations"] is not None and data["predictions"] and decisions
    assert any(d["cases"] for d in decisions) and any(s["versions"] and s["events"] for s in data["skills"])
    assert _shape_problems(data, ReportData, "report") == []
    summary = report(demo_repo, "--format", "json", "--since", "HEAD~3", "--no-verify")
    assert _shape_problems(json.loads(summary.stdout), ReportData, "report") == []
