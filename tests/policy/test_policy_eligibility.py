"""Who may decide: approvers, self-approval, double approval, allowed decisions."""

from __future__ import annotations

from collections.abc import Collection

import pytest

from bot.errors import NotAllowed
from bot.policy import Policy, check_can_decide, describe_approvers, expand_approvers
from graphs.models import DecisionKind

FINANCE = Policy(approvers=("S0FIN", "U0CFO"), required_approvals=2)


def check(
    policy: Policy,
    *,
    user: str = "U0BOB",
    requester: str | None = "U0REQ",
    decision: DecisionKind = "approve",
    eligible: set[str] | None = None,
    approved: Collection[str] = (),
) -> None:
    check_can_decide(
        policy,
        user=user,
        requester=requester,
        decision=decision,
        eligible_users=eligible,
        already_approved_by=approved,
    )


def test_describe_approvers() -> None:
    assert describe_approvers(Policy()) == "anyone in the channel"
    assert describe_approvers(Policy(approvers=("U01",))) == "<@U01>"
    assert describe_approvers(Policy(approvers=("U01", "W02", "S03"))) == (
        "<@U01>, <@W02> or <!subteam^S03>"
    )


def test_expand_approvers() -> None:
    assert expand_approvers(Policy(), group_members={}) is None
    members = {"S0FIN": ["U0ANN", "U0BOB"]}
    assert expand_approvers(FINANCE, group_members=members) == {"U0ANN", "U0BOB", "U0CFO"}


def test_anyone_may_approve_when_no_approvers() -> None:
    check(Policy())


def test_eligible_approver_may_approve() -> None:
    check(FINANCE, eligible={"U0BOB", "U0CFO"})


def test_ineligible_user_is_told_who_can_decide() -> None:
    with pytest.raises(NotAllowed) as raised:
        check(FINANCE, user="U0EVE", eligible={"U0BOB", "U0CFO"})
    assert "not an approver" in raised.value.message
    assert "<!subteam^S0FIN> or <@U0CFO>" in raised.value.message


def test_self_approval_refused_by_default() -> None:
    for decision in ("approve", "edit"):
        with pytest.raises(NotAllowed, match="someone else must approve") as raised:
            check(FINANCE, user="U0REQ", decision=decision, eligible={"U0REQ"})
        assert "<!subteam^S0FIN>" in raised.value.message


def test_self_approval_allowed_by_policy() -> None:
    check(Policy(allow_self_approval=True), user="U0REQ")


def test_self_approval_still_needs_eligibility() -> None:
    with pytest.raises(NotAllowed, match="not an approver"):
        check(Policy(allow_self_approval=True), user="U0REQ", eligible={"U0BOB"})


def test_requester_may_reject_to_withdraw_even_if_not_an_approver() -> None:
    check(FINANCE, user="U0REQ", decision="reject", eligible={"U0BOB"})


def test_ineligible_user_may_not_reject() -> None:
    with pytest.raises(NotAllowed, match="not an approver"):
        check(FINANCE, user="U0EVE", decision="reject", eligible={"U0BOB"})


def test_approving_twice_is_refused() -> None:
    with pytest.raises(NotAllowed, match="already approved") as raised:
        check(FINANCE, eligible={"U0BOB"}, approved=["U0BOB"])
    assert "1 more" in raised.value.message


def test_rejecting_after_approving_is_allowed() -> None:
    check(FINANCE, decision="reject", eligible={"U0BOB"}, approved=["U0BOB"])


def test_second_person_may_approve() -> None:
    check(FINANCE, user="U0CFO", eligible={"U0BOB", "U0CFO"}, approved=["U0BOB"])


def test_decision_not_allowed_by_policy() -> None:
    policy = Policy(allowed_decisions=("approve", "reject"))
    with pytest.raises(NotAllowed) as raised:
        check(policy, decision="edit")
    expected = "Edit is not allowed for this request; you can Approve or Reject."
    assert raised.value.message == expected


def test_requester_withdraw_needs_reject_to_be_allowed() -> None:
    with pytest.raises(NotAllowed, match="Reject is not allowed"):
        check(Policy(allowed_decisions=("approve",)), user="U0REQ", decision="reject")


def test_no_requester_means_no_self_approval_check() -> None:
    check(Policy(), user="U0REQ", requester=None)
