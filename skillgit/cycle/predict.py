"""`Skill-Expected` for the cycle's own events: a checkable prediction made from the signal that fired.

    pattern:<key>  →  `pattern:<key> < refine_min_complaints within H sessions; else <direction>`
    complaints     →  `complaints < refine_min_complaints within H sessions; else <direction>`
    win_rate       →  `win_rate >= T within H sessions; else <direction>`, T = max(refine_max_win_rate + 0.1,
                      current + 0.2), at most 0.95
    create         →  `pattern:<key> < create_min_sessions within H sessions; else retire <name> …`

H is `cycle.expect_horizon_sessions`; the fallback (what to do when the prediction misses) is to
roll the refine back and split the procedure into a checked helper script. The result always parses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from skillgit.model.expected import parse_expected

if TYPE_CHECKING:
    from skillgit.config import Config
    from skillgit.cycle.decide import Decision
    from skillgit.evidence.metrics import Metrics

FALLBACK = "roll back this refine and split the procedure into a checked helper script"


def expected_for(decision: Decision, metrics: Metrics | None, config: Config) -> str:
    cfg = config.cycle
    horizon = int(cfg.expect_horizon_sessions)
    if decision.action == "create":
        text = (f"pattern:{decision.pattern} < {cfg.create_min_sessions} within {horizon} sessions; "
                f"else retire {decision.skill} and keep the pattern as a learning")
    else:
        signal = decision.signal or "win_rate"
        fallback = FALLBACK
        if signal.startswith("pattern:") or signal == "complaints":
            text = f"{signal} < {cfg.refine_min_complaints} within {horizon} sessions; else {fallback}"
        else:
            current = metrics.win_rate if metrics is not None else 0.0
            target = round(min(0.95, max(float(cfg.refine_max_win_rate) + 0.1, current + 0.2)), 2)
            text = f"win_rate >= {target:g} within {horizon} sessions; else {fallback}"
    parse_expected(text)
    return text
