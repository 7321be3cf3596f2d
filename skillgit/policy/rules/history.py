"""SG009 (no thrashing) and SG010 (bootstrap order): rules derived from the history before the change."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from skillgit.events import MUTATING
from skillgit.policy.model import Change, Option, Rule, Violation
from skillgit.policy.rules.common import (
    ACTIVE,
    event_kind,
    event_skill,
    is_agent_event,
    skill_dir,
)

if TYPE_CHECKING:
    from skillgit.config import Config
    from skillgit.events import Event

REAL_EVENTS = ("refine", "create", "retire", "meta-suggestion")
"""The agent's "real" events (yoyo's real cycles): what SG010 counts."""


class NoThrashing(Rule):
    """SG009: an agent `refine` of a skill is refused when any commit (event or not, agent's or
    maintainer's) changed what the agent reads of that skill — any file of its directory but
    `evals/` — after the `init` event and since the `policy.thrash_cycles`-th (3rd) most recent
    cycle event, that event included. New eval cases or a sealed holdout start no thrash window.
    Derived from history alone."""

    id = "SG009"
    name = "no-thrashing"
    agent_only = True
    options = (Option("policy.thrash_cycles", "integer", 3,
                      "Cycle events that must pass after a change to a skill before the agent may refine it (SG009)."),)

    def check(self, change: Change, config: Config) -> list[Violation]:
        name = event_skill(change)
        if event_kind(change) != "refine" or name is None:
            return []
        window = self.window(change.history, config)
        if window is None:
            return []
        size, base, since = window
        if change.skills_changed_since is not None:
            changed = name in change.skills_changed_since(base)
            culprit = None
        else:
            hits = [e for e in itertools.islice(reversed(change.history), size)
                    if e.skill == name and (e.kind in MUTATING or e.revert_of)]
            changed, culprit = bool(hits), (hits[0] if hits else None)
        if not changed:
            return []
        by = f" (last by {culprit.commit[:12]}, a {culprit.kind} event)" if culprit else ""
        n = config.policy.thrash_cycles
        return [Violation(
            self.id, self.name,
            f"`{name}` was changed{by} {since}; refining it again now is thrashing",
            f"Refine another skill or record a no-op; `{name}` can be refined once {n} cycle events "
            "have passed without a change to it (policy.thrash_cycles).",
            path=skill_dir(config, name, ACTIVE, change), commit=change.commit,
        )]


    def window(self, history: Sequence[Event], config: Config) -> tuple[int, str | None, str] | None:
        """The thrash window of `history` (oldest first) under `config` (see `thrash_window`): a change to a
        skill within it bars an agent refine of that skill."""
        return thrash_window(history, config.policy.thrash_cycles, lambda e: is_agent_event(e, config))


def thrash_window(
    history: Sequence[Event], cycles: int, by_agent: Callable[[Event], bool] | None = None
) -> tuple[int, str | None, str] | None:
    """Where the thrash window starts in `history` (oldest first): (how many of the newest events it holds,
    the exclusive base commit for `git log base..parent`, a phrase for messages); None: empty history.

    The window is everything after the last `init` event, cut to start at the `cycles`-th most
    recent cycle event (inclusive) when there are that many. Without an `init`, it starts at the
    first event in history. An `init` the agent made (`by_agent`) does not count: the agent cannot
    restart the window. Read backwards from the newest event, so the cost is the window's length,
    not the history's (a lazily read history is read no further).
    """
    found = 0
    size = 0
    first: Event | None = None
    for size, event in enumerate(reversed(history), 1):
        if event.kind == "init" and not (by_agent is not None and by_agent(event)):
            return size - 1, event.commit, f"since the init event {event.commit[:12]} (fewer than {cycles} cycle events since)"
        if event.is_cycle:
            found += 1
            if found == cycles:
                base = event.parents[0] if event.parents else None
                return size, base, f"since {event.commit[:12]}, the {ordinal(cycles)} most recent cycle event"
        first = event
    if first is None:
        return None
    return size, (first.parents[0] if first.parents else None), f"since {first.commit[:12]}, the first event"


def ordinal(n: int) -> str:
    """`1st`, `2nd`, `3rd`, `4th`, `11th`, `21st`…"""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class Bootstrap(Rule):
    """SG010: counted over the agent's earlier real events (refine/create/retire/meta-suggestion) in
    history, the agent's 1st real event may only be a refine; `create` (and `meta-suggestion`) are
    allowed from the `policy.bootstrap_create_from`-th (2nd), `retire` from the
    `policy.bootstrap_retire_from`-th (3rd)."""

    id = "SG010"
    name = "bootstrap"
    agent_only = True
    options = (
        Option("policy.bootstrap_create_from", "integer", 2,
               "The agent's real event from which a create or meta-suggestion is allowed (SG010)."),
        Option("policy.bootstrap_retire_from", "integer", 3, "The agent's real event from which a retire is allowed (SG010)."),
    )

    def first(self, kind: str, config: Config) -> int:
        """The agent's real event from which an event of `kind` is allowed (1: from the first)."""
        if kind == "retire":
            return config.policy.bootstrap_retire_from
        return config.policy.bootstrap_create_from if kind in ("create", "meta-suggestion") else 1

    def position(self, kind: str, history: Sequence[Event], config: Config) -> int:
        """Which real event of the agent a new `kind` event after `history` (oldest first) would be; counted
        only as far as the verdict needs (at most `first(kind)`)."""
        return _real_events_before(history, config, self.first(kind, config) - 1) + 1

    def allows(self, kind: str, history: Sequence[Event], config: Config) -> bool:
        """The bootstrap order lets the agent make a `kind` event after `history` (oldest first)."""
        return self.position(kind, history, config) >= self.first(kind, config)

    def check(self, change: Change, config: Config) -> list[Violation]:
        kind = event_kind(change)
        if kind not in ("create", "retire", "meta-suggestion"):
            return []
        first = self.first(kind, config)
        key = "bootstrap_retire_from" if kind == "retire" else "bootstrap_create_from"
        position = self.position(kind, change.history, config)
        if position >= first:
            return []
        name = event_skill(change)
        return [Violation(
            self.id, self.name,
            f"this `{kind}` would be the agent's {ordinal(position)} real event; a `{kind}` is allowed from "
            f"the {ordinal(first)} (policy.{key})",
            f"Start with {'a refine' if position == 1 else 'refines'} (or no-ops, which do not count) until "
            f"{first - 1} real event{'s have' if first - 1 != 1 else ' has'} landed.",
            path=skill_dir(config, name, ACTIVE, change) if name else None, commit=change.commit,
        )]


def _real_events_before(history: Sequence[Event], config: Config, enough: int) -> int:
    """How many of the agent's real events `history` holds, counted up to `enough` (the count only matters
    below the bootstrap threshold, so the scan stops there), newest first: the agent's recent events are
    found without reading the older history."""
    count = 0
    agents: dict[tuple[str, str], bool] = {}
    for event in reversed(history):
        if count >= enough:
            break
        if event.kind not in REAL_EVENTS:
            continue
        if event.is_cycle:
            count += 1
            continue
        who = (event.author_email, event.committer_email)
        if who not in agents:
            agents[who] = config.agent.is_agent(*who)
        if agents[who]:
            count += 1
    return count
