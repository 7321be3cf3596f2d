"""Conventions kept honest: every rule is well-formed, documented in docs/rules.md and tested."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import ROOT

from skillgit.policy.rules import RULES

DOCS = ROOT / "docs" / "rules.md"
TESTS = sorted(Path(__file__).parent.glob("test_rules*.py"))


def section(rule_id: str) -> str:
    text = DOCS.read_text(encoding="utf-8")
    match = re.search(rf"^## {rule_id} (?P<name>\S+)\n(?P<body>.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"docs/rules.md has no `## {rule_id} <name>` section"
    return match.group(0)


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_every_rule_is_well_formed(rule_id: str) -> None:
    rule = RULES[rule_id]
    assert rule.id == rule_id
    assert re.fullmatch(r"[a-z]+(?:-[a-z]+)*", rule.name), rule.name
    assert isinstance(rule.agent_only, bool)
    assert type(rule).__doc__, f"{rule_id} has no docstring"


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_every_rule_has_a_docs_section_with_name_options_and_examples(rule_id: str) -> None:
    rule = RULES[rule_id]
    text = section(rule_id)
    assert text.startswith(f"## {rule_id} {rule.name}\n")
    agent_line = re.search(r"\*\*Agent-only:\*\* (\w+)", text)
    assert agent_line and agent_line.group(1) == ("yes" if rule.agent_only else "no")
    assert "**Options:**" in text
    assert "Fails" in text and "Passes" in text


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_every_rule_has_tests(rule_id: str) -> None:
    prefix = f"test_{rule_id.lower()}_"
    found = [p.name for p in TESTS if re.search(rf"^def {prefix}", p.read_text(encoding="utf-8"), re.MULTILINE)]
    assert found, f"no test function named {prefix}… in tests/test_rules*.py"


def test_the_rule_table_in_the_docs_lists_every_rule_once() -> None:
    text = DOCS.read_text(encoding="utf-8")
    rows = re.findall(r"^\| \[(SG\d{3})\]\(#[^)]*\) \| `([a-z-]+)` \|", text, re.MULTILINE)
    assert rows == [(rule_id, RULES[rule_id].name) for rule_id in sorted(RULES)]


def test_every_rendered_example_in_the_docs_names_a_real_rule() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for rule_id, name in re.findall(r"\((SG\d{3}) ([a-z-]+)\)\. ", text):
        assert RULES[rule_id].name == name
