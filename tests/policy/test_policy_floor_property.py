"""The floor, as a property: whatever an untrusted layer sends, the policy a click is
judged by is never laxer than the operator's file for that action and those arguments.

The test computes the file's policy itself (a small reference model of the layer order
and of the rules, with ``amount > N`` conditions it evaluates in Python) and checks the
bot's result against it field by field. A condition the reference cannot evaluate (the
amount is a string or a boolean) gives two file policies, with and without the rule:
the result must be at least as strict as both.
"""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.policy import Policy, PolicyBook, escalated, expand_approvers, meet, parse_policy
from bot.policy.model import PolicyPatch, apply_patch
from graphs.models import Action, ApprovalRequest

SETTINGS = Policy(channel="C0SET", timeout_s=86_400)
USERS = ("U01", "U02", "U03", "U04", "U05")
GROUPS = {"S01": ("U01", "U02"), "S02": ("U03", "U04")}
DECISIONS = ("approve", "edit", "reject")

approver_lists = st.lists(st.sampled_from(USERS + tuple(GROUPS)), min_size=1, max_size=3,
                          unique=True)
patches = st.fixed_dictionaries({}, optional={
    "channel": st.sampled_from(["C0A", "C0B", "C0C"]),
    "approvers": approver_lists,
    "required_approvals": st.integers(1, 3),
    "allow_self_approval": st.booleans(),
    "external_users": st.booleans(),
    "timeout_s": st.sampled_from([60, 600, 3600]),
    "allowed_decisions": st.lists(st.sampled_from(DECISIONS), min_size=1, unique=True),
    "escalate_after_s": st.sampled_from([30, 300, 900]),
    "escalate_to": approver_lists,
    "on_timeout": st.sampled_from(["reject", "wait"]),
    "standing_max_s": st.sampled_from([900, 3600]),
    "standing_when": st.sampled_from(["amount <= 500", "amount <= 50"]),
    "always_approve": st.booleans(),
})
rules = st.lists(st.tuples(st.sampled_from([100, 10_000]), patches.filter(bool)), max_size=3)
amounts = st.one_of(st.sampled_from([50, 5_000, 50_000]), st.sampled_from(["50000", True]))


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return f'"{value}"' if isinstance(value, str) else str(value)


def _table(header: str, fields: dict[str, Any]) -> str:
    return f"[{header}]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in fields.items())


def file_text(file: dict[str, Any]) -> str:
    text = _table("defaults", file["defaults"]) + _table("graphs.g", file["graph"])
    text += _table("actions.pay", file["pay"]) + _table("actions.lookup", file["lookup"])
    for threshold, patch in file["rules"]:
        text += _table("[graphs.g.actions.pay.rules]", {"when": f"amount > {threshold}", **patch})
    return text


def references(
    file: dict[str, Any], action: str, amount: Any, defaults: Policy = SETTINGS
) -> list[Policy]:
    """The file's policies for ``action`` with ``amount``: one per way the rules go."""
    base = defaults
    for layer in (file["defaults"], file["graph"], file[action]):
        base = apply_patch(base, PolicyPatch.model_validate(layer))
    branches = [base]
    for threshold, patch in file["rules"] if action == "pay" else []:
        rule = PolicyPatch.model_validate(patch)
        known = isinstance(amount, int) and not isinstance(amount, bool)
        if known and amount > threshold:
            branches = [apply_patch(b, rule) for b in branches]
        elif not known:
            branches = [*branches, *(apply_patch(b, rule) for b in branches)]
    return branches


def deciders(policy: Policy) -> set[str] | None:
    return expand_approvers(policy, group_members=GROUPS)


def assert_never_laxer(result: Policy, ref: Policy) -> None:
    """Every guarded field of ``result`` at least as strict as ``ref``'s."""
    for before, after in ((result, ref), (escalated(result), escalated(ref))):
        named = deciders(after)
        if named is not None:
            got = deciders(before)
            assert got is not None and got <= named, (result, ref)
    assert result.required_approvals >= ref.required_approvals
    only_reject = result.allowed_decisions == ("reject",)
    assert only_reject or set(result.allowed_decisions) <= set(ref.allowed_decisions)
    assert ref.allow_self_approval or not result.allow_self_approval
    assert ref.external_users or not result.external_users
    assert result.timeout_s <= ref.timeout_s
    assert result.on_timeout == "reject" or ref.on_timeout == "wait"
    if result.escalate_after_s is not None:
        assert ref.escalate_after_s is not None
        assert result.escalate_after_s >= ref.escalate_after_s
        assert set(result.escalate_to) <= set(ref.escalate_to)
    if result.standing_max_s is not None:  # a standing approval only as the file allows
        assert ref.standing_max_s is not None and result.standing_max_s <= ref.standing_max_s
        assert result.standing_when == ref.standing_when
    assert ref.always_approve or not result.always_approve


def assert_in_a_channel_the_file_allows(
    result: Policy, refs: list[Policy], block: Any, defaults: Policy = SETTINGS
) -> None:
    """Posted where some reading of the file posts it (or where the block asked, if the
    file pins no channel); elsewhere, only people the file names may decide, or nobody."""
    pinned = any(ref.channel != defaults.channel for ref in refs)
    allowed = {ref.channel for ref in refs} | ({block} if block and not pinned else set())
    if result.channel in allowed or result.allowed_decisions == ("reject",):
        return
    assert all(ref.approvers for ref in refs if ref.channel != result.channel), result


def request_of(*actions: tuple[str, Any], block: dict[str, Any]) -> ApprovalRequest:
    return ApprovalRequest(
        dialect="generic", title="t", approval=block,
        actions=[Action(name=name, args={"amount": amount}) for name, amount in actions],
    )


files = st.fixed_dictionaries({
    "defaults": patches, "graph": patches, "pay": patches, "lookup": patches, "rules": rules,
})
SLOW = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


# Server thread metadata reaches the policy as the defaults' channel (below every table).
metadata_channels = st.sampled_from(["C0SET", "C0META"])


@SLOW
@given(file=files, block=patches, amount=amounts, other=amounts, meta=metadata_channels)
@example(  # 3 and 4: an unknown amount took the rule's escalatee and the rule's channel
    file={"defaults": {"channel": "C0A", "escalate_after_s": 30, "escalate_to": ["U05"]},
          "graph": {}, "pay": {}, "lookup": {},
          "rules": [(10_000, {"approvers": ["U01"], "escalate_to": ["U01"]}),
                    (100, {"channel": "C0B"})]},
    block={}, amount="50000", other=50, meta="C0SET",
)
@example(  # 5: a block turned a reject-only action into an approvable one
    file={"defaults": {"allowed_decisions": ["reject"]}, "graph": {}, "pay": {}, "lookup": {},
          "rules": []},
    block={"allowed_decisions": ["approve"]}, amount=50, other=50, meta="C0SET",
)
@example(  # 6: a block switched escalation on
    file={"defaults": {"approvers": ["U01"], "escalate_to": ["U05"]}, "graph": {}, "pay": {},
          "lookup": {}, "rules": []},
    block={"escalate_after_s": 30}, amount=50, other=50, meta="C0SET",
)
def test_a_block_metadata_and_unknown_arguments_never_loosen_the_file(
    file: dict[str, Any], block: dict[str, Any], amount: Any, other: Any, meta: str
) -> None:
    defaults = SETTINGS.model_copy(update={"channel": meta})
    book = parse_policy(file_text(file))
    resolution = book.explain(
        defaults=defaults, graph="g", request=request_of(("pay", amount), block=block)
    )
    (policy,) = resolution.actions
    refs = references(file, "pay", amount, defaults)
    for ref in refs:
        assert_never_laxer(policy, ref)
    assert_in_a_channel_the_file_allows(policy, refs, block.get("channel"), defaults)


@SLOW
@given(file=files, block=patches, amount=amounts, other=amounts)
@example(  # 1: a batch unioned approvers that share no id
    file={"defaults": {}, "graph": {}, "pay": {"approvers": ["U01"]},
          "lookup": {"approvers": ["U02"]}, "rules": []},
    block={}, amount=50_000, other=50,
)
def test_each_call_of_a_batch_is_judged_by_its_own_file_policy(
    file: dict[str, Any], block: dict[str, Any], amount: Any, other: Any
) -> None:
    book = parse_policy(file_text(file))
    batch = request_of(("pay", amount), ("lookup", other), block=block)
    resolution = book.explain(defaults=SETTINGS, graph="g", request=batch)
    for policy, (name, value) in zip(resolution.actions, [("pay", amount), ("lookup", other)],
                                     strict=True):
        refs = references(file, name, value)
        for ref in refs:
            assert_never_laxer(policy, ref)
        # Posted with the batch: judged where the batch is, or only reject.
        posted = policy.model_copy(update={"channel": resolution.policy.channel})
        assert_in_a_channel_the_file_allows(posted, refs, block.get("channel"))


@SLOW
@given(file=files, block=patches, amount=amounts, other=amounts)
@example(  # 2: an escalatee edited a small payment into a large one
    file={"defaults": {"escalate_after_s": 30, "escalate_to": ["U05"]}, "graph": {},
          "pay": {}, "lookup": {},
          "rules": [(10_000, {"approvers": ["U01"], "escalate_to": []})]},
    block={}, amount=50, other=50_000,
)
def test_an_edit_is_never_laxer_than_the_file_for_its_new_arguments(
    file: dict[str, Any], block: dict[str, Any], amount: Any, other: Any
) -> None:
    book = parse_policy(file_text(file))
    posted = book.explain(
        defaults=SETTINGS, graph="g", request=request_of(("pay", amount), block=block)
    ).actions[0]
    edited = book.resolve_action(
        defaults=SETTINGS, graph="g", action=Action(name="pay", args={"amount": other}),
        approval=block,
    )
    named = book.names_approvers(
        defaults=SETTINGS, graph="g", action=Action(name="pay", args={"amount": other})
    )
    both = meet(posted, edited, channel="must_match", named=named)
    for ref in references(file, "pay", other) + references(file, "pay", amount):
        assert_never_laxer(both, ref)
    assert_in_a_channel_the_file_allows(both, references(file, "pay", other), block.get("channel"))


def test_the_reference_model_sees_both_ways_an_unknown_rule_can_go() -> None:
    file = {"defaults": {}, "graph": {}, "pay": {}, "lookup": {},
            "rules": [(100, {"required_approvals": 2}), (10_000, {"required_approvals": 3})]}
    counts = sorted(p.required_approvals for p in references(file, "pay", "x"))
    assert counts == [1, 2, 3, 3]  # each rule applied or not, later rules winning
    assert [p.required_approvals for p in references(file, "pay", 5_000)] == [2]


def test_the_property_fails_on_a_union_of_approvers() -> None:
    """The checker itself catches the old batch rule ("any of them may decide")."""
    union = Policy(approvers=("U01", "U02"))
    try:
        assert_never_laxer(union, Policy(approvers=("U01",)))
    except AssertionError:
        return
    raise AssertionError("a union of approver lists passed as never laxer")


def test_every_combination_of_allowed_decisions_is_a_subset_or_reject_only() -> None:
    for a, b in itertools.product(
        itertools.chain.from_iterable(itertools.combinations(DECISIONS, n) for n in (1, 2, 3)),
        repeat=2,
    ):
        both = meet(Policy(allowed_decisions=a), Policy(allowed_decisions=b))
        assert set(both.allowed_decisions) <= set(a) & set(b) or both.allowed_decisions == (
            "reject",
        )


def test_an_empty_book_is_the_settings() -> None:
    resolution = PolicyBook().explain(
        defaults=SETTINGS, graph="g", request=request_of(("pay", 1), block={})
    )
    assert resolution.actions[0] == SETTINGS.model_copy(
        update={"allowed_decisions": ("approve", "edit", "reject")}
    )
