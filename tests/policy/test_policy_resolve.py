"""Resolving a request's policy: layer order, rules, the approval block, batches."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.policy import Policy, PolicyBook, load_policy_file, parse_policy
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


def test_approval_block_overrides_everything(book: PolicyBook) -> None:
    block = {"channel": "C0BLOCK", "required_approvals": 4, "timeout_s": 60, "approvers": []}
    pay = request(("pay", {"amount": 2_000_000}), approval=block)
    resolved = book.resolve(defaults=SETTINGS, graph="payments", request=pay)
    assert (resolved.channel, resolved.required_approvals, resolved.timeout_s) == (
        "C0BLOCK",
        4,
        60,
    )
    assert resolved.approvers == ()
    assert resolved.reminder_s is None  # 600 s before a 60 s expiry cannot be honoured


def test_invalid_approval_block_fields_are_ignored_with_warnings(book: PolicyBook) -> None:
    block = {"required_approvals": 0, "timeout_s": "soon", "colour": "red", "channel": "C0OK"}
    blocked = request(("x", {}), approval=block)
    resolution = book.explain(defaults=SETTINGS, graph="other", request=blocked)
    assert resolution.policy.channel == "C0OK"
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
    assert combined.channel == pay.channel == "C0ANYPAY"
    assert combined.allowed_decisions == ("approve", "reject")
    assert combined.allow_self_approval is True
    # No id in common between ["U0ANY"] and ["S0FINANCE"]: the union, with a warning.
    assert combined.approvers == ("U0ANY", "S0FINANCE")
    assert any("approvers" in warning for warning in resolution.warnings)


def test_batch_approvers_intersect_and_anyone_adds_no_restriction() -> None:
    book = parse_policy(
        '[actions.a]\napprovers = ["U01", "U02"]\n'
        '[actions.b]\napprovers = ["U02", "U03"]\n'
        "[actions.c]\nallow_self_approval = true\n"
    )
    batch = request(("a", {}), ("b", {}), ("c", {}))
    resolution = book.explain(defaults=SETTINGS, graph="g", request=batch)
    assert resolution.policy.approvers == ("U02",)
    assert resolution.policy.allow_self_approval is False
    assert resolution.warnings == ()
