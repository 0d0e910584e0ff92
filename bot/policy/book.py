"""A loaded policy file, and resolving the policy of each action of a request.

The policy of one action is built from these layers, lowest to highest; each sets only
the fields it names:

1. the settings defaults (passed in as a :class:`Policy`; a server thread's channel
   metadata arrives here, below every table of the file);
2. the file's ``[defaults]``;
3. ``[graphs.G]`` for the request's graph;
4. ``[actions.A]`` for the action's name, in any graph;
5. ``[graphs.G.actions.A]``, the same action in this graph only;
6. the rules whose ``when`` matches the action's arguments: every matching rule
   applies, in this order — rules of ``[defaults]``, of the graph, of ``[actions.A]``,
   of ``[graphs.G.actions.A]``, each section's rules in file order — so a later match
   overrides an earlier one (write thresholds in ascending order). A rule whose
   condition cannot be evaluated applies both ways at once (:func:`~bot.policy.floor.meet`),
   in the channel the file chose without it;
7. the interrupt's own ``approval`` block (invalid fields are ignored with a warning),
   combined by :func:`~bot.policy.floor.tighten`, so it may only tighten the file. With
   ``graph_may_relax = true`` in ``[graphs.G]`` the block overrides the file outright.

``allowed_decisions`` is then narrowed to what the action itself accepts (an Agent
Inbox ``config`` or a middleware ``review_config``); nothing in common means reject only.

A request with several actions (a batch of tool calls) keeps each action's own policy:
a click on one call is judged by that call's policy alone. The request as a whole gets
a policy used only to reach and list people (never to judge a click): posted where all
actions agree, else in the file's unconditional channel for the graph; an action that
belongs in another channel where anyone there may decide allows only reject.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.policy.batch import request_policy
from bot.policy.cel import CelCondition
from bot.policy.floor import REFUSE_ONLY, Override, meet, reminder_fits, tighten
from bot.policy.model import Policy, PolicyPatch, apply_patch, lenient_patch, ordered_decisions
from graphs.models import Action, ApprovalRequest

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
    """A resolved request: each action's policy, the request's, and what was not applied."""

    model_config = ConfigDict(frozen=True)

    policy: Policy
    actions: tuple[Policy, ...]
    warnings: tuple[str, ...] = ()
    # What an untrusted layer asked that the floor changed (said in the audit log).
    overrides: tuple[Override, ...] = ()


class PolicyBook(BaseModel):
    """Every policy section of one file; an empty book adds nothing to the defaults."""

    model_config = ConfigDict(frozen=True)

    source: str | None = None
    defaults: Section = Section()
    graphs: dict[str, GraphSection] = Field(default_factory=dict)
    actions: dict[str, Section] = Field(default_factory=dict)

    def resolve(self, *, defaults: Policy, graph: str, request: ApprovalRequest) -> Policy:
        """The request-level policy for ``request`` from ``graph`` (see the module doc).

        Warnings are logged; use :meth:`explain` for each action's policy and warnings.
        """
        resolution = self.explain(defaults=defaults, graph=graph, request=request)
        for warning in resolution.warnings:
            logger.warning("policy for graph %s: %s", graph, warning)
        return resolution.policy

    def explain(self, *, defaults: Policy, graph: str, request: ApprovalRequest) -> Resolution:
        """Each action's policy, the request's, the warnings and the overrides."""
        approval, warnings = lenient_patch(request.approval, source="approval")
        per_action: list[Policy] = []
        overrides: list[Override] = []
        named: list[bool] = []
        for action in request.actions:
            policy, action_warnings, action_overrides = self._resolve(
                defaults, graph, action, approval
            )
            per_action.append(policy)
            named.append(self.names_approvers(defaults=defaults, graph=graph, action=action))
            warnings.extend(action_warnings)
            overrides.extend(o for o in action_overrides if o not in overrides)
        channel = self._batch_channel(defaults, graph, per_action, approval)
        fitted = [
            _in_channel(policy, channel, action, warnings, named=names)
            for policy, action, names in zip(per_action, request.actions, named, strict=True)
        ]
        return Resolution(
            policy=request_policy(fitted, channel=channel),
            actions=tuple(fitted),
            warnings=tuple(warnings),
            overrides=tuple(overrides),
        )

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

    def names_approvers(self, *, defaults: Policy, graph: str, action: Action) -> bool:
        """Whether the file itself (no block) names who decides ``action`` however its
        rules go: if not, the people in its channel do, and it cannot be decided
        anywhere else. A rule that cannot be evaluated may not apply, so it names nobody."""
        sections = self._sections(graph, action.name)
        policy = defaults
        for section in sections:
            policy = apply_patch(policy, section.patch)
        named = bool(policy.approvers)
        for section in sections:
            for rule in section.rules:
                if rule.patch.approvers is not None and rule.matches(action.args) is True:
                    named = bool(rule.patch.approvers)
        return named

    def _sections(self, graph: str, action: str) -> list[Section]:
        graph_section = self.graphs.get(graph)
        sections: list[Section | None] = [
            self.defaults,
            graph_section,
            self.actions.get(action),
            graph_section.actions.get(action) if graph_section else None,
        ]
        return [section for section in sections if section is not None]

    def _batch_channel(
        self, defaults: Policy, graph: str, policies: Sequence[Policy], approval: PolicyPatch
    ) -> str | None:
        """Where a request is posted: where its actions agree, else where the file posts
        the graph's requests before any action or rule (the block's channel where the
        file pins none)."""
        channels = {policy.channel for policy in policies}
        if len(channels) == 1:
            return policies[0].channel
        base = apply_patch(apply_patch(defaults, self.defaults.patch), self._graph_patch(graph))
        pinned = base.channel != defaults.channel or self._pins_graph_channel(graph)
        if approval.channel is not None and not pinned:
            return approval.channel
        return base.channel

    def _graph_patch(self, graph: str) -> PolicyPatch:
        section = self.graphs.get(graph)
        return section.patch if section is not None else PolicyPatch()

    def _pins_graph_channel(self, graph: str) -> bool:
        return any(
            "channel" in patch.model_fields_set
            for patch in (self.defaults.patch, self._graph_patch(graph))
        )

    def _resolve(
        self, defaults: Policy, graph: str, action: Action, approval: PolicyPatch
    ) -> tuple[Policy, list[str], list[Override]]:
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
        overrides: list[Override] = []
        if graph_section is not None and graph_section.graph_may_relax:
            policy = apply_patch(policy, approval)
        else:
            policy, overrides = tighten(policy, approval, pinned_channel=pinned)
        fitted, fit_warnings = _fit_to_action(policy, action)
        return fitted, warnings + fit_warnings, overrides


def _apply_rule(
    policy: Policy, rule: Rule, action: Action, warnings: list[str]
) -> tuple[Policy, bool]:
    """``policy`` after ``rule``, and whether the rule may apply. A rule that cannot be
    evaluated fails closed: both outcomes at once (:func:`meet`), in the channel the
    file chose without the rule."""
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
    # It may apply: a channel it sets pins the channel (a block may not move it), which
    # stays the one the file chose without it.
    return meet(policy, applied), True


def _fit_to_action(policy: Policy, action: Action) -> tuple[Policy, list[str]]:
    """Offer only what both the policy and the action accept; nothing shared: reject."""
    warnings: list[str] = []
    allowed = ordered_decisions(set(policy.allowed_decisions) & set(action.allowed))
    if not allowed:
        allowed = REFUSE_ONLY
        warnings.append(
            f"action {action.name}: the policy allows {list(policy.allowed_decisions)} but "
            f"the action accepts only {list(action.allowed)}; allowing reject only"
        )
    fitted = policy.model_copy(update={"allowed_decisions": allowed})
    if reminder_fits(fitted) != fitted:
        warnings.append(
            f"action {action.name}: reminder_s {policy.reminder_s} is not shorter than "
            f"timeout_s {policy.timeout_s}; no reminder"
        )
    return reminder_fits(fitted), warnings


def _in_channel(
    policy: Policy, channel: str | None, action: Action, warnings: list[str], *, named: bool
) -> Policy:
    """An action posted outside the channel its policy names, where the file lets anyone
    there decide (``named`` is False), cannot be decided as the file says: only reject.
    A block's approvers do not stand in for the file's channel."""
    if policy.channel == channel or named or policy.allowed_decisions == REFUSE_ONLY:
        return policy
    warnings.append(
        f"action {action.name}: its policy posts to {policy.channel}, where anyone may "
        f"decide, but the batch is posted in {channel}; allowing reject only"
    )
    return policy.model_copy(update={"allowed_decisions": REFUSE_ONLY})
