"""Who may make which decision under a :class:`Policy`. Pure: no Slack calls.

The caller expands the policy's user groups into ``eligible_users`` (see
:func:`expand_approvers`), so these checks stay testable without Slack.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from bot.errors import NotAllowed
from bot.policy.model import Policy
from graphs.models import DecisionKind

_APPROVING: frozenset[DecisionKind] = frozenset({"approve", "edit"})
NOBODY = "nobody, as no one is eligible under every policy that applies"


def mention(slack_id: str) -> str:
    """``S…`` as a user-group mention, any other id as a user mention."""
    return f"<!subteam^{slack_id}>" if slack_id.startswith("S") else f"<@{slack_id}>"


def describe_approvers(policy: Policy, *, exclude: Collection[str | None] = ()) -> str:
    """Who may decide, as Slack mrkdwn: ``<@U1>, <@U2> or <!subteam^S1>`` / anyone.

    Users in ``exclude`` (the requester, who already approved) are left out. Where every
    list names users only, the people on all of them are named, or "nobody" when no one
    is on every list (two policies that apply at once and share no approver).
    """
    if not policy.approvers:
        return "anyone else in the channel" if any(exclude) else "anyone in the channel"
    lists = [policy.approvers, *policy.also_approvers]
    if not any(a.startswith("S") for group in lists for a in group):
        both = [a for a in policy.approvers if all(a in group for group in lists)]
        left = [a for a in both if a not in exclude]
        return _one_of(left) if left else NOBODY
    first = [a for a in policy.approvers if a not in exclude]
    if not first:
        return NOBODY
    text = _one_of(first)
    for group in policy.also_approvers:
        text += f" who is also {_one_of(group)}"
    return text


def _one_of(approvers: Collection[str]) -> str:
    mentions = [mention(approver) for approver in approvers]
    if len(mentions) == 1:
        return mentions[0]
    return f"{', '.join(mentions[:-1])} or {mentions[-1]}"


def expand_approvers(
    policy: Policy, *, group_members: Mapping[str, Collection[str]]
) -> set[str] | None:
    """The users who may decide: listed users plus members of listed groups; None = anyone.

    ``group_members`` maps a user-group id to its members (``usergroups.users.list``);
    a group missing from it contributes nobody.
    """
    if not policy.approvers:
        return None
    users = _members(policy.approvers, group_members)
    for group in policy.also_approvers:
        users &= _members(group, group_members)
    return users


def _members(approvers: Collection[str], group_members: Mapping[str, Collection[str]]) -> set[str]:
    users: set[str] = set()
    for approver in approvers:
        if approver.startswith("S"):
            users.update(group_members.get(approver, ()))
        else:
            users.add(approver)
    return users


def check_can_decide(
    policy: Policy,
    *,
    user: str,
    requester: str | None,
    decision: DecisionKind,
    eligible_users: set[str] | None,
    already_approved_by: Collection[str],
    external: bool = False,
) -> None:
    """Raise :class:`NotAllowed` if ``user`` may not make ``decision`` now; else return.

    Refused, in this order: a decision the policy does not allow; a user from another
    workspace or organisation (``external``) unless ``external_users``; approving (or editing)
    one's own request unless ``allow_self_approval``; a user outside ``eligible_users``
    (None means anyone); approving twice. The requester may always reject, which
    withdraws the request.
    """
    if decision not in policy.allowed_decisions:
        allowed = " or ".join(kind.capitalize() for kind in policy.allowed_decisions)
        raise NotAllowed(
            f"{decision.capitalize()} is not allowed for this request; you can {allowed}."
        )
    if external and not policy.external_users:
        raise NotAllowed(
            "Only people of this workspace can decide this request; nothing was changed."
        )
    is_requester = requester is not None and user == requester
    if is_requester and decision == "reject":
        return
    if is_requester and decision in _APPROVING and not policy.allow_self_approval:
        raise NotAllowed(
            "You requested this, so someone else must approve it: "
            f"{describe_approvers(policy, exclude=[user])}. "
            "You can still reject it to withdraw the request."
        )
    if eligible_users is not None and user not in eligible_users:
        raise NotAllowed(
            f"You are not an approver for this request; it can be decided by "
            f"{describe_approvers(policy, exclude=[requester])}."
        )
    if decision in _APPROVING and user in already_approved_by:
        remaining = max(policy.required_approvals - len(set(already_approved_by)), 1)
        more = "1 more approval" if remaining == 1 else f"{remaining} more approvals"
        raise NotAllowed(
            f"You have already approved this request; it needs {more} "
            "from someone else "
            f"({describe_approvers(policy, exclude=[requester, *already_approved_by])})."
        )

