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

RULES: dict[str, Rule] = {
    "SG001": EventTrailers(),
    "SG002": AllowList(),
    "SG003": NoSelfEdit(),
    "SG004": OneMutation(),
    "SG005": ExpectedPrediction(),
    "SG006": RefineSize(),
    "SG007": SkillFileValid(),
    "SG008": AntiBloat(),
    "SG009": NoThrashing(),
    "SG010": Bootstrap(),
    "SG011": HoldoutSealed(),
    "SG012": EvalGate(),
    "SG013": EvalDecision(),
}
