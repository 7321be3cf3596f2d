"""The cycle decides with the rule objects the hooks and `verify` use: what a rule refuses in a commit,
the cycle does not choose, and what it allows, the cycle may choose."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from skillgit import trailers as T
from skillgit.config import Config
from skillgit.cycle.decide import eligibility
from skillgit.events import EVENT_TYPES, Event
from skillgit.model.skill import SkillParseError
from skillgit.policy.model import Change, FileChange
from skillgit.policy.rules import ALLOW_LIST, BOOTSTRAP, NO_SELF_EDIT, RULES
from skillgit.policy.rules.common import load_skill
from skillgit.trailers import Message, Trailers

WHEN = datetime(2024, 1, 1, tzinfo=UTC)
CONFIG = Config.from_text("agent:\n  origin: yoyo\n  identities: ['bot@*']\n  self_skill: evolve\n"
                          "policy:\n  bootstrap_create_from: 3\n  bootstrap_retire_from: 4\n")


def event(i: int, kind: str | None, cycle: bool, email: str) -> Event:
    pairs = [(T.EVENT, kind)] if kind else []
    if cycle:
        pairs.append((T.TRIGGER, "5 new sessions"))
    return Event(f"{i:040x}", (f"{i + 1000:040x}",), "n", email, WHEN, Message(f"event {i}", "", Trailers(tuple(pairs))), kind)


histories = st.lists(
    st.tuples(st.sampled_from([*EVENT_TYPES, None]), st.booleans(), st.sampled_from(["bot@x.org", "dev@x.org"])),
    max_size=12,
).map(lambda rows: [event(i, *row) for i, row in enumerate(rows)])


def agent_change(kind: str, name: str, history: list[Event] = (), files: dict[str, tuple[bytes, bytes]] | None = None) -> Change:  # type: ignore[assignment]
    blobs: dict[str, bytes] = {}
    changed = []
    for n, (path, (old, new)) in enumerate((files or {}).items()):
        blobs[f"old{n}"], blobs[f"new{n}"] = old, new
        changed.append(FileChange("M", path, f"old{n}", f"new{n}", "100644"))
    message = Message(f"skillgit: {kind} {name}", "", Trailers(((T.EVENT, kind), (T.NAME, name))))
    return Change(None, None, "bot", "bot@x.org", message, tuple(changed), True, blobs.__getitem__, history=tuple(history))


@given(histories, st.sampled_from(["create", "retire", "meta-suggestion"]))
def test_sg010_the_cycle_may_choose_an_action_exactly_when_the_rule_passes_its_commit(history: list[Event], kind: str) -> None:
    change = agent_change(kind, "lint", history)
    assert BOOTSTRAP.allows(kind, history, CONFIG) == (BOOTSTRAP.check(change, CONFIG) == [])
    assert RULES["SG010"] is BOOTSTRAP


def frontmatter(origin: str | None, core: bool, name: str) -> bytes:
    lines = [f"name: {name}", "description: Lint the code before a release"]
    lines += [f"origin: {origin}"] if origin else []
    lines += ["core: true"] if core else []
    return ("---\n" + "\n".join(lines) + "\n---\n\nRun ruff.\n").encode()


def test_sg002_sg003_the_cycle_refuses_the_skills_the_rules_refuse_to_an_agent_commit() -> None:
    for name, origin, core, broken in itertools.product(["lint", "evolve"], ["yoyo", "creator", None], [False, True],
                                                         [False, True]):
        path = f"skills/{name}/SKILL.md"
        raw = b"---\nname: [\n---\n" if broken else frontmatter(origin, core, name)
        change = agent_change("refine", name, files={path: (raw, raw + b"More.\n")})
        parsed = load_skill(raw, path)
        refused = eligibility(name, None if isinstance(parsed, SkillParseError) else parsed, CONFIG)
        by_rule = {rule.id for rule in (NO_SELF_EDIT, ALLOW_LIST) if rule.check(change, CONFIG)}
        assert (refused is None) == (not by_rule), (name, origin, core, broken, refused, by_rule)
        assert refused is None or refused[0] == min(by_rule, key=lambda r: r != "SG003")
