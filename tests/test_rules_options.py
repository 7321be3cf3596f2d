"""Every rule's declared options, the config schema, docs/rules.md and docs/config.md say the same:
each declared option is in the schema with its type, default and description, and documented under
its rule with its default; each option documented under a rule is declared by it; every `policy.*`
key belongs to a rule."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pytest
from conftest import ROOT

from skillgit.config import Config
from skillgit.policy.model import Option
from skillgit.policy.rules import RULES
from skillgit.schemas import load_schema

RULES_DOC = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
CONFIG_DOC = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
DECLARED = [(rule_id, option) for rule_id, rule in sorted(RULES.items()) for option in rule.options]
NOT_A_RULE_OPTION = {"policy.disabled"}
"""`policy` keys that belong to the rule set as a whole, not to one rule."""


def schema_of(key: str) -> Mapping[str, Any]:
    node: Mapping[str, Any] = load_schema("config")
    for part in key.split("."):
        assert part in node.get("properties", {}), f"`{key}` is not in the config schema"
        node = node["properties"][part]
    return node


def section(rule_id: str) -> str:
    match = re.search(rf"^## {rule_id} .*?(?=^## |\Z)", RULES_DOC, re.MULTILINE | re.DOTALL)
    assert match, f"docs/rules.md has no section for {rule_id}"
    return match.group(0)


def field_line(rule_id: str, label: str) -> str:
    """The `- **Options:** …` (or Checks) entry of a rule's section, continuation lines joined."""
    match = re.search(rf"^- \*\*{label}:\*\* (.*?)(?=^- |^$)", section(rule_id), re.MULTILINE | re.DOTALL)
    assert match, f"docs/rules.md, {rule_id}: no **{label}:** line"
    return " ".join(match.group(1).split())


def documented_options(rule_id: str) -> dict[str, str]:
    """Config key → the text in parentheses after it (its default), for each key the Options line names."""
    line = field_line(rule_id, "Options")
    out: dict[str, str] = {}
    for match in re.finditer(r"`([a-z_]+\.[a-z_]+)`(?: \(((?:[^()]|\([^()]*\))*)\))?", line):
        out[match.group(1)] = match.group(2) or ""
    return out


def documented_default(text: str) -> object:
    """The default that a parenthesis of the Options line states: `none`, a number, `a value`, or a list."""
    text = text.removeprefix("default:").strip()
    if text.startswith("none"):
        return None
    values = re.findall(r"`([^`]*)`", text.split(")")[0])
    if re.match(r"-?\d", text):
        number = re.match(r"-?\d+(?:\.\d+)?", text)
        assert number is not None
        return float(number.group(0))
    return values


@pytest.mark.parametrize(("rule_id", "option"), DECLARED, ids=[f"{r}-{o.key}" for r, o in DECLARED])
def test_a_declared_option_is_in_the_schema_with_its_type_default_and_description(rule_id: str, option: Option) -> None:
    node = schema_of(option.key)
    kind = node.get("type", "string" if "enum" in node else None)
    assert (kind if isinstance(kind, str) else "|".join(kind)) == option.type, f"{rule_id} {option.key}: type"
    assert node.get("default") == option.default, f"{rule_id} {option.key}: default"
    assert node.get("description") == option.description, f"{rule_id} {option.key}: description"
    assert tuple(node.get("enum", ())) == option.choices, f"{rule_id} {option.key}: choices"


@pytest.mark.parametrize(("rule_id", "option"), DECLARED, ids=[f"{r}-{o.key}" for r, o in DECLARED])
def test_a_declared_option_is_what_the_config_gives_by_default(rule_id: str, option: Option) -> None:
    section_name, key = option.key.split(".")
    assert getattr(getattr(Config.defaults(), section_name), key) == option.default


@pytest.mark.parametrize(("rule_id", "option"), DECLARED, ids=[f"{r}-{o.key}" for r, o in DECLARED])
def test_a_declared_option_is_documented_under_its_rule_with_its_default(rule_id: str, option: Option) -> None:
    documented = documented_options(rule_id)
    assert option.key in documented, f"docs/rules.md, {rule_id}: the Options line does not name `{option.key}`"
    stated = documented_default(documented[option.key])
    if isinstance(option.default, list):
        assert stated == option.default, f"docs/rules.md, {rule_id} {option.key}: default"
    elif isinstance(option.default, str):
        assert stated == [option.default], f"docs/rules.md, {rule_id} {option.key}: default"
    else:
        assert stated == option.default, f"docs/rules.md, {rule_id} {option.key}: default"
    row = re.search(rf"^\| `{re.escape(option.key)}` \|[^\n]*\|", CONFIG_DOC, re.MULTILINE)
    assert row and option.description in row.group(0), f"docs/config.md: `{option.key}` without its description"


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_every_option_documented_under_a_rule_is_declared_by_it(rule_id: str) -> None:
    declared = {option.key for option in RULES[rule_id].options}
    assert set(documented_options(rule_id)) == declared


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_a_rules_checks_are_documented_under_it(rule_id: str) -> None:
    checks = RULES[rule_id].checks
    if not checks:
        assert "**Checks:**" not in section(rule_id)
        return
    assert re.findall(r"`([a-z-]+)`", field_line(rule_id, "Checks")) == list(checks)
    pattern = schema_of("policy.disabled")["items"]["pattern"]
    assert all(re.fullmatch(pattern, f"{rule_id}/{check}") for check in checks)


def test_every_policy_key_belongs_to_a_rule() -> None:
    declared = {option.key for _rule, option in DECLARED}
    keys = {f"policy.{key}" for key in schema_of("policy")["properties"]}
    assert keys - NOT_A_RULE_OPTION <= declared, sorted(keys - NOT_A_RULE_OPTION - declared)


def test_an_option_declared_by_two_rules_is_the_same_option() -> None:
    seen: dict[str, Option] = {}
    for rule_id, option in DECLARED:
        assert seen.setdefault(option.key, option) == option, f"{rule_id} declares `{option.key}` differently"


def test_a_rule_describes_itself() -> None:
    for rule_id, rule in RULES.items():
        assert rule.description.startswith(f"{rule_id}: "), rule.description


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_the_settings_a_rule_derives_inputs_from_are_documented_under_it_and_are_no_rules_options(rule_id: str) -> None:
    reads = RULES[rule_id].reads
    if not reads:
        assert "**Reads:**" not in section(rule_id)
        return
    assert re.findall(r"`([a-z_]+\.[a-z_]+)`", field_line(rule_id, "Reads")) == list(reads)
    assert all(schema_of(key) for key in reads)
    assert sorted(set(reads) & {option.key for _rule, option in DECLARED}) == []


class Recording:
    """A config that notes each `section.key` read through it (`layout` is `paths.skills` and `paths.attic`)."""

    def __init__(self, value: object, seen: set[str], section: str = "") -> None:
        self._value, self._seen, self._section = value, seen, section

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._value, name)
        if self._section:
            self._seen.add(f"{self._section}.{name}")
            return value
        if name == "layout":
            self._seen.update(("paths.skills", "paths.attic"))
            return value
        return Recording(value, self._seen, name)


def test_sg003_reads_from_the_config_exactly_its_options_and_the_settings_it_declares() -> None:
    from skillgit import trailers as T
    from skillgit.policy.model import Change, FileChange
    from skillgit.trailers import Message, Trailers

    config = Config.from_text("agent:\n  origin: yoyo\n  self_skill: evolve\neval:\n  runner: python3 tools/run.py\n"
                              "  judge: python3 -m judge.main\ntraces:\n  sources:\n    - {path: traces/, format: native}\n")
    paths = ["skills/evolve/SKILL.md", "skills/lint/evals/holdout.jsonl", "tools/run.py", "judge/main.py", "traces/a.jsonl",
             "memory/learnings.jsonl", ".github/ci.yml", "skills/lint/SKILL.md", "notes.txt"]
    blobs = {"old": b"a\n", "new": b"b\n"}
    change = Change(None, None, "bot", "bot@x.org", Message("x", "", Trailers(((T.EVENT, "no-op"),))),
                    tuple(FileChange("M", p, "old", "new", "100644") for p in paths), True, blobs.__getitem__)
    seen: set[str] = set()
    rule = RULES["SG003"]
    assert [v.path for v in rule.check(change, Recording(config, seen))] == paths[:-2]  # type: ignore[arg-type]
    assert seen == {option.key for option in rule.options} | set(rule.reads)


@pytest.mark.parametrize("skills", ["skills", "[skills, extra]", "['plugins/*/skills']"])
def test_sg003_a_runner_inside_a_skill_protects_its_files_not_the_skill_folder_whatever_the_roots(skills: str) -> None:
    from skillgit.policy.rules.protected import protected_reason

    root = "plugins/a/skills" if "plugins" in skills else "skills"
    config = Config.from_text(f"paths:\n  skills: {skills}\neval:\n  runner: python3 {root}/lint/run.py\n")
    assert protected_reason(f"{root}/lint/run.py", config) is not None
    assert protected_reason(f"{root}/lint/SKILL.md", config) is None
