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
    if out["reminder_s"] is not None and out["reminder_s"] >= out["timeout_s"]:
        out["reminder_s"] = None
    return Policy.model_validate(out)


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
    if not other.also_approvers:
        return both
    also = (*both.also_approvers, *other.also_approvers)
    return both.model_copy(update={"also_approvers": Policy(also_approvers=also).also_approvers})
