"""The rule registry: id → rule object. Adding a rule is one module and one line here."""

from __future__ import annotations

from skillgit.policy.model import Rule
from skillgit.policy.rules.content import AntiBloat, RefineSize
from skillgit.policy.rules.decision import EvalDecision
from skillgit.policy.rules.evals import EvalGate, HoldoutSealed
from skillgit.policy.rules.history import Bootstrap, NoThrashing
from skillgit.policy.rules.ownership import AllowList, NoSelfEdit
from skillgit.policy.rules.shape import OneMutation
from skillgit.policy.rules.skillfile import SkillFileValid
from skillgit.policy.rules.trailers import EventTrailers, ExpectedPrediction

ALLOW_LIST = AllowList()
NO_SELF_EDIT = NoSelfEdit()
NO_THRASHING = NoThrashing()
BOOTSTRAP = Bootstrap()

RULES: dict[str, Rule] = {
    "SG001": EventTrailers(),
    "SG002": ALLOW_LIST,
    "SG003": NO_SELF_EDIT,
    "SG004": OneMutation(),
    "SG005": ExpectedPrediction(),
    "SG006": RefineSize(),
    "SG007": SkillFileValid(),
    "SG008": AntiBloat(),
    "SG009": NO_THRASHING,
    "SG010": BOOTSTRAP,
    "SG011": HoldoutSealed(),
    "SG012": EvalGate(),
    "SG013": EvalDecision(),
}
"""Every rule, by id: the objects the commands, the hooks, `verify` and the cycle's decision all use (the
cycle asks SG002/SG003 whether the agent may change a skill, SG009 which skills it may not refine now,
SG010 whether an action's turn has come)."""
