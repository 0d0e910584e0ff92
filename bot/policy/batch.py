"""The request-level policy of a batch: where it is posted, when it expires, whom it
reminds and lists. Never used to judge a click: each action's own policy is (see
:mod:`bot.policy.book`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.policy.model import Policy, ordered_decisions


def request_policy(policies: Sequence[Policy], *, channel: str | None) -> Policy:
    """The request-level policy of a batch: where to post, when it expires, whom to
    remind and list. Never used to judge a click: each action's own policy is.

    Approvers are everyone who may decide some action (anyone if one action allows
    anyone); timeouts, reminders and escalation are the earliest and loudest.
    """
    if len(policies) == 1:
        return policies[0].model_copy(update={"channel": channel})
    lists = [policy.approvers for policy in policies]
    approvers = () if not all(lists) else tuple(dict.fromkeys(a for lst in lists for a in lst))
    reminders = [policy.reminder_s for policy in policies if policy.reminder_s is not None]
    combined = Policy(
        channel=channel,
        approvers=approvers,
        required_approvals=max(policy.required_approvals for policy in policies),
        allow_self_approval=any(policy.allow_self_approval for policy in policies),
        external_users=any(policy.external_users for policy in policies),
        timeout_s=min(policy.timeout_s for policy in policies),
        allowed_decisions=ordered_decisions(
            kind for policy in policies for kind in policy.allowed_decisions
        ),
        reminder_s=min(reminders) if reminders else None,
        **_combined_reach(policies),
    )
    waits = combined.on_timeout == "wait"
    if combined.reminder_s is not None and combined.reminder_s >= combined.timeout_s and not waits:
        combined = combined.model_copy(update={"reminder_s": None})
    return combined


def _combined_reach(policies: Sequence[Policy]) -> dict[str, Any]:
    """How a batch reaches people: the loudest and earliest of its actions. Escalating
    the request escalates each action by its own policy (see bot.engine.escalate)."""
    escalations = [p.escalate_after_s for p in policies if p.escalate_after_s is not None]
    return {
        "reminders": max(policy.reminders for policy in policies),
        "notify": "dm" if any(policy.notify == "dm" for policy in policies) else "channel",
        "escalate_after_s": min(escalations) if escalations else None,
        "escalate_to": tuple(dict.fromkeys(u for p in policies for u in p.escalate_to)),
        # Waiting past the timeout is the laxer outcome: every action must agree to it.
        "on_timeout": "wait" if all(p.on_timeout == "wait" for p in policies) else "reject",
    }
