"""The fast frontmatter reader returns exactly what ruamel returns, or hands the text to ruamel."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from conftest import CORPUS, CORPUS_FIX, needs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skillgit.errors import UsageError
from skillgit.model.frontmatter import compose, node_line
from skillgit.model.skill import SkillParseError, parse_skill
from skillgit.yamlio import fast as fastyaml
from skillgit.yamlio import load_yaml, load_yaml_ruamel
from skillgit.yamlio.fast import NOT_HANDLED, RESOLVERS_1_2, line_at, load_lines, load_simple

CORPUS_FILES = (sorted((CORPUS / "skills").rglob("SKILL.md")) if (CORPUS / "skills").is_dir() else []) + (
    sorted((CORPUS / "yoyo").glob("*SKILL.md")) if (CORPUS / "yoyo").is_dir() else [])
needs_corpus = needs(CORPUS_FILES, f"skills/ and yoyo/ of {CORPUS_FIX}")
SETTINGS = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def same(a: Any, b: Any) -> bool:
    """Equal values of the same types all the way down (1, 1.0 and True differ; -0.0 and 0.0 differ)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return len(a) == len(b) and all(same(k1, k2) and same(v1, v2) for (k1, v1), (k2, v2) in zip(a.items(), b.items()))
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        return repr(a) == repr(b) or (math.isnan(a) and math.isnan(b))
    return bool(a == b)


def reference(text: str) -> Any:
    """What ruamel makes of `text`: the value, or the UsageError message."""
    try:
        return load_yaml_ruamel(text, "t.yaml")
    except UsageError as exc:
        return f"error: {exc}"


def check(text: str) -> bool:
    """True when the fast path took `text`; fails when its value differs from ruamel's."""
    fast = load_simple(text)
    if fast is NOT_HANDLED:
        return False
    ref = reference(text)
    assert same(fast, ref), f"{text!r}: fast {fast!r} != ruamel {ref!r}"
    where, nodes = load_lines(text), compose(text)
    for path in paths(fast):
        assert line_at(where, path) == node_line(nodes, path), f"{text!r}: line of {path}"
    return True


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path in `value`, and paths that go one step past or beside it."""
    yield ()
    yield prefix + ("missing",)
    yield prefix + (0,)
    yield prefix + (-1,)
    if isinstance(value, dict):
        for key, item in value.items():
            yield prefix + (key,)
            yield from paths(item, prefix + (key,))
    elif isinstance(value, list):
        yield prefix + (len(value),)
        yield prefix + (True,)
        for index, item in enumerate(value):
            yield prefix + (index,)
            yield from paths(item, prefix + (index,))


@contextmanager
def ruamel_only() -> Iterator[None]:
    with mock.patch.object(fastyaml, "load_simple", lambda text: NOT_HANDLED), \
            mock.patch.object(fastyaml, "load_lines", lambda text: NOT_HANDLED):
        yield


# -- the copy of ruamel's resolver table ------------------------------------------------------------


def test_the_resolver_table_is_ruamels_yaml_1_2_table() -> None:
    from ruamel.yaml.resolver import implicit_resolvers

    theirs = [(str(tag).rsplit(":", 1)[1], regexp.pattern, list(first))
              for versions, tag, regexp, first in implicit_resolvers if (1, 2) in versions]
    ours = [(tag, re.compile(pattern, re.X).pattern, list(first)) for tag, pattern, first in RESOLVERS_1_2]
    assert ours == theirs


# -- the corpus -----------------------------------------------------------------------------------


@needs_corpus
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_corpus_frontmatter_reads_as_ruamel_reads_it(path: Path) -> None:
    raw = path.read_bytes()
    skill = parse_skill(raw, "s/SKILL.md")
    check(skill.frontmatter_text)
    with ruamel_only():
        slow = parse_skill(raw, "s/SKILL.md")
    assert same(dict(skill.frontmatter), dict(slow.frontmatter))


@needs_corpus
def test_most_corpus_frontmatters_take_the_fast_path() -> None:
    taken = [check(parse_skill(p.read_bytes(), "s/SKILL.md").frontmatter_text) for p in CORPUS_FILES]
    assert sum(taken) >= len(taken) - 3, f"{len(taken) - sum(taken)} of {len(taken)} fell back to ruamel"


# -- examples -------------------------------------------------------------------------------------

FAST = [
    ("name: a\ndescription: b\n", {"name": "a", "description": "b"}),
    ("a: 1\nb: -2\nc: +3\nd: 0\ne: 1.50\nf: -0.0\ng: 7.\n", {"a": 1, "b": -2, "c": 3, "d": 0, "e": 1.5, "f": -0.0, "g": 7.0}),
    ("a: true\nb: FALSE\nc: True\nd: tRue\ne: yes\nf: no\ng: on\n", {"a": True, "b": False, "c": True, "d": "tRue", "e": "yes", "f": "no", "g": "on"}),
    ("a: null\nb: ~\nc:\nd: NULL\ne: nUll\n", {"a": None, "b": None, "c": None, "d": None, "e": "nUll"}),
    ("a: 'it''s'\nb: \"say 'hi'\"\nc: ''\nd: \"\"\n", {"a": "it's", "b": "say 'hi'", "c": "", "d": ""}),
    ("a: x # note\nb: C# and F#\nc: 'q' # n\nd: [x, y] # n\n", {"a": "x", "b": "C# and F#", "c": "q", "d": ["x", "y"]}),
    ("k: [a b, \"c, d\", 'e', 1, true, null, -x]\ne: []\n", {"k": ["a b", "c, d", "e", 1, True, None, "-x"], "e": []}),
    ("k:\n  - a\n  - 'b'\n# c\n  - 3\nn: 1\n", {"k": ["a", "b", 3], "n": 1}),
    ("k:\n- a\n- b\nn: 1\n", {"k": ["a", "b"], "n": 1}),
    ("metadata:\n  author: x\n  version: \"1.0.0\"\nname: y\n", {"metadata": {"author": "x", "version": "1.0.0"}, "name": "y"}),
    ("a: http://x.org/y?z=1\nb: 12:30\nc: 1:2\n", {"a": "http://x.org/y?z=1", "b": "12:30", "c": "1:2"}),
    ("a: b\r\nc: d\r\n", {"a": "b", "c": "d"}),
    ("paths: {skills: skills, attic: 'old skills'}\nx: {}\ny: { a: 1 ,b: -x }  # c\n",
     {"paths": {"skills": "skills", "attic": "old skills"}, "x": {}, "y": {"a": 1, "b": "-x"}}),
]


@pytest.mark.parametrize("text, value", FAST)
def test_simple_frontmatter_takes_the_fast_path_with_ruamels_value(text: str, value: dict[str, Any]) -> None:
    assert same(load_simple(text), value)
    assert check(text)


SLOW = [
    "", "# only a comment\n", "- a\n", "a\n", "a: b\na: c\n", "a: &x 1\nb: *x\n", "a: !!str 1\n",
    "a: |\n  x\n", "a: >\n  x\n", "a: b\n  c\n", "a:\n  b\n", "? a\n: b\n", "%YAML 1.1\n---\na: b\n",
    "a:\tb\n", "a: b\rc: d\n", "a: 0x1F\n", "a: 1e3\n", "a: 1_000\n", "a: 007\n", "a: .inf\n", "a: .5\n",
    "a: 2024-01-02\n", "a: 1.5e3\n", "a: \"x\\ny\"\n", "a: 'x\n  y'\n", "a: [x,\n  y]\n", "a: [x,]\n", "a: [[x]]\n", "a: {b: c, b: d}\n", "a: {b:c}\n", "a: {b: [c]}\n", "a: {b: c,}\n", "a: {1: c}\n", "a: {b: c: d}\n",
    "a: b: c\n", "a: b:\n", "true: x\n", "null: x\n", "1: x\n", "<<: {}\n", "a : b\n", "a:b\n", "a: \"x\"y\n",
    "a: 'x'#c\n", "a: -\n", "a: - b\n", "a: =\n", "a: @x\n", "a: `x`\n", "a:\n  - b\n - c\n", "a:\n  - b\n    c\n",
    "a:\n  b: c\n  b: d\n", "a:\n  b:\n", "a:\n  b: c\n   d: e\n", "a: x\u2028y\n", "a: \ufeffx\n", "a: x\x85\n",
    "  a: b\n", "a: b\n...\n", "a: b\n--- x\n", "a: [a: b]\n", "a: [x # c]\n", "a: [?x]\n", "a:\n  -\n",
]


@pytest.mark.parametrize("text", SLOW)
def test_text_outside_the_subset_falls_back_to_ruamel(text: str) -> None:
    assert load_simple(text) is NOT_HANDLED


def test_errors_and_line_numbers_still_come_from_ruamel() -> None:
    with pytest.raises(UsageError, match=r"t.yaml:4: duplicate key"):
        load_yaml("a: 1\nb: 2\na: 3\n", "t.yaml", line_offset=1)
    with pytest.raises(SkillParseError) as err:
        parse_skill(b"---\nname: a\nname: b\n---\n", "s/SKILL.md")
    assert err.value.line == 3


# -- generated documents --------------------------------------------------------------------------

WORD = st.text(alphabet="abcxyzABC019_-./()'\"é一😀", min_size=1, max_size=8)
SAFE_WORD = st.from_regex(r"[a-z][a-z0-9]{0,6}( [a-z0-9.,/()']{1,6}){0,3}", fullmatch=True)
NUMBERISH = st.from_regex(r"[-+]?[0-9_]{0,4}(\.[0-9_]{0,3})?([eE][-+]?[0-9]{1,2})?", fullmatch=True)
SPECIAL = st.sampled_from([
    "true", "True", "TRUE", "tRUE", "false", "False", "FALSE", "yes", "No", "ON", "off", "y", "n", "null", "Null",
    "NULL", "nULL", "~", ".inf", "-.inf", "+.INF", ".nan", ".NaN", "0x1F", "0o17", "0b101", "017", "08", "0", "-0",
    "+0", "00", "1.", "-1.", ".5", "1e3", "1E+3", "2024-01-02", "2024-1-2 3:04:05", "2024-01-02T03:04:05Z",
    "12:30", "1:2:3", "190:20:30", "<<", "=", "-", "--", "---", "...", "-a", "-1x", "1st", "0.1.2", "1,000", "Ünï",
])
NOISE = st.text(alphabet=" :#'\"[]{},&*!|>%@`?-\\\t\r\n\x85\u2028\ufeffab01.", min_size=1, max_size=6)
NOISY_QUOTED = st.text(alphabet="ab '\"#:,\\", max_size=6).map(lambda w: '"' + w + '"')
TOKEN = st.one_of(SAFE_WORD, WORD, NUMBERISH, SPECIAL, NOISE, NOISY_QUOTED, st.builds("".join, st.lists(st.one_of(WORD, NOISE, SPECIAL), max_size=3)))
SAFE_INT = st.integers(-10**30, 10**30).map(str)
SAFE_FLOAT = st.from_regex(r"[-+]?(0|[1-9][0-9]{0,5})\.[0-9]{1,4}", fullmatch=True)
SAFE_SCALAR = st.one_of(
    SAFE_WORD, SAFE_INT, SAFE_FLOAT,
    st.sampled_from(["true", "False", "TRUE", "null", "~", "Null", "yes", "no", "on", "nan", "inf", "1st"]),
    SAFE_WORD.map(lambda w: '"' + w.replace('"', "") + '"'),
    st.text(alphabet="ab '\"#:,[]é", max_size=6).map(lambda w: "'" + w.replace("'", "''") + "'"),
    st.text(alphabet="ab '#:,[]{}é", max_size=6).map(lambda w: '"' + w + '"'),
)
KEYS = st.one_of(st.sampled_from(["name", "description", "origin", "status", "keywords", "metadata", "tools",
                                  "allowed-tools", "last_used", "score", "a.b", "x_1"]),
                 st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,6}", fullmatch=True))
ODD_KEYS = st.one_of(KEYS, TOKEN, st.sampled_from(["true", "null", "Null", "1", "<<", "? a", "a b", '"q"', "-x", "a:"]))


def _flow(items: list[str], sep: str, close: str) -> str:
    return "[" + sep.join(items) + close


@st.composite
def clean_document(draw: st.DrawFn) -> str:
    """A document inside the fast subset."""
    keys = draw(st.lists(KEYS, min_size=1, max_size=6, unique=True))
    lines: list[str] = []
    for key in keys:
        if draw(st.booleans()):
            lines.append(draw(st.sampled_from(["", "# note", "  # indented note", "   "])))
        shape = draw(st.sampled_from(["scalar", "flow", "flowmap", "block", "nested", "empty"]))
        comment = draw(st.sampled_from(["", "", " # c", "   #c: [x]"]))
        if shape == "scalar":
            lines.append(f"{key}:{' ' * draw(st.integers(1, 3))}{draw(SAFE_SCALAR)}{comment}")
        elif shape == "flow":
            items = draw(st.lists(SAFE_SCALAR.filter(lambda s: not set(s) & set(",[]#:?{}") or s[0] in "'\""), max_size=4))
            lines.append(f"{key}: {_flow(items, draw(st.sampled_from([', ', ',', ' , '])), ']')}{comment}")
        elif shape == "flowmap":
            subs = draw(st.lists(KEYS, max_size=3, unique=True))
            values = [draw(SAFE_SCALAR.filter(lambda s: not set(s) & set(",[]#:?{}") or s[0] in "'\"")) for _ in subs]
            sep = draw(st.sampled_from([", ", ",", " , "]))
            lines.append(f"{key}: {{{sep.join(f'{k}: {v}' for k, v in zip(subs, values))}}}{comment}")
        elif shape == "block":
            indent = " " * draw(st.sampled_from([0, 2, 4]))
            lines.append(f"{key}:{comment}")
            for item in draw(st.lists(SAFE_SCALAR, min_size=1, max_size=4)):
                lines.append(f"{indent}- {item}")
                if draw(st.booleans()):
                    lines.append(draw(st.sampled_from(["", "# c", "      # c"])))
        elif shape == "nested":
            indent = " " * draw(st.sampled_from([1, 2, 4]))
            lines.append(f"{key}:{comment}")
            for sub in draw(st.lists(KEYS, min_size=1, max_size=3, unique=True)):
                lines.append(f"{indent}{sub}: {draw(SAFE_SCALAR)}")
        else:
            lines.append(f"{key}:{comment}")
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join(lines) + draw(st.sampled_from([newline, ""]))


@st.composite
def near_miss_document(draw: st.DrawFn) -> str:
    """Lines from the subset, from just outside it, and noise."""
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 6))):
        key = draw(st.one_of(KEYS, ODD_KEYS))
        value = draw(st.one_of(SAFE_SCALAR, TOKEN))
        pad = " " * draw(st.sampled_from([0, 0, 1, 2, 3, 4]))
        form = draw(st.integers(0, 9))
        if form == 0:
            lines.append(f"{pad}{key}: {value}")
        elif form == 1:
            lines.append(f"{key}:{draw(st.sampled_from(['', ' ', '  # c']))}")
            for item in draw(st.lists(st.one_of(SAFE_SCALAR, TOKEN), max_size=3)):
                lines.append(f"{pad}{draw(st.sampled_from(['- ', '-', '-  ', '- - ']))}{item}")
        elif form == 2:
            lines.append(f"{key}:")
            for sub in draw(st.lists(st.tuples(ODD_KEYS, st.one_of(SAFE_SCALAR, TOKEN)), max_size=3)):
                lines.append(f"{pad or '  '}{sub[0]}: {sub[1]}")
        elif form == 3:
            items = draw(st.lists(st.one_of(SAFE_SCALAR, TOKEN), max_size=4))
            lines.append(f"{key}: {_flow(items, draw(st.sampled_from([', ', ',', ' , ', ',,'])), draw(st.sampled_from([']', ',]', '', '] x', ']#c', '] # c'])))}")
        elif form == 4:
            lines.append(f"{pad}{value}")
        elif form == 5:
            lines.append(f"{pad}# {value}")
        elif form == 6:
            lines.append(f"{key}{draw(st.sampled_from([':', ' :', ': ', ':  ']))}{value}{draw(st.sampled_from(['', ' # x', '#x', ' ', ': y']))}")
        elif form == 7:
            lines.append(f"{key}: {draw(st.sampled_from(['|', '>', '|-', '&a', '*a', '!t', '{', '?']))} {value}")
        else:
            lines.append(f"{key}: {value}")
            lines.append(f"{pad}{value}")
    newline = draw(st.sampled_from(["\n", "\n", "\r\n", "\r"]))
    return newline.join(lines) + draw(st.sampled_from([newline, ""]))


@st.composite
def token_document(draw: st.DrawFn) -> str:
    """Clean lines around number-, bool-, date- and quote-like tokens, to test scalar resolution."""
    keys = draw(st.lists(KEYS, min_size=1, max_size=4, unique=True))
    lines = []
    for key in keys:
        form = draw(st.integers(0, 2))
        if form == 0:
            lines.append(f"{key}: {draw(TOKEN)}{draw(st.sampled_from(['', ' # c']))}")
        elif form == 1:
            lines.append(f"{key}: [{', '.join(draw(st.lists(TOKEN, min_size=1, max_size=3)))}]")
        else:
            lines += [f"{key}:"] + [f"  - {t}" for t in draw(st.lists(TOKEN, min_size=1, max_size=3))]
    return "\n".join(lines) + "\n"


@st.composite
def mutated_document(draw: st.DrawFn) -> str:
    """A clean document with one to three characters or tokens inserted, replaced or removed."""
    text = draw(clean_document())
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        piece = draw(st.one_of(st.sampled_from(list(" :#'\"[]{},&*!|>%@`?-\\\t\r\n.0")), SPECIAL, TOKEN))
        end = at + draw(st.integers(0, 2))
        text = text[:at] + draw(st.sampled_from([piece, ""])) + text[end:]
    return text


@settings(SETTINGS, max_examples=500)
@given(clean_document())
def test_documents_in_the_subset_take_the_fast_path_with_ruamels_value(text: str) -> None:
    assert check(text), f"fell back: {text!r}"


@SETTINGS
@given(st.one_of(near_miss_document(), token_document(), mutated_document()))
def test_near_misses_fall_back_or_read_as_ruamel_reads_them(text: str) -> None:
    check(text)


@settings(max_examples=300, deadline=None)
@given(st.one_of(clean_document(), near_miss_document(), mutated_document()))
def test_parsed_skills_are_the_same_with_and_without_the_fast_path(text: str) -> None:
    raw = f"---\n{text.replace(chr(13), '')}\n---\nbody\n".encode("utf-8", "surrogatepass")

    def outcome() -> Any:
        try:
            return dict(parse_skill(raw, "skills/x/SKILL.md").frontmatter)
        except SkillParseError as exc:
            return str(exc)

    fast = outcome()
    with ruamel_only():
        slow = outcome()
    assert same(fast, slow)
