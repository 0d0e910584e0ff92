""""Approve for this run" on an Agents SDK run: a real Agent and Runner whose scripted
model pays twice in one run ("…, then pay …").

The later call of the same tool is approved as the approver's, without a new question,
only in that run and only where its own policy (the file's rules on its arguments)
allows it; each call runs once, with its own decision id. In a turn of several calls,
the covered call is decided and the others are asked.
"""

from __future__ import annotations

import pytest

from graphs.agent_payments import ledger

from support.agent_runs import (  # noqa: F401 - no_tracing, settings_overrides: fixtures
    AGENT,
    decision_ids,
    ephemerals,
    no_tracing,
    outcome,
    requests_posted,
    settings_overrides,
    votes,
)
from support.harness import Harness, eventually
from support.standing import run_buttons

ALWAYS = "[graphs.payments_agent.actions.pay]\nalways_approve = true\n"
BIG_NEEDS_TWO = ALWAYS + (
    "[[graphs.payments_agent.actions.pay.rules]]\n"
    'when = "amount > 1000.0"\nrequired_approvals = 2\n'
)
TWICE = "Pay Acme $400 for invoice 88, then pay Globex $300 for invoice 89"
BIG_SECOND = "Pay Acme $400 for invoice 88, then pay Globex $3,000 for invoice 89"
WITH_RECEIPTS = ("Pay Acme $400 for invoice 88 and send the receipt to ap@acme.test, "
                 "then pay Globex $300 for invoice 89 and send the receipt to ap@globex.test")


async def approve_for_run(harness: Harness, approval_id: int, *, user: str) -> None:
    """Click "Approve for this run" on ``approval_id``, as ``user``."""
    assert run_buttons(harness, approval_id) == ["Approve for this run"]
    assert (await harness.click("approve_run", approval_id, user=user))[0] == 200


async def asked_after(harness: Harness, thread_id: str, answered: set[int]) -> list[int]:
    """The run's open approvals once it asks again, after those ``answered``."""

    async def later() -> list[int]:
        return [i for i in await harness.approval_ids(thread_id) if i not in answered]

    return await eventually(later)


async def events(harness: Harness, thread_id: str, event: str) -> list[dict[str, object]]:
    return await harness.rows(
        "SELECT actor, detail, request_id FROM audit_log WHERE thread_id = %s AND event = %s "
        "ORDER BY id", thread_id, event)


def thread_replies(harness: Harness) -> list[str]:
    return [p["text"] for p in harness.fake.of("chat.postMessage") if p.get("thread_ts")]


@pytest.mark.policy(ALWAYS)
async def test_the_later_call_runs_without_a_new_question_and_both_are_audited(
    harness: Harness,
) -> None:
    started = await harness.start(AGENT, TWICE)
    (first,) = await harness.approval_ids(started.thread_id)
    await approve_for_run(harness, first, user="UALICE")
    await harness.wait_done(started.thread_id)

    one, two = await decision_ids(harness, started.thread_id)
    assert ledger(started.thread_id) == [
        {"tool": "pay", "args": {"amount": 400.0, "recipient": "Acme", "invoice": "88"},
         "decision_id": one},
        {"tool": "pay", "args": {"amount": 300.0, "recipient": "Globex", "invoice": "89"},
         "decision_id": two},
    ]
    final = (await outcome(harness, started.thread_id))["final_output"]
    assert "Paid $400.00 to Acme" in final and "Paid $300.00 to Globex" in final
    assert len(requests_posted(harness)) == 1  # the second was posted already decided
    rows = await harness.rows(
        "SELECT a.status, a.decision FROM approvals a JOIN requests r ON r.id = a.request_id "
        "WHERE r.thread_id = %s ORDER BY a.id", started.thread_id)
    assert [(r["status"], r["decision"]["decided_by"]) for r in rows] == [
        ("approved", ["UALICE"]), ("approved", ["UALICE"])]
    (granted,) = await events(harness, started.thread_id, "standing_granted")
    assert granted["actor"] == "UALICE" and granted["detail"]["for_the_rest_of_the_run"]
    (used,) = await events(harness, started.thread_id, "standing_used")
    assert used["actor"] == "UALICE" and used["detail"]["for_the_rest_of_the_run"]
    said = thread_replies(harness)
    assert any("`pay` approved under <@UALICE>'s approval for the rest of this run" in t
               for t in said), said
    told = await eventually(lambda: ephemerals(harness))
    assert any("Later calls of this action in this run are approved too" in t["text"]
               for t in told)
    # The grant ended with the run: nothing live is left to list or revoke.
    live = await harness.rows(
        "SELECT 1 FROM standing_approvals WHERE revoked_at IS NULL AND expires_at > now()")
    assert live == []


@pytest.mark.policy(ALWAYS)
async def test_another_run_of_the_same_agent_still_asks(harness: Harness) -> None:
    started = await harness.start(AGENT, TWICE)
    (first,) = await harness.approval_ids(started.thread_id)
    await approve_for_run(harness, first, user="UALICE")
    # Another run, started while the first may still be going: its call is asked.
    other = await harness.start(AGENT, TWICE)
    assert other.status == "waiting"
    await harness.wait_done(started.thread_id)
    assert await harness.run_status(other.thread_id) == "waiting"
    assert len(ledger(started.thread_id)) == 2 and ledger(other.thread_id) == []


@pytest.mark.policy(BIG_NEEDS_TWO)
async def test_a_later_call_whose_policy_needs_two_people_is_asked_as_usual(
    harness: Harness,
) -> None:
    started = await harness.start(AGENT, BIG_SECOND)
    (first,) = await harness.approval_ids(started.thread_id)
    await approve_for_run(harness, first, user="UALICE")
    (big,) = await asked_after(harness, started.thread_id, {first})
    assert [e["args"]["amount"] for e in ledger(started.thread_id)] == [400.0]
    assert run_buttons(harness, big) == []  # two people: never for the rest of the run
    assert await events(harness, started.thread_id, "standing_used") == []
    assert (await harness.click("approve", big, user="UALICE"))[0] == 200
    await eventually(lambda: votes(harness, 2))  # the first call's, then this one
    assert await harness.run_status(started.thread_id) == "waiting"
    assert (await harness.click("approve", big, user="UBOB"))[0] == 200
    await harness.wait_done(started.thread_id)
    assert [e["args"]["amount"] for e in ledger(started.thread_id)] == [400.0, 3000.0]


@pytest.mark.policy(ALWAYS)
async def test_in_a_turn_of_two_calls_the_covered_one_is_decided_and_the_other_asked(
    harness: Harness,
) -> None:
    started = await harness.start(AGENT, WITH_RECEIPTS)
    pay, receipt = await harness.approval_ids(started.thread_id)
    assert run_buttons(harness, receipt) == []  # its policy does not set always_approve
    await approve_for_run(harness, pay, user="UALICE")
    await eventually(lambda: votes(harness, 1))
    assert (await harness.click("approve", receipt, user="UBOB"))[0] == 200

    later_pay, later_receipt = await asked_after(harness, started.thread_id, {pay, receipt})
    rows = await harness.rows("SELECT id, status FROM approvals WHERE id IN (%s, %s)",
                              later_pay, later_receipt)
    assert {r["id"]: r["status"] for r in rows} == {later_pay: "approved",
                                                     later_receipt: "pending"}
    # Posted with the covered call shown approved and buttons for the other only.
    (post,) = [p for p in requests_posted(harness)
               if any(b.get("block_id") == f"decide:{later_receipt}" for b in p["blocks"])]
    assert not any(b.get("block_id") == f"decide:{later_pay}" for b in post["blocks"])
    assert [e["tool"] for e in ledger(started.thread_id)].count("pay") == 1
    assert (await harness.click("approve", later_receipt, user="UBOB"))[0] == 200
    await harness.wait_done(started.thread_id)
    executed = sorted((e["tool"], e["args"].get("amount") or e["args"]["to"])
                      for e in ledger(started.thread_id))
    assert executed == [("pay", 300.0), ("pay", 400.0),
                        ("send_receipt", "ap@acme.test"), ("send_receipt", "ap@globex.test")]


async def test_without_the_policy_field_it_is_not_offered_and_a_forged_click_is_refused(
    harness: Harness,
) -> None:
    started = await harness.start(AGENT, TWICE)
    (first,) = await harness.approval_ids(started.thread_id)
    assert run_buttons(harness, first) == []
    assert (await harness.click("approve_run", first, user="UALICE"))[0] == 200
    told = await eventually(lambda: ephemerals(harness))
    assert "cannot be approved for the rest of its run" in told[-1]["text"]
    assert await harness.run_status(started.thread_id) == "waiting"
    assert ledger(started.thread_id) == []
    assert await harness.rows("SELECT 1 FROM standing_approvals") == []
    (refused,) = await events(harness, started.thread_id, "refused")
    assert refused["actor"] == "UALICE"
    # The plain Approve still works, and the later call is asked as a new request.
    assert (await harness.click("approve", first, user="UALICE"))[0] == 200
    await asked_after(harness, started.thread_id, {first})
    assert [e["args"]["amount"] for e in ledger(started.thread_id)] == [400.0]
