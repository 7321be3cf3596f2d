"""The quick schema check only ever says "valid" when jsonschema agrees, and problems stay the same."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from conftest import CORPUS, CORPUS_FIX, needs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skillgit.model import fastschema
from skillgit.model.fastschema import certainly_valid
from skillgit.model.skill import parse_skill
from skillgit.model.validate import validate_skill, validate_skill_bytes
from skillgit.schemas import load_schema, schema_errors
from skillgit.yamlio import fast as fastyaml

SCHEMA = load_schema("skill")
SETTINGS = settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CORPUS_FILES = (sorted((CORPUS / "skills").rglob("SKILL.md")) if (CORPUS / "skills").is_dir() else []) + (
    sorted((CORPUS / "yoyo").glob("*SKILL.md")) if (CORPUS / "yoyo").is_dir() else [])
needs_corpus = needs(CORPUS_FILES, f"skills/ and yoyo/ of {CORPUS_FIX}")


@contextmanager
def as_before() -> Iterator[None]:
    """Validation exactly as it was: ruamel for every frontmatter, jsonschema for every schema check."""
    with mock.patch.object(fastschema, "certainly_valid", lambda instance, schema: False), \
            mock.patch.object(fastyaml, "load_simple", lambda text: fastyaml.NOT_HANDLED), \
            mock.patch.object(fastyaml, "load_lines", lambda text: fastyaml.NOT_HANDLED):
        yield


# -- examples -------------------------------------------------------------------------------------

VALID = [
    {"name": "a", "description": "b"},
    {"name": "a-1", "description": "x" * 1024, "metadata": {"author": "x"}, "keywords": [], "uses": 0, "score": 0.5,
     "tools": ["bash"], "allowed-tools": "bash read", "last_used": None, "status": "active", "core": False, "z": [1]},
    {"name": "a\n", "description": "b"},  # `pattern` uses re.search, and `$` matches before a final newline
]
INVALID = [
    {}, {"name": "a"}, {"name": "A", "description": "b"}, {"name": "a", "description": ""},
    {"name": "a", "description": "x" * 1025}, {"name": "a-", "description": "b"},
    {"name": "a", "description": "b", "core": "yes"}, {"name": "a", "description": "b", "uses": -1},
    {"name": "a", "description": "b", "uses": 1.5}, {"name": "a", "description": "b", "status": "gone"},
    {"name": "a", "description": "b", "metadata": {"v": 1}}, {"name": "a", "description": "b", "keywords": "k"},
    {"name": "a", "description": "b", "tools": [1]}, {"name": "a", "description": "b", "score": True},
    {"name": "a", "description": "b", "last_used": 3},
]


@pytest.mark.parametrize("data", VALID)
def test_valid_frontmatter_is_certainly_valid(data: dict[str, Any]) -> None:
    assert certainly_valid(data, SCHEMA)
    assert schema_errors(data, "skill") == []


@pytest.mark.parametrize("data", INVALID)
def test_invalid_frontmatter_goes_to_jsonschema(data: dict[str, Any]) -> None:
    assert not certainly_valid(data, SCHEMA)
    assert schema_errors(data, "skill")


@pytest.mark.parametrize("schema", [{"type": "string", "format": "date"}, {"$ref": "#/x"}, {"const": 1}, {"type": "bogus"},
                                    {"properties": {}, "patternProperties": {}, "additionalProperties": False}, [1]])
def test_a_keyword_it_does_not_implement_is_never_taken_for_valid(schema: Any) -> None:
    assert not certainly_valid("x", schema)


def test_integral_floats_are_left_to_jsonschema() -> None:
    data = {"name": "a", "description": "b", "uses": 1.0}
    assert not certainly_valid(data, SCHEMA)
    assert schema_errors(data, "skill") == []


CONFIG_SCHEMA = load_schema("config")
CONFIGS = [
    {"version": 1, "paths": {"skills": "skills", "attic": "skills_attic"},
     "agent": {"origin": "yoyo", "identities": ["yoyo-bot@example.com"], "self_skill": "skill-evolve"},
     "policy": {"max_active": 100000, "max_non_core": 100000}},
    {"paths": {"skills": ["skills", "plugins/*/skills"]}, "eval": {"timeout_seconds": 0.5, "alpha": 0.05}},
]


@pytest.mark.parametrize("data", CONFIGS)
def test_a_usual_config_is_certainly_valid(data: dict[str, Any]) -> None:
    assert certainly_valid(data, CONFIG_SCHEMA)
    assert schema_errors(data, "config") == []


BOUNDS = {"type": "object", "properties": {
    "list": {"type": ["string", "array"], "minItems": 1, "maxItems": 2, "items": {"type": "string"}},
    "above": {"type": "number", "exclusiveMinimum": 0}, "below": {"type": "number", "exclusiveMaximum": 1}}}


@SETTINGS
@given(st.fixed_dictionaries({}, optional={
    "list": st.one_of(st.text(max_size=2), st.lists(st.one_of(st.text(max_size=1), st.integers()), max_size=3)),
    "above": st.one_of(st.integers(-2, 2), st.floats(-1, 1, allow_nan=False), st.booleans()),
    "below": st.one_of(st.integers(-2, 2), st.floats(0, 2, allow_nan=False))}))
def test_item_counts_and_exclusive_bounds_agree_with_jsonschema(data: dict[str, Any]) -> None:
    import jsonschema

    assert certainly_valid(data, BOUNDS) == (not list(jsonschema.Draft202012Validator(BOUNDS).iter_errors(data)))


# -- generated ------------------------------------------------------------------------------------

TEXT = st.text(alphabet=st.sampled_from("ab-z0 \n😀é-A_"), max_size=6)
LENGTHY = st.sampled_from([0, 1, 63, 64, 65, 499, 500, 501, 1023, 1024, 1025]).flatmap(
    lambda n: st.sampled_from(["x" * n, "😀" * n, "é" * n]))
GOOD_NAME = st.from_regex(r"[a-z0-9]{1,4}(-[a-z0-9]{1,3}){0,2}", fullmatch=True)
NAMES = st.one_of(GOOD_NAME, TEXT, LENGTHY,
                  st.sampled_from(["skill", "a--b", "-a", "a-", "a\n", "A", "abc\n", "x" * 64, "x" * 65]))
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([0.0, -0.0, 1.0, 1.5, -2.5, math.inf, -math.inf, math.nan]),
                   TEXT, LENGTHY, st.sampled_from(["dormant", "active", "refined", "Active", "gone", ""]))
VALUE = st.one_of(SCALAR, st.lists(SCALAR, max_size=3), st.dictionaries(st.one_of(TEXT, st.integers(0, 2)), SCALAR, max_size=2))
FIELDS = st.sampled_from([k for k in SCHEMA["properties"] if k not in ("name", "description")] + ["unknown", "nmae", "descripton"])


STRINGS = st.one_of(TEXT, LENGTHY)
STRING_LISTS = st.lists(STRINGS, max_size=3)
FITTING: dict[str, st.SearchStrategy[Any]] = {  # values the schema accepts (mostly: lengths are drawn near the limits)
    "name": st.one_of(GOOD_NAME, GOOD_NAME, NAMES), "description": st.one_of(TEXT.filter(bool), TEXT.filter(bool), LENGTHY), "license": STRINGS, "compatibility": STRINGS,
    "metadata": st.dictionaries(TEXT, STRINGS, max_size=3), "allowed-tools": st.one_of(STRINGS, STRING_LISTS),
    "tools": st.one_of(STRINGS, STRING_LISTS), "origin": STRINGS, "core": st.booleans(),
    "status": st.sampled_from(SCHEMA["properties"]["status"]["enum"]), "keywords": STRING_LISTS,
    "score": st.one_of(st.integers(-5, 5), st.floats(allow_nan=False)), "uses": st.integers(-1, 9), "wins": st.integers(0, 9),
    "last_used": st.one_of(st.none(), STRINGS), "last_evolved": st.one_of(st.none(), STRINGS),
    "parent_pattern_key": st.one_of(st.none(), STRINGS), "unknown": VALUE, "nmae": VALUE, "descripton": VALUE,
}


@st.composite
def frontmatter(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly fitting values, each field sometimes replaced by any value (or left out, for name/description)."""
    data: dict[str, Any] = {}
    keys = ["name", "description"] + draw(st.lists(FIELDS, max_size=5, unique=True))
    for key in keys:
        if key in ("name", "description") and not draw(st.integers(0, 14)):
            continue
        data[key] = draw(VALUE) if not draw(st.integers(0, 9)) else draw(FITTING[key])
    return data


@SETTINGS
@given(frontmatter())
def test_certainly_valid_frontmatter_has_no_jsonschema_errors(data: dict[str, Any]) -> None:
    if certainly_valid(data, SCHEMA):
        assert schema_errors(data, "skill") == []


def _yaml_value(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    if isinstance(value, list):
        return "[" + ", ".join(_yaml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {_yaml_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def skill_file(data: dict[str, Any], plain: bool) -> bytes:
    """A SKILL.md for `data`: plain `key: value` lines where the value allows it, JSON-style otherwise."""
    lines = []
    for key, value in data.items():
        text = _yaml_value(value)
        if plain and isinstance(value, str) and value and value == value.strip() and value.isalnum():
            text = value
        lines.append(f"{key}: {text}")
    return ("---\n" + "\n".join(lines) + "\n---\n# body\n").encode()


@SETTINGS
@given(frontmatter(), st.booleans(), st.sampled_from(["skill", "a", "a-1", "x" * 65]))
def test_problems_are_the_same_as_before_the_fast_paths(data: dict[str, Any], plain: bool, directory: str) -> None:
    raw, path = skill_file(data, plain), f"skills/{directory}/SKILL.md"
    for unknown in ("warn", "error", "ignore"):
        fast = validate_skill_bytes(raw, path, unknown_fields=unknown)  # type: ignore[arg-type]
        with as_before():
            slow = validate_skill_bytes(raw, path, unknown_fields=unknown)  # type: ignore[arg-type]
        assert fast == slow


@needs_corpus
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_problems_are_the_same_as_before_the_fast_paths(path: Path) -> None:
    raw = path.read_bytes()
    label = f"skills/{path.parent.name if path.name == 'SKILL.md' else 'x'}/SKILL.md"
    skill = parse_skill(raw, label)
    fast = validate_skill(skill)
    with as_before():
        slow = validate_skill(parse_skill(raw, label))
    assert fast == slow
    assert certainly_valid(dict(skill.frontmatter), SCHEMA) == (schema_errors(dict(skill.frontmatter), "skill") == [])


IMPORT_CHECK = """
import sys
from skillgit.model.validate import validate_skill_bytes
raw = b"---\\nname: a\\ndescription: \\"b\\"\\nkeywords: [x, 'y']\\nversion: 2\\nmetadata:\\n  author: me\\n---\\nbody\\n"
problems = validate_skill_bytes(raw, "skills/a/SKILL.md")
assert [(p.rule, p.line) for p in problems] == [("unknown-field", 5)], problems
print(sorted(m for m in sys.modules if m.split(".")[0] in ("ruamel", "jsonschema")))
"""


def test_a_simple_valid_skill_is_checked_without_importing_ruamel_or_jsonschema() -> None:
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", IMPORT_CHECK], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
