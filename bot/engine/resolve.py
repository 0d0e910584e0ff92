"""Resolve a new request's policies: each action's own, and the request's, from the
operator's file and the layers over it (see :mod:`bot.policy`); say what was overridden."""

from __future__ import annotations

import logging
from typing import Any

from bot.engine.deps import Deps
from bot.policy import Override, Policy, Resolution
from graphs.adapters.templates import shaped_decisions
from graphs.models import ApprovalRequest

log = logging.getLogger(__name__)
_WARNED: set[tuple[str, str]] = set()


def resolve_request(
    deps: Deps, run: dict[str, Any], request: ApprovalRequest
) -> tuple[ApprovalRequest, Resolution]:
    """The request narrowed to what each action's policy allows, and the resolution."""
    defaults = Policy(
        channel=run["channel"],
        timeout_s=deps.settings.approvals_timeout_s,
        reminder_s=deps.settings.approvals_reminder_s,
        # A ``respond`` template offers an answer unless the file allows less.
        allowed_decisions=shaped_decisions(request),
    )
    resolution = deps.policies.explain(defaults=defaults, graph=run["graph"], request=request)
    for warning in resolution.warnings:
        log.warning("policy for graph %s: %s", run["graph"], warning)
    _say_overrides(run["graph"], resolution.overrides)
    return _narrow(request, resolution.actions), resolution


def _narrow(request: ApprovalRequest, policies: tuple[Policy, ...]) -> ApprovalRequest:
    """Offer on each action only the decisions both it and its own policy allow (the
    resolution already made that non-empty: reject alone when they share none)."""
    actions = [
        a.model_copy(
            update={
                "allowed": tuple(k for k in a.allowed if k in p.allowed_decisions)
                or p.allowed_decisions
            }
        )
        for a, p in zip(request.actions, policies, strict=True)
    ]
    return request.model_copy(update={"actions": actions})


def _say_overrides(graph: str, overrides: tuple[Override, ...]) -> None:
    """Warn once per graph and field that the floor changed what a layer asked for."""
    for o in overrides:
        if (graph, o.field) not in _WARNED:
            _WARNED.add((graph, o.field))
            log.warning(
                "policy for graph %s: %s asked %s = %r; the policy file's floor applies %r",
                graph, o.source, o.field, o.asked, o.applies,
            )


def policy_detail(resolution: Resolution) -> dict[str, Any] | None:
    """What the audit log's ``requested`` event says of the policy: the warnings (a
    condition that could not be evaluated) and the overrides (what a block asked)."""
    detail: dict[str, Any] = {}
    if resolution.warnings:
        detail["policy_warnings"] = list(resolution.warnings)
    if resolution.overrides:
        detail["policy_overrides"] = [o.model_dump(mode="json") for o in resolution.overrides]
    return detail or None
