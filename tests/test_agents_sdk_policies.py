"""Agents SDK calls under the policy: two-person sign-off, rules on arguments, expiry and
a double click."""

from __future__ import annotations

import pytest

from graphs.agent_payments import ledger

from support.agent_runs import (  # noqa: F401 - no_tracing, settings_overrides: fixtures
    AGENT,
    ONE_CALL,
    TWO_CALLS,
    ephemerals,
    no_tracing,
    outcome,
    settings_overrides,
    votes,
)
from support.harness import Harness, click_payload, eventually


@pytest.mark.policy("[graphs.payments_agent.actions.pay]\nrequired_approvals = 2\n")
async def test_two_person_sign_off_runs_the_call_only_after_the_second(harness: Harness) -> None:
    started = await harness.start(AGENT, ONE_CALL)
    (approval_id,) = await harness.approval_ids(started.thread_id)
    assert (await harness.click("approve", approval_id, user="UALICE"))[0] == 200
    await eventually(lambda: votes(harness, 1))
    assert (await harness.click("approve", approval_id, user="UALICE"))[0] == 200
    told = await eventually(lambda: ephemerals(harness))
    assert "already approved" in told[-1]["text"]
    assert await harness.run_status(started.thread_id) == "waiting"
    assert ledger(started.thread_id) == []
    assert (await harness.click("approve", approval_id, user="UBOB"))[0] == 200
    await harness.wait_done(started.thread_id)
    assert [e["args"]["amount"] for e in ledger(started.thread_id)] == [4200.0]


async def test_expiry_rejects_with_its_reason_and_runs_nothing(harness: Harness) -> None:
    from bot.engine.sweeper import sweep_once

    started = await harness.start(AGENT, ONE_CALL)
    await harness.rows(
        "UPDATE requests SET expires_at = now() - interval '1 second' WHERE thread_id = %s "
        "RETURNING id", started.thread_id,
    )
    await sweep_once(harness.deps, grace_s=0)
    await harness.wait_done(started.thread_id)
    assert ledger(started.thread_id) == []
    final = (await outcome(harness, started.thread_id))["final_output"]
    assert final.startswith("Done. timed out after")
    assert "⏱ *Expired*" in str(harness.fake.of("chat.update")[-1]["blocks"])


async def test_cancel_by_the_requester_rejects_both_calls_with_its_reason(
    harness: Harness,
) -> None:
    started = await harness.start(AGENT, TWO_CALLS, requested_by="UREQ")
    pay_id, _ = await harness.approval_ids(started.thread_id)
    payload = click_payload("cancel", pay_id, user="UREQ")
    action = payload["actions"][0]
    action.pop("value", None)
    action.update(type="overflow", selected_option={
        "text": {"type": "plain_text", "text": "Cancel request"}, "value": str(pay_id)})
    assert (await harness.send(payload))[0] == 200
    await harness.wait_done(started.thread_id)
    assert ledger(started.thread_id) == []
    final = (await outcome(harness, started.thread_id))["final_output"]
    assert final == "Done. cancelled by the requester | cancelled by the requester"


async def test_a_double_click_runs_the_call_once(harness: Harness) -> None:
    import asyncio

    started = await harness.start(AGENT, ONE_CALL)
    (approval_id,) = await harness.approval_ids(started.thread_id)
    value = await harness.value_of(approval_id)
    clicks = await asyncio.gather(
        harness.click("approve", approval_id, user="UALICE", value=value),
        harness.click("approve", approval_id, user="UALICE", value=value),
    )
    assert [status for status, _ in clicks] == [200, 200]
    await harness.wait_done(started.thread_id)
    await eventually(lambda: ephemerals(harness))
    assert len(ledger(started.thread_id)) == 1
    rows = await harness.rows("SELECT count(*) AS n FROM agent_states WHERE thread_id = %s",
                              started.thread_id)
    assert rows[0]["n"] == 2  # the stop, then the finish: one resume


README_POLICY = """
[[graphs.payments_agent.actions.pay.rules]]
when = "amount > 10000.0"
required_approvals = 2
"""


@pytest.mark.policy(README_POLICY)
async def test_the_rule_on_a_tools_arguments_decides_who_must_sign(harness: Harness) -> None:
    small = await harness.start(AGENT, ONE_CALL)
    big = await harness.start(
        AGENT, "Pay Acme $12,000 for invoice 90 and send the receipt to ap@acme.test"
    )
    policies = await harness.rows(
        "SELECT r.thread_id, a.policy FROM approvals a JOIN requests r ON r.id = a.request_id "
        "WHERE r.thread_id = ANY(%s) ORDER BY a.id", [small.thread_id, big.thread_id],
    )
    needed = [(r["thread_id"], r["policy"]["required_approvals"]) for r in policies]
    # each call by its own policy: the big payment needs two, its receipt one
    assert needed == [(small.thread_id, 1), (big.thread_id, 2), (big.thread_id, 1)]
    pay_id, receipt_id = await harness.approval_ids(big.thread_id)
    for approval_id in (pay_id, receipt_id):
        assert (await harness.click("approve", approval_id, user="UALICE"))[0] == 200
    await eventually(lambda: votes(harness, 2))
    statuses = await harness.rows("SELECT status FROM approvals WHERE id = ANY(%s) ORDER BY id",
                                  [pay_id, receipt_id])
    assert [r["status"] for r in statuses] == ["pending", "approved"]
    assert await harness.run_status(big.thread_id) == "waiting"
    assert ledger(big.thread_id) == []
    assert (await harness.click("approve", pay_id, user="UBOB"))[0] == 200
    await harness.wait_done(big.thread_id)
    assert sorted(e["tool"] for e in ledger(big.thread_id)) == ["pay", "send_receipt"]
