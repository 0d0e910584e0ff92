"""A loaded policy file, and resolving the policy of one request from its layers.

The policy of one action is built from these layers, lowest to highest; each sets only
the fields it names:

1. the settings defaults (passed in as a :class:`Policy`);
2. the file's ``[defaults]``;
3. ``[graphs.G]`` for the request's graph;
4. ``[actions.A]`` for the action's name, in any graph;
5. ``[graphs.G.actions.A]``, the same action in this graph only;
6. the rules whose ``when`` matches the action's arguments: every matching rule
   applies, in this order — rules of ``[defaults]``, of the graph, of ``[actions.A]``,
   of ``[graphs.G.actions.A]``, each section's rules in file order — so a later match
   overrides an earlier one (write thresholds in ascending order);
7. the interrupt's own ``approval`` block (invalid fields are ignored with a warning),
   which may only *tighten* what the file says: more approvals, fewer approvers (a
   decider must be on both lists), fewer decisions, a shorter timeout, self-approval
   or external users switched off, and a channel only where the file names none. With
   ``graph_may_relax = true`` in ``[graphs.G]`` the block overrides the file outright.

``allowed_decisions`` is then narrowed to what the action itself accepts (an Agent
Inbox ``config`` or a middleware ``review_config``), and a ``reminder_s`` not shorter
than ``timeout_s`` is dropped (unless ``on_timeout = "wait"``: reminders go on past it).

A request with several actions (a batch of tool calls) gets one policy, the strictest
across its actions: the most ``required_approvals``, the shortest ``timeout_s``, the
shortest reminder period and most reminders, a DM if any action wants one, the earliest
escalation to everyone any action escalates to, waiting past the timeout only if every
action waits, self-approval only if every action allows it, the decisions every
action allows (``reject`` alone if they share none), approvers every action accepts
(the ids common to all non-empty lists; if the lists share no id, their union, with a
warning — check each action with :meth:`PolicyBook.resolve_action` when that matters),
and the channel of the action needing the most approvals (the first on a tie).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.policy.cel import CelCondition
from bot.policy.floor import stricter, tighten
from bot.policy.model import Policy, PolicyPatch, apply_patch, lenient_patch, ordered_decisions
from graphs.models import Action, ApprovalRequest, DecisionKind

logger = logging.getLogger(__name__)
CONDITION_UNEVALUATED = "condition not evaluated"


class Rule(BaseModel):
    """Overrides that apply when every condition matches the action's arguments."""

    model_config = ConfigDict(frozen=True)

    when: tuple[CelCondition, ...] = Field(min_length=1)
    patch: PolicyPatch

    def matches(self, args: Mapping[str, Any]) -> bool | None:
        """Whether all conditions hold for ``args``: None if one cannot be evaluated
        (and none is false)."""
        results = [condition.evaluate(args) for condition in self.when]
        if False in results:
            return False
        return None if None in results else True


class Section(BaseModel):
    """One table of the file: its own fields and its conditional rules."""

    model_config = ConfigDict(frozen=True)

    patch: PolicyPatch = PolicyPatch()
    rules: tuple[Rule, ...] = ()
    resume: dict[str, Any] | None = None  # JSON-e templates per decision (bot.policy.resume)


class GraphSection(Section):
    """``[graphs.G]``: a section plus per-action sections for that graph."""

    actions: dict[str, Section] = Field(default_factory=dict)
    # The graph's own ``approval`` block may loosen the file (trusted graphs only).
    graph_may_relax: bool = False


class Resolution(BaseModel):
    """A resolved request: its policy, each action's own policy, and what was ignored."""

    model_config = ConfigDict(frozen=True)

    policy: Policy
    actions: tuple[Policy, ...]
    warnings: tuple[str, ...] = ()


class PolicyBook(BaseModel):
    """Every policy section of one file; an empty book adds nothing to the defaults."""

    model_config = ConfigDict(frozen=True)

    source: str | None = None
    defaults: Section = Section()
    graphs: dict[str, GraphSection] = Field(default_factory=dict)
    actions: dict[str, Section] = Field(default_factory=dict)

    def resolve(self, *, defaults: Policy, graph: str, request: ApprovalRequest) -> Policy:
        """The policy for ``request`` from ``graph`` (see the module docstring).

        Warnings about the request's ``approval`` block are logged; use :meth:`explain`
        to get them.
        """
        resolution = self.explain(defaults=defaults, graph=graph, request=request)
        for warning in resolution.warnings:
            logger.warning("policy for graph %s: %s", graph, warning)
        return resolution.policy

    def explain(self, *, defaults: Policy, graph: str, request: ApprovalRequest) -> Resolution:
        """Like :meth:`resolve`, with each action's policy and the warnings."""
        approval, warnings = lenient_patch(request.approval, source="approval")
        per_action: list[Policy] = []
        for action in request.actions:
            policy, action_warnings = self._resolve(defaults, graph, action, approval)
            per_action.append(policy)
            warnings.extend(action_warnings)
        combined, combine_warnings = combine_policies(per_action)
        warnings.extend(combine_warnings)
        return Resolution(policy=combined, actions=tuple(per_action), warnings=tuple(warnings))

    def resolve_action(
        self,
        *,
        defaults: Policy,
        graph: str,
        action: Action,
        approval: Mapping[str, Any] | None = None,
    ) -> Policy:
        """The policy of one ``action`` of ``graph``; ``approval`` is the request's block."""
        patch, _ = lenient_patch(approval or {}, source="approval")
        return self._resolve(defaults, graph, action, patch)[0]

    def resume_templates(self, graph: str, action: str) -> dict[str, Any] | None:
        """The operator's resume templates for ``action`` of ``graph``, if the file has any."""
        section = self.graphs.get(graph)
        if section is None:
            return None
        own = section.actions.get(action)
        return own.resume if own is not None and own.resume is not None else section.resume

    def _sections(self, graph: str, action: str) -> list[Section]:
        graph_section = self.graphs.get(graph)
        sections: list[Section | None] = [
            self.defaults,
            graph_section,
            self.actions.get(action),
            graph_section.actions.get(action) if graph_section else None,
        ]
        return [section for section in sections if section is not None]

    def _resolve(
        self, defaults: Policy, graph: str, action: Action, approval: PolicyPatch
    ) -> tuple[Policy, list[str]]:
        sections = self._sections(graph, action.name)
        policy = defaults
        warnings: list[str] = []
        pinned = any("channel" in section.patch.model_fields_set for section in sections)
        for section in sections:
            policy = apply_patch(policy, section.patch)
        for section in sections:
            for rule in section.rules:
                policy, applied = _apply_rule(policy, rule, action, warnings)
                pinned = pinned or (applied and "channel" in rule.patch.model_fields_set)
        graph_section = self.graphs.get(graph)
        if graph_section is not None and graph_section.graph_may_relax:
            policy = apply_patch(policy, approval)
        else:
            policy = tighten(policy, approval, pinned_channel=pinned)
        fitted, fit_warnings = _fit_to_action(policy, action)
        return fitted, warnings + fit_warnings


def _apply_rule(
    policy: Policy, rule: Rule, action: Action, warnings: list[str]
) -> tuple[Policy, bool]:
    """``policy`` after ``rule``, and whether the rule applied. A rule that cannot be
    evaluated fails closed: both outcomes at once, each field at its stricter."""
    matched = rule.matches(action.args)
    if matched is False:
        return policy, False
    applied = apply_patch(policy, rule.patch)
    if matched:
        return applied, True
    when = " && ".join(f"({condition})" for condition in rule.when)
    warnings.append(
        f"{CONDITION_UNEVALUATED}: action {action.name}: {when} cannot be evaluated for its "
        "arguments; the stricter outcome applies"
    )
    both = stricter(policy, applied)
    # The rule's channel and reminder period, as if it had matched.
    as_matched = {"channel": applied.channel, "reminder_s": applied.reminder_s}
    return both.model_copy(update=as_matched), True


def _fit_to_action(policy: Policy, action: Action) -> tuple[Policy, list[str]]:
    warnings: list[str] = []
    allowed = ordered_decisions(set(policy.allowed_decisions) & set(action.allowed))
    if not allowed:
        allowed = _fallback_decisions(action.allowed)
        warnings.append(
            f"action {action.name}: the policy allows {list(policy.allowed_decisions)} but "
            f"the action accepts only {list(action.allowed)}; using {list(allowed)}"
        )
    reminder = policy.reminder_s
    # A request that waits past its timeout may still be reminded after it.
    if reminder is not None and reminder >= policy.timeout_s and policy.on_timeout == "reject":
        warnings.append(
            f"action {action.name}: reminder_s {reminder} is not shorter than timeout_s "
            f"{policy.timeout_s}; no reminder"
        )
        reminder = None
    update = {"allowed_decisions": allowed, "reminder_s": reminder}
    return Policy.model_validate(policy.model_dump() | update), warnings


def _fallback_decisions(accepted: Sequence[DecisionKind]) -> tuple[DecisionKind, ...]:
    # Refusing is the safe default when nothing is allowed by both sides.
    return ("reject",) if "reject" in accepted or not accepted else ordered_decisions(accepted)


def combine_policies(policies: Sequence[Policy]) -> tuple[Policy, list[str]]:
    """The strictest single policy for a batch of actions, with warnings (see module doc)."""
    if len(policies) == 1:
        return policies[0], []
    warnings: list[str] = []
    strictest = max(policies, key=lambda policy: policy.required_approvals)
    if len({policy.channel for policy in policies}) > 1:
        warnings.append(f"actions use different channels; posting in {strictest.channel}")
    decisions = ordered_decisions(
        set.intersection(*(set(policy.allowed_decisions) for policy in policies))
    )
    if not decisions:
        warnings.append("actions allow no decision in common; allowing reject only")
    reminders = [policy.reminder_s for policy in policies if policy.reminder_s is not None]
    approvers, approver_warning = _common_approvers(policies)
    warnings.extend(approver_warning)
    combined = Policy(
        channel=strictest.channel,
        approvers=approvers,
        also_approvers=tuple(group for policy in policies for group in policy.also_approvers),
        required_approvals=strictest.required_approvals,
        allow_self_approval=all(policy.allow_self_approval for policy in policies),
        external_users=all(policy.external_users for policy in policies),
        timeout_s=min(policy.timeout_s for policy in policies),
        allowed_decisions=decisions or ("reject",),
        reminder_s=min(reminders) if reminders else None,
        **_combined_reach(policies),
    )
    waits = combined.on_timeout == "wait"
    if combined.reminder_s is not None and combined.reminder_s >= combined.timeout_s and not waits:
        combined = combined.model_copy(update={"reminder_s": None})
    return combined, warnings


def _combined_reach(policies: Sequence[Policy]) -> dict[str, Any]:
    """How a batch reaches people: the loudest, earliest and strictest of its actions."""
    escalations = [p.escalate_after_s for p in policies if p.escalate_after_s is not None]
    return {
        "reminders": max(policy.reminders for policy in policies),
        "notify": "dm" if any(policy.notify == "dm" for policy in policies) else "channel",
        "escalate_after_s": min(escalations) if escalations else None,
        "escalate_to": tuple(dict.fromkeys(u for p in policies for u in p.escalate_to)),
        # Waiting past the timeout is the laxer outcome: every action must agree to it.
        "on_timeout": "wait" if all(p.on_timeout == "wait" for p in policies) else "reject",
    }


def _common_approvers(policies: Sequence[Policy]) -> tuple[tuple[str, ...], list[str]]:
    lists = [policy.approvers for policy in policies if policy.approvers]
    if not lists:
        return (), []
    common = set.intersection(*(set(approvers) for approvers in lists))
    if common:
        return tuple(approver for approver in lists[0] if approver in common), []
    union = tuple(dict.fromkeys(approver for approvers in lists for approver in approvers))
    warning = (
        f"actions name approvers with no id in common {[list(a) for a in lists]}; "
        "any of them may decide the batch"
    )
    return union, [warning]
