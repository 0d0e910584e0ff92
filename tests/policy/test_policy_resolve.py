"""Resolving a request's policy: layer order, rules, the approval block, batches."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.errors import ConfigError
from bot.policy import (
    Policy,
    PolicyBook,
    expand_approvers,
    load_policy_file,
    meet,
    parse_policy,
)
from graphs.models import Action, ApprovalRequest, DecisionKind

SETTINGS = Policy(channel="C0SETTINGS", timeout_s=86_400)

LAYERED = """
[defaults]
channel = "C0FILE"
timeout_s = 7200
reminder_s = 600

[actions.pay]
channel = "C0ANYPAY"
timeout_s = 1800
approvers = ["U0ANY"]

[graphs.payments]
channel = "C0GRAPH"
approvers = ["S0FINANCE"]
allow_self_approval = true

[graphs.payments.actions.pay]
timeout_s = 900
allowed_decisions = ["approve", "reject"]

[[graphs.payments.actions.pay.rules]]
when = "amount > 10000"
required_approvals = 2

[[graphs.payments.actions.pay.rules]]
when = "amount >= 1000000"
required_approvals = 3
approvers = ["S0FINANCE", "U0CFO"]

[graphs.other]
channel = "C0OTHER"
"""


def request(
    *actions: tuple[str, dict[str, Any]],
    approval: dict[str, Any] | None = None,
    allowed: tuple[DecisionKind, ...] = ("approve", "edit", "reject", "respond"),
) -> ApprovalRequest:
    """A generic request with the given ``(name, args)`` actions."""
    return ApprovalRequest(
        dialect="generic",
        title="t",
        actions=[Action(name=name, args=args, allowed=allowed) for name, args in actions],
        approval=approval or {},
    )


@pytest.fixture
def book(tmp_path: Path) -> PolicyBook:
    path = tmp_path / "policy.toml"
    path.write_text(LAYERED)
    return load_policy_file(path)


def test_empty_book_returns_the_settings_defaults() -> None:
    resolved = PolicyBook().resolve(defaults=SETTINGS, graph="g", request=request(("x", {})))
    assert resolved == SETTINGS
    assert resolved.allowed_decisions == ("approve", "edit", "reject")
    assert (resolved.required_approvals, resolved.allow_self_approval) == (1, False)


def test_file_defaults_override_settings(book: PolicyBook) -> None:
    resolved = book.resolve(defaults=SETTINGS, graph="nograph", request=request(("x", {})))
    assert (resolved.channel, resolved.timeout_s, resolved.reminder_s) == ("C0FILE", 7200, 600)


def test_graph_overrides_file_defaults(book: PolicyBook) -> None:
    resolved = book.resolve(defaults=SETTINGS, graph="other", request=request(("x", {})))
    assert resolved.channel == "C0OTHER"
    assert resolved.timeout_s == 7200


def test_any_graph_action_overrides_graph(book: PolicyBook) -> None:
    resolved = book.resolve(defaults=SETTINGS, graph="other", request=request(("pay", {})))
    assert (resolved.channel, resolved.timeout_s) == ("C0ANYPAY", 1800)
    assert resolved.approvers == ("U0ANY",)


def test_graph_action_overrides_any_graph_action(book: PolicyBook) -> None:
    pay = request(("pay", {"amount": 5}))
    resolved = book.resolve(defaults=SETTINGS, graph="payments", request=pay)
    assert resolved.timeout_s == 900
    assert resolved.allowed_decisions == ("approve", "reject")
    # Fields the graph-action table leaves out come from [actions.pay] over [graphs.payments].
    assert (resolved.channel, resolved.approvers) == ("C0ANYPAY", ("U0ANY",))
    assert resolved.allow_self_approval is True


def test_threshold_rule_matches_above_and_not_at_the_threshold(book: PolicyBook) -> None:
    def required(amount: object) -> int:
        pay = request(("pay", {"amount": amount}))
        return book.resolve(defaults=SETTINGS, graph="payments", request=pay).required_approvals

    assert required(10_000) == 1
    assert required(10_000.01) == 2
    assert required(1_000_000) == 3
    # A string, or no amount at all, cannot be compared: the strictest outcome applies.
    assert required("25000.00") == 3
    assert required("not a number") == 3


def test_a_condition_that_cannot_be_evaluated_fails_closed(book: PolicyBook) -> None:
    explained = book.explain(defaults=SETTINGS, graph="payments", request=request(("pay", {})))
    assert explained.policy.required_approvals == 3
    # Never the union of U0ANY and the rule's list: no id in common, so the rule's list.
    assert explained.policy.approvers == ("S0FINANCE", "U0CFO")
    assert any("cannot be evaluated" in w for w in explained.warnings)


def test_rules_only_apply_in_their_graph(book: PolicyBook) -> None:
    pay = request(("pay", {"amount": 50_000}))
    assert book.resolve(defaults=SETTINGS, graph="other", request=pay).required_approvals == 1


def test_three_approvers_rule_also_sets_approvers(book: PolicyBook) -> None:
    pay = request(("pay", {"amount": 2_000_000}))
    resolved = book.resolve(defaults=SETTINGS, graph="payments", request=pay)
    assert resolved.required_approvals == 3
    assert resolved.approvers == ("S0FINANCE", "U0CFO")


def test_approval_block_only_tightens_the_file(book: PolicyBook) -> None:
    block = {"channel": "C0BLOCK", "required_approvals": 4, "timeout_s": 60, "approvers": []}
    pay = request(("pay", {"amount": 2_000_000}), approval=block)
    resolved = book.resolve(defaults=SETTINGS, graph="payments", request=pay)
    # more approvals and a shorter timeout count; the file's channel and approvers stay
    assert (resolved.channel, resolved.required_approvals, resolved.timeout_s) == (
        "C0ANYPAY",
        4,
        60,
    )
    assert resolved.approvers == ("S0FINANCE", "U0CFO")
    assert resolved.reminder_s is None  # 600 s before a 60 s expiry cannot be honoured


def test_approval_block_cannot_weaken_the_file(book: PolicyBook) -> None:
    block = {
        "required_approvals": 1,
        "timeout_s": 999_999,
        "allow_self_approval": True,
        "allowed_decisions": ["approve", "edit", "reject"],
        "external_users": True,
    }
    pay = request(("pay", {"amount": 20_000}), approval=block)
    resolved = book.resolve(defaults=SETTINGS, graph="payments", request=pay)
    assert resolved.required_approvals == 2  # the file's rule
    assert resolved.timeout_s == 900 and resolved.allowed_decisions == ("approve", "reject")
    assert resolved.external_users is False
    # the graph section allows self-approval; the block keeps it, it cannot add it elsewhere
    other = book.resolve(defaults=SETTINGS, graph="other", request=pay)
    assert other.allow_self_approval is False and other.required_approvals == 1


def test_approval_block_approvers_must_also_be_file_approvers(book: PolicyBook) -> None:
    pay = request(("refund", {"amount": 5}), approval={"approvers": ["UMALLORY", "U0CFO"]})
    resolved = book.resolve(defaults=SETTINGS, graph="payments", request=pay)
    assert resolved.approvers == ("UMALLORY", "U0CFO")
    assert resolved.also_approvers == (("S0FINANCE",),)
    assert expand_approvers(resolved, group_members={"S0FINANCE": ["U0CFO", "UBOB"]}) == {"U0CFO"}


def test_graph_may_relax_lets_the_block_loosen_that_graph_only() -> None:
    book = parse_policy(
        "[defaults]\nrequired_approvals = 2\napprovers = [\"U0BOSS\"]\n"
        "[graphs.trusted]\ngraph_may_relax = true\n"
    )
    block = {"required_approvals": 1, "approvers": ["U0ANY"], "channel": "C0BLOCK"}
    pay = request(("pay", {}), approval=block)
    relaxed = book.resolve(defaults=SETTINGS, graph="trusted", request=pay)
    assert (relaxed.required_approvals, relaxed.approvers, relaxed.channel) == (
        1, ("U0ANY",), "C0BLOCK")
    strict = book.resolve(defaults=SETTINGS, graph="other", request=pay)
    assert (strict.required_approvals, strict.channel) == (2, "C0BLOCK")  # no file channel
    assert expand_approvers(strict, group_members={}) == set()  # nobody is on both lists


def test_graph_may_relax_must_be_a_boolean() -> None:
    with pytest.raises(ConfigError, match="graph_may_relax: must be true or false"):
        parse_policy('[graphs.g]\ngraph_may_relax = "yes"\n')


def test_invalid_approval_block_fields_are_ignored_with_warnings(book: PolicyBook) -> None:
    block = {"required_approvals": 0, "timeout_s": "soon", "colour": "red", "channel": "C0OK"}
    blocked = request(("x", {}), approval=block)
    resolution = book.explain(defaults=SETTINGS, graph="other", request=blocked)
    assert resolution.policy.channel == "C0OTHER"  # valid, but the file pins the channel
    assert resolution.policy.required_approvals == 1
    assert resolution.policy.timeout_s == 7200
    joined = "\n".join(resolution.warnings)
    for field in ("required_approvals", "timeout_s", "colour"):
        assert f"approval.{field}" in joined


def test_resolve_action_uses_the_approval_block() -> None:
    policy = PolicyBook().resolve_action(
        defaults=SETTINGS, graph="g", action=Action(name="x"), approval={"required_approvals": 2}
    )
    assert policy.required_approvals == 2


def test_allowed_decisions_narrowed_to_what_the_action_accepts() -> None:
    book = parse_policy('[defaults]\nallowed_decisions = ["approve", "edit", "respond"]\n')
    narrowed = request(("x", {}), allowed=("approve", "reject"))
    assert book.resolve(defaults=SETTINGS, graph="g", request=narrowed).allowed_decisions == (
        "approve",
    )
    disjoint = request(("x", {}), allowed=("reject",))
    resolution = book.explain(defaults=SETTINGS, graph="g", request=disjoint)
    assert resolution.policy.allowed_decisions == ("reject",)
    assert resolution.warnings


def test_batch_takes_the_strictest_values(book: PolicyBook) -> None:
    batch = request(("pay", {"amount": 50_000}), ("notify", {}))
    resolution = book.explain(defaults=SETTINGS, graph="payments", request=batch)
    pay, notify = resolution.actions
    assert (pay.required_approvals, notify.required_approvals) == (2, 1)
    combined = resolution.policy
    assert combined.required_approvals == 2
    assert combined.timeout_s == 900
    # The actions disagree on the channel: the graph's own, before any action or rule.
    assert (pay.channel, notify.channel, combined.channel) == ("C0ANYPAY", "C0GRAPH", "C0GRAPH")
    # Each action keeps its own deciders: nobody decides the batch as a whole.
    assert (pay.approvers, notify.approvers) == (("U0ANY",), ("S0FINANCE",))
    assert pay.allowed_decisions == ("approve", "reject")
    assert notify.allowed_decisions == ("approve", "edit", "reject")


def test_batch_approvers_intersect_and_anyone_adds_no_restriction() -> None:
    book = parse_policy(
        '[actions.a]\napprovers = ["U01", "U02"]\n'
        '[actions.b]\napprovers = ["U02", "U03"]\n'
        "[actions.c]\nallow_self_approval = true\n"
    )
    batch = request(("a", {}), ("b", {}), ("c", {}))
    resolution = book.explain(defaults=SETTINGS, graph="g", request=batch)
    a, b, c = resolution.actions
    assert (a.approvers, b.approvers, c.approvers) == (("U01", "U02"), ("U02", "U03"), ())
    assert (a.allow_self_approval, c.allow_self_approval) == (False, True)
    # The request-level policy only lists and reaches people: anyone (c allows anyone).
    assert resolution.policy.approvers == ()
    assert resolution.warnings == ()


def test_an_edited_request_needs_both_policies_at_once() -> None:
    posted = Policy(approvers=("S0FINANCE",), required_approvals=1, timeout_s=7200)
    edited = Policy(
        approvers=("U0CFO",),
        required_approvals=2,
        timeout_s=86_400,
        allowed_decisions=("approve", "reject"),
        allow_self_approval=True,
        external_users=True,
    )
    both = meet(posted, edited)
    assert (both.required_approvals, both.timeout_s) == (2, 7200)
    assert both.allowed_decisions == ("approve", "reject")
    assert not both.allow_self_approval and not both.external_users
    members = {"S0FINANCE": ["U0CFO", "U0BOB"]}
    assert expand_approvers(both, group_members=members) == {"U0CFO"}
    # an edit back to arguments the posted policy covers needs no less than it did
    assert meet(posted, Policy()) == posted
