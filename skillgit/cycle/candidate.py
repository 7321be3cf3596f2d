"""Refine and create: ask the proposer, keep bookkeeping current, check the rules, run the eval gate.

Outcomes, all decided before anything is written:
- the proposer has nothing to change (or returns the skill as it is) → a `no-op` event;
- the proposer fails (timeout, crash, garbage, another skill, files outside its copy) → ProposerFailed
  (exit 1) and no commit — there is no candidate to record;
- the candidate breaks a rule (SG002 … SG011), the skill has no evals (SG012 needs a summary), or
  the eval gate rejects it → a `refused` event whose `Skill-Reason` says why (the candidate never lands);
- else the `refine`/`create` event, carrying `Skill-Expected` and (refine) `Skill-Eval-Summary`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from skillgit import faults
from skillgit import trailers as T
from skillgit.cycle.plan import Evidenced, Plan, one_line, safe_body, violation_reason
from skillgit.cycle.predict import expected_for
from skillgit.cycle.proposers import (
    Proposal,
    ProposalRequest,
    Proposer,
    ProposerFailed,
    resolve_proposer,
)
from skillgit.events import version_value
from skillgit.git import PutFile, blob_id

if TYPE_CHECKING:
    from skillgit.cycle.decide import Decision
    from skillgit.cycle.evidence import Evidence
    from skillgit.cycle.model import CycleOptions, Echo
    from skillgit.evidence.metrics import Metrics
    from skillgit.jsontypes import JSON
    from skillgit.model.frontmatter import FrontmatterValue
    from skillgit.workspace import Workspace

BOOKKEEPING = ("score", "uses", "wins", "last_used", "last_evolved")
Pairs = list[tuple[str, str]]


def proposal_plan(ws: Workspace, ev: Evidence, d: Decision, trigger: Pairs, parent: Pairs, options: CycleOptions,
                  echo: Echo, now: datetime, head: str) -> Plan:
    assert d.skill is not None
    spec = options.proposer or ws.config.cycle.proposer
    proposer = resolve_proposer(spec, ws.config)
    if d.action == "refine":
        return _refine(ws, ev, d, trigger, parent, proposer, options, echo, now, head)
    return _create(ws, ev, d, trigger, parent, proposer, echo, head)


def _ask(ws: Workspace, proposer: Proposer, request: ProposalRequest, echo: Echo, head: str) -> Proposal:
    """Run the proposer; an outside program runs in the sandbox, in a private copy of the skill at `head`.
    The repository is not the proposer's to change, so nothing is watched or undone: a commit that
    landed meanwhile is someone else's, and the cycle stops (exit 4)."""
    from skillgit.cycle.proposers import ExternalProposer

    checkout = None
    if isinstance(proposer, ExternalProposer):
        from skillgit.evals.runner import checkout_version
        from skillgit.sandbox import for_workspace

        sandbox = for_workspace(ws, commit=head)
        sandbox.require(f"the proposer `{getattr(proposer, 'command', proposer.name)}`")
        proposer.sandbox = sandbox
        checkout = checkout_version(ws.repo, head, ws.skill_dir(request.skill)) if request.version else None
        proposer.skill_dir = checkout.path if checkout else None
    echo(f"proposer: {proposer.name}{' `' + getattr(proposer, 'command', '') + '`' if proposer.name == 'command' else ''}")
    try:
        proposal = proposer.propose(request)
    finally:
        if checkout is not None:
            checkout.cleanup()
    require_head(ws, head, "the proposer ran")
    faults.point("cycle:proposed")
    echo(f"proposal: {proposal.summary}")
    return proposal


def require_head(ws: Workspace, head: str, during: str) -> None:
    """RepoStateError (exit 4) when HEAD is no longer `head`: a commit landed while `during`."""
    from skillgit.errors import RepoStateError

    now = ws.repo.head()
    if now != head:
        raise RepoStateError(
            f"HEAD moved while {during} ({head[:12]} → {(now or 'no commit')[:12]}): a commit landed meanwhile. "
            "Nothing was committed and nothing in the work tree was changed; run the cycle again."
        )


def _noop(d: Decision, trigger: Pairs, parent: Pairs, why: str) -> Plan:
    pairs = [(T.TRIGGER, one_line(f"{d.trigger}; {why}"))] + parent
    return Plan("no-op", None, tuple(pairs), safe_body([f"The cycle chose to {d.action} {d.skill}, but {why}."]),
                summary=why)


def _refine(ws: Workspace, ev: Evidence, d: Decision, trigger: Pairs, parent: Pairs, proposer: Proposer,
            options: CycleOptions, echo: Echo, now: datetime, head: str) -> Plan:
    from skillgit.evals.gate import proposer_view

    name = d.skill
    assert name is not None
    entry = ev.catalog.entries[name]
    path = f"{ws.skill_dir(name)}/SKILL.md"
    current = ws.repo.blob(entry.blob)
    evidence = ev.evidenced(ws, name)
    view = proposer_view(ws, name)
    pol = ws.config.policy
    kept = _bookkeeping_fields(current, path)
    request = ProposalRequest(
        "refine", name, path, entry.blob, view["skill_md"], d.trigger, evidence.findings, evidence.complaints,
        ev.current[name].to_json(), tuple(view["train_cases"]), tuple(view["files"]),
        max(0, pol.refine_max_added - len(kept)), max(0, pol.refine_max_removed - len(kept)),
    )
    proposal = _ask(ws, proposer, request, echo, head)
    if proposal.candidate is None:
        return _noop(d, trigger, parent, f"the {proposer.name} proposer has no edit ({proposal.summary})")
    candidate = keep_bookkeeping(proposal.candidate, path, ev.metrics.get(name), now)
    _require_valid(ws, candidate, path, proposer)
    if candidate == current:
        return _noop(d, trigger, parent, f"the {proposer.name} proposer returned the skill unchanged")
    expected = expected_for(d, ev.current.get(name), ws.config)
    base = trigger + [(T.VERSION, version_value(entry.blob, blob_id(candidate))), (T.EXPECTED, expected)]
    body = [f"{proposal.summary[:1].upper()}{proposal.summary[1:]} (proposer: {proposer.name})."] + evidence.body_lines()
    plan = Plan("refine", name, tuple(base + parent), safe_body(body), (PutFile(path, candidate),), (ws.skill_dir(name),),
                candidate=candidate, summary=proposal.summary)
    broken = [v for v in plan.violations(ws) if v.rule != "SG012"]
    if broken:
        return _refused(ws, d, trigger, parent, violation_reason(broken), [v.render() for v in broken], evidence)
    return _gated(ws, d, plan, trigger, parent, candidate, options, evidence, echo, head)


def _gated(ws: Workspace, d: Decision, plan: Plan, trigger: Pairs, parent: Pairs, candidate: bytes,
           options: CycleOptions, evidence: Evidenced, echo: Echo, head: str) -> Plan:
    from skillgit.evals.gate import gate
    from skillgit.evals.material import NoEvals
    from skillgit.evals.promote import acceptance_body, refusal_body

    name = plan.skill
    assert name is not None
    try:
        result = gate(ws, name, candidate, runner=options.runner, config=ws.config, budget=ws.config.eval.cycle_budget,
                      progress=options.gate_progress)
    except NoEvals as exc:
        return _refused(ws, d, trigger, parent, one_line(f"no evals: {exc} SG012 needs an eval summary for an agent refine"),
                        [], evidence)
    require_head(ws, head, "the eval gate ran")
    faults.point("cycle:gated")
    for line in result.lines():
        echo(f"gate: {line}")
    summary = result.summary.format()
    if not result.accepted:
        reason = one_line(f"eval gate: {result.reason or summary}")
        refused = _refused(ws, d, trigger, parent, reason, [], evidence, extra=[(T.EVAL_SUMMARY, summary)])
        return Plan(refused.kind, refused.skill, refused.trailers, safe_body(refusal_body(result).splitlines()),
                    gate=result, summary=refused.summary)
    pairs = list(plan.trailers)
    at = next(i for i, p in enumerate(pairs) if p[0] == T.EXPECTED) + 1
    pairs.insert(at, (T.EVAL_SUMMARY, summary))
    body = plan.body + "\n\n" + safe_body(acceptance_body(result).splitlines())
    return Plan(plan.kind, plan.skill, tuple(pairs), body, plan.edits, plan.sync, plan.candidate, result,
                plan.summary + f" ({summary})")


def _refused(ws: Workspace, d: Decision, trigger: Pairs, parent: Pairs, reason: str, details: list[str],
             evidence: Evidenced, extra: Pairs | None = None) -> Plan:
    pairs = trigger + [(T.REASON, reason)] + (extra or []) + parent
    lines = [f"The cycle proposed to {d.action} {d.skill}; the candidate was refused and is not committed."]
    if details:
        lines += [""] + [f"- {x}" for x in details]
    return Plan("refused", d.skill, tuple(pairs), safe_body(lines + evidence.body_lines()), summary=reason)


def _create(ws: Workspace, ev: Evidence, d: Decision, trigger: Pairs, parent: Pairs, proposer: Proposer, echo: Echo,
            head: str) -> Plan:
    from skillgit.evidence.adapters.native import learning_to_dict

    name = d.skill
    assert name is not None and d.pattern is not None
    path = f"{ws.skill_dir(name)}/SKILL.md"
    related = [x for x in ev.with_texts() if x.pattern_key == d.pattern]
    draft = draft_skill(ws, name, d.pattern, [learning_to_dict(x) for x in related])
    request = ProposalRequest("create", name, path, None, draft.decode("utf-8"), d.trigger,
                              complaints=tuple(learning_to_dict(x) for x in related[-10:]))
    proposal = _ask(ws, proposer, request, echo, head)
    if proposal.candidate is None:
        return _noop(d, trigger, parent, f"the {proposer.name} proposer drafted nothing ({proposal.summary})")
    _require_valid(ws, proposal.candidate, path, proposer)
    expected = expected_for(d, None, ws.config)
    pairs = trigger + [(T.VERSION, version_value(None, blob_id(proposal.candidate))), (T.EXPECTED, expected)] + parent
    evidence = Evidenced((), tuple(learning_to_dict(x) for x in related[-8:]))
    body = safe_body([f"A new candidate skill for the recurring pattern `{d.pattern}` (proposer: {proposer.name})."]
                     + evidence.body_lines())
    plan = Plan("create", name, tuple(pairs), body, (PutFile(path, proposal.candidate),), (ws.skill_dir(name),),
                candidate=proposal.candidate, summary=proposal.summary)
    broken = plan.violations(ws)
    if broken:
        return _refused(ws, d, trigger, parent, violation_reason(broken), [v.render() for v in broken], evidence)
    return plan


def draft_skill(ws: Workspace, name: str, pattern: str, learnings: list[Mapping[str, JSON]]) -> bytes:
    """A candidate SKILL.md for a recurring pattern: agent origin, candidate status, the takeaways as pitfalls."""
    from skillgit.model.skill import render_skill

    pol = ws.config.policy
    titles = [str(x.get("title") or "") for x in learnings if x.get("title")]
    topic = max(set(titles), key=lambda t: (titles.count(t), t)) if titles else pattern
    room = pol.agent_description_max - len(pol.candidate_prefix) - 1
    description = f"{pol.candidate_prefix} {one_line(f'Avoid: {topic}', room)}"
    fields: dict[str, FrontmatterValue] = {"name": name, "description": description}
    if ws.config.agent.origin:
        fields["origin"] = ws.config.agent.origin
    fields.update({"status": "candidate", "keywords": [pattern]})
    lines = [f"# {name}", "", "## When to use", "", f"When the recurring problem `{pattern}` comes up: {topic}.", "",
             "## Pitfalls", ""]
    seen: set[str] = set()
    for x in learnings:
        takeaway = " ".join(str(x.get("takeaway") or x.get("context") or "").split())
        if takeaway and takeaway not in seen and len(seen) < 8:
            seen.add(takeaway)
            lines.append(f"- {takeaway}")
    if not seen:
        lines.append(f"- {topic}")
    return render_skill(fields, "\n" + "\n".join(lines) + "\n", path=f"{ws.skill_dir(name)}/SKILL.md").raw


def _require_valid(ws: Workspace, candidate: bytes, path: str, proposer: Proposer) -> None:
    from skillgit.model.validate import validate_skill_bytes

    problems = [p for p in validate_skill_bytes(candidate, path, unknown_fields=ws.config.policy.unknown_fields)
                if p.severity == "error"]
    if problems:
        first = "; ".join(f"{p.key or '(file)'}: {p.message}" for p in problems[:3])
        raise ProposerFailed(f"the {proposer.name} proposer's candidate for {path} is not a valid skill ({first}); "
                             "nothing was committed.")


def _bookkeeping_fields(raw: bytes, path: str) -> list[str]:
    from skillgit.errors import SkillgitError
    from skillgit.model.skill import parse_skill

    try:
        skill = parse_skill(raw, path)
    except SkillgitError:
        return []
    return [k for k in BOOKKEEPING if k in skill.frontmatter]


def keep_bookkeeping(raw: bytes, path: str, m: Metrics | None, now: datetime) -> bytes:
    """Keep yoyo's frontmatter bookkeeping (score, uses, wins, last_used, last_evolved) current, where present."""
    from skillgit.errors import SkillgitError
    from skillgit.model.skill import parse_skill

    try:
        skill = parse_skill(raw, path)
    except SkillgitError:
        return raw
    values: dict[str, FrontmatterValue] = {"last_evolved": now.strftime("%Y-%m-%dT%H:%M:%SZ")}
    if m is not None and m.status == "measured":
        values.update({"score": round(m.score, 2), "uses": m.uses, "wins": m.wins})
        if m.last_used is not None:
            values["last_used"] = m.last_used.strftime("%Y-%m-%dT%H:%M:%SZ")
    updates = {k: v for k, v in values.items() if k in skill.frontmatter and skill.frontmatter[k] != v}
    if not updates:
        return raw
    try:
        return skill.with_fields(updates).raw
    except SkillgitError:
        return raw
