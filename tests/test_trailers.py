"""Trailers: the writer refuses injection; the parser agrees with `git interpret-trailers`."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skillgit.errors import TrailerError
from skillgit.trailers import KEYS, cleanup_message, format_message, parse_message, parse_trailers


def git_parse(message: str) -> list[tuple[str, str]]:
    out = subprocess.run(
        ["git", "interpret-trailers", "--parse", "--no-divider"],
        input=message.encode("utf-8"),
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8")
    pairs = []
    for line in out.splitlines():
        key, _, value = line.partition(":")
        pairs.append((key, value.strip(" \t")))
    return pairs


def test_a_written_message_has_title_body_and_a_final_trailer_block() -> None:
    message = format_message(
        "skillgit: refine social",
        [("Skill-Event", "refine"), ("skill-name", "social")],
        body="Adds a pitfall.",
    )
    assert message == "skillgit: refine social\n\nAdds a pitfall.\n\nSkill-Event: refine\nSkill-Name: social\n"
    assert git_parse(message) == [("Skill-Event", "refine"), ("Skill-Name", "social")]


@pytest.mark.parametrize("value", ["a\nSkill-Event: create", "a\rb", "", " ", "x" * 501, "bell\x07"])
def test_a_value_that_could_inject_or_is_unusable_is_refused(value: str) -> None:
    with pytest.raises(TrailerError):
        format_message("t", [("Skill-Expected", value)])


def test_a_governed_key_in_the_body_is_refused_when_writing() -> None:
    with pytest.raises(TrailerError, match="governed trailer key"):
        format_message("t", [("Skill-Event", "refine")], body="Skill-Event: create\nmore prose")


def test_a_governed_key_in_the_body_is_reported_as_forged() -> None:
    message = "skillgit: refine x\n\nSkill-Event: create\nSome prose.\n\nSkill-Event: refine\nSkill-Name: x\n"
    parsed = parse_message(message)
    assert parsed.forged == ((3, "Skill-Event"),)
    assert parsed.trailers.get("skill-event") == "refine"


def test_a_key_is_found_whatever_its_case_in_the_message_or_the_question() -> None:
    trailers = parse_trailers("t\n\nSKILL-NAME: a\nskill-name: b\nsigned-off-by: me\n")
    for key in ("Skill-Name", "skill-name", "SKILL-NAME"):
        assert trailers.get(key) == "b"
        assert trailers.get_all(key) == ["a", "b"]
    assert trailers.get("Signed-off-by") == "me"
    assert trailers.get("Skill-Event") is None and trailers.get_all("Skill-Event") == []
    assert "skill-name" in trailers and "Skill-Event" not in trailers


def test_a_continuation_line_under_a_governed_key_is_forged() -> None:
    message = "t\n\nSkill-Event: refine\n Skill-Name: other\n"
    assert parse_message(message).forged
    assert parse_trailers(message).items == tuple(git_parse(message))


def test_a_body_ending_in_a_trailer_like_paragraph_stays_body() -> None:
    message = format_message("t", [("Skill-Event", "refine")], body="Intro.\n\nSee: also this")
    assert git_parse(message) == [("Skill-Event", "refine")]


def test_cleanup_drops_comments_and_the_scissors_part() -> None:
    text = "Title\n# comment\n\nBody\n# ------------------------ >8 ------------------------\ndiff --git a b\n"
    assert cleanup_message(text) == "Title\n\nBody\n"


EDGE_CASES = [
    "title only",
    "title\nSkill-Event: refine\n",
    "title\n\nSkill-Event: refine\n",
    "title\n\nbody\n\nSkill-Event: refine\nnot a trailer\n",
    "title\n\nbody\n\nSigned-off-by: A <a@b>\nnot a trailer\nnot either\nSkill-Event: x\n",
    "title\n\nKey : spaced\nOther:tight\n",
    "title\n\nKey: folded\n  continuation\n\tmore\n",
    "title\n\n: no token\nKey: v\n",
    "title\n\nKey: v\n\n\n",
    "title\n\nKey_bad: v\n",
    "title\n\nKey: v\n# a comment\nKey2: w\n",
    "title\n\n(cherry picked from commit abc)\nbody line\nKey: v\n",
    "title\r\n\r\nKey: crlf\r\n",
    "title\n\nKey: ünïcode välue\n",
    "\n\nKey: v\n",
    "title\n\n  indented: v\nKey: w\n",
]


@pytest.mark.parametrize("message", EDGE_CASES)
def test_parser_agrees_with_git_on_edge_cases(message: str) -> None:
    assert list(parse_trailers(message).items) == git_parse(message)


_token = st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,12}", fullmatch=True)
_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\n\r"), min_size=1, max_size=40
)
_line = st.one_of(
    _text,
    st.builds(lambda k, v: f"{k}: {v}", _token, _text),
    st.builds(lambda k, v: f"{k}:{v}", st.sampled_from(KEYS), _text),
    st.builds(lambda v: f"  {v}", _text),
    st.just(""),
    st.just("Signed-off-by: A U Thor <a@example.com>"),
    st.builds(lambda v: f"# {v}", _text),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_line, min_size=1, max_size=12))
def test_parser_agrees_with_git_on_generated_messages(lines: list[str]) -> None:
    message = "\n".join(lines) + "\n"
    assert list(parse_trailers(message).items) == git_parse(message)


_value = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60
).filter(lambda v: v.strip())


@settings(max_examples=200, deadline=None)
@given(
    title=_text.filter(lambda t: t.strip() and not t.lstrip().lower().startswith("skill-")),
    body=st.lists(_text, max_size=4),
    pairs=st.lists(st.tuples(st.sampled_from(KEYS), _value), min_size=1, max_size=6),
)
def test_every_message_skillgit_writes_parses_the_same_in_git(title: str, body: list[str], pairs: list[tuple[str, str]]) -> None:
    try:
        message = format_message(title, pairs, body="\n".join(body))
    except TrailerError:
        return
    ours = list(parse_message(message).trailers.items)
    assert ours == git_parse(message)
    assert ours == [(k, v.strip(" \t\n\r\v\f")) for k, v in pairs]
    assert parse_message(message).forged == ()
