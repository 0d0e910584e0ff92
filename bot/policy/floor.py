"""Tightening a policy: what a graph's ``approval`` block, or an edit, may change.

The policy file is a floor set by whoever runs the bot. A stricter layer may ask for
more approvals, fewer approvers, fewer decisions and a shorter timeout; it can never
ask for less. Where two layers both name approvers, a decider must be on both lists.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.policy.model import Policy, PolicyPatch, ordered_decisions
from graphs.models import DecisionKind

_REFUSE_ONLY: tuple[DecisionKind, ...] = ("reject",)


def _is_group(approver: str) -> bool:
    return approver.startswith("S")


def narrow_approvers(
    policy: Policy, extra: Iterable[str]
) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """``approvers`` and ``also_approvers`` once deciders must also be on ``extra``.

    An empty ``extra`` (anyone) narrows nothing. Plain user lists are intersected
    directly; with a group on either side, or when nobody is on both, the lists are
    kept side by side so that eligibility is their intersection (possibly nobody).
    """
    new = tuple(dict.fromkeys(extra))
    if not new:
        return policy.approvers, policy.also_approvers
    if not policy.approvers:
        return new, policy.also_approvers
    if set(new) == set(policy.approvers):
        return policy.approvers, policy.also_approvers
    plain = not any(_is_group(a) for a in (*new, *policy.approvers))
    common = tuple(a for a in new if a in policy.approvers)
    if plain and common:
        return common, policy.also_approvers
    return new, (*policy.also_approvers, policy.approvers)


def _decisions(a: Iterable[DecisionKind], b: Iterable[DecisionKind]) -> tuple[DecisionKind, ...]:
    both = ordered_decisions(set(a) & set(b))
    return both or _REFUSE_ONLY  # refusing is the safe answer when nothing is shared


def tighten(policy: Policy, patch: PolicyPatch, *, pinned_channel: bool) -> Policy:
    """``policy`` with ``patch`` applied only where it is stricter.

    ``pinned_channel`` says the file chose the channel: the patch may not move it.
    """
    u = {k: v for k, v in patch.updates().items() if v is not None}
    out: dict[str, Any] = policy.model_dump()
    if "channel" in u and not pinned_channel:
        out["channel"] = u["channel"]
    if "approvers" in u:
        out["approvers"], out["also_approvers"] = narrow_approvers(policy, u["approvers"])
    if "required_approvals" in u:
        out["required_approvals"] = max(policy.required_approvals, u["required_approvals"])
    for flag in ("allow_self_approval", "external_users"):
        if flag in u:
            out[flag] = getattr(policy, flag) and u[flag]
    if "timeout_s" in u:
        out["timeout_s"] = min(policy.timeout_s, u["timeout_s"])
    if "allowed_decisions" in u:
        out["allowed_decisions"] = _decisions(policy.allowed_decisions, u["allowed_decisions"])
    if "reminder_s" in u:
        out["reminder_s"] = u["reminder_s"]
    out.update(_tighter_reach(policy, u))
    waits = out["on_timeout"] == "wait"
    if out["reminder_s"] is not None and out["reminder_s"] >= out["timeout_s"] and not waits:
        out["reminder_s"] = None
    return Policy.model_validate(out)


def _tighter_reach(policy: Policy, u: dict[str, Any]) -> dict[str, Any]:
    """The reach fields a stricter layer may set: louder, sooner, never laxer.

    It may turn DMs on, add reminders, escalate sooner (never not at all), and switch
    ``on_timeout`` to ``"reject"``; ``escalate_to`` may only name people the layer
    below already escalates to, since escalation makes them eligible.
    """
    out: dict[str, Any] = {}
    if u.get("notify") == "dm":
        out["notify"] = "dm"
    if "reminders" in u:
        out["reminders"] = max(policy.reminders, u["reminders"])
    if "escalate_after_s" in u:
        below = policy.escalate_after_s
        out["escalate_after_s"] = u["escalate_after_s"] if below is None else min(
            below, u["escalate_after_s"]
        )
    if "escalate_to" in u:
        out["escalate_to"] = tuple(a for a in u["escalate_to"] if a in policy.escalate_to)
    if u.get("on_timeout") == "reject":
        out["on_timeout"] = "reject"
    return out


def escalated(policy: Policy) -> Policy:
    """``policy`` once escalated: ``escalate_to`` may decide too (anyone stays anyone).

    They join every list a decider must be on, since the file named them; the number
    of approvals needed is unchanged.
    """
    if not policy.escalate_to or not policy.approvers:
        return policy
    return policy.model_copy(
        update={
            "approvers": tuple(dict.fromkeys((*policy.approvers, *policy.escalate_to))),
            "also_approvers": tuple(
                tuple(dict.fromkeys((*group, *policy.escalate_to)))
                for group in policy.also_approvers
            ),
        }
    )


def _both_reach(a: Policy, b: Policy) -> dict[str, Any]:
    """Reach as both policies ask (both come from the file): the louder and sooner."""
    after = [p.escalate_after_s for p in (a, b) if p.escalate_after_s is not None]
    return {
        "notify": "dm" if "dm" in (a.notify, b.notify) else "channel",
        "reminders": max(a.reminders, b.reminders),
        "escalate_after_s": min(after) if after else None,
        "escalate_to": tuple(dict.fromkeys((*a.escalate_to, *b.escalate_to))),
        "on_timeout": "wait" if a.on_timeout == b.on_timeout == "wait" else "reject",
    }


def stricter(floor: Policy, other: Policy) -> Policy:
    """Both policies at once: what an edited request needs (``floor`` is where it began).

    The channel and reminder stay the floor's: the message is already posted there.
    """
    patch = PolicyPatch.model_validate(
        {
            "approvers": list(other.approvers),
            "required_approvals": other.required_approvals,
            "allow_self_approval": other.allow_self_approval,
            "external_users": other.external_users,
            "timeout_s": other.timeout_s,
            "allowed_decisions": list(other.allowed_decisions),
        }
    )
    both = tighten(floor, patch, pinned_channel=True)
    both = both.model_copy(update=_both_reach(floor, other))
    if not other.also_approvers:
        return both
    also = (*both.also_approvers, *other.also_approvers)
    return both.model_copy(update={"also_approvers": Policy(also_approvers=also).also_approvers})
