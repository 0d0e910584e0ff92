""""Approve for the rest of this run" on an Agents SDK run: a real Agent and Runner whose
scripted model pays twice in one run ("…, then pay …").

The later call of the same tool is approved as the approver's, without a new question,
only in that run and only where its own policy (the file's rules on its arguments)
allows it; each call runs once, with its own decision id.
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
from support.harness import Harness, click_payload, eventually
from support.standing import choose, menu_options

ALWAYS = "[graphs.payments_agent.actions.pay]\nalways_approve = true\n"
BIG_NEEDS_TWO = ALWAYS + (
    "[[graphs.payments_agent.actions.pay.rules]]\n"
    'when = "amount > 1000.0"\nrequired_approvals = 2\n'
)
TWICE = "Pay Acme $400 for invoice 88, then pay Globex $300 for invoice 89"
BIG_SECOND = "Pay Acme $400 for invoice 88, then pay Globex $3,000 for invoice 89"
RUN_OPTION = "Approve for the rest of this run"


async def approve_for_run(harness: Harness, thread_id: str, *, user: str) -> int:
    """Pick "Approve for the rest of this run" on the run's request; its approval id."""
    (approval_id,) = await harness.approval_ids(thread_id)
    options = menu_options(harness, approval_id)
    assert [o["text"]["text"] for o in options] == [RUN_OPTION]
    status, _ = await choose(harness, approval_id, options[0], user=user)
    assert status == 200
    return approval_id


async def asked_after(harness: Harness, thread_id: str, first: int) -> list[int]:
    """The run's open approvals once it asks again, after ``first`` was answered."""

    async def later() -> list[int]:
        return [i for i in await harness.approval_ids(thread_id) if i != first]

    return await eventually(later)


async def events(harness: Harness, thread_id: str, event: str) -> list[dict[str, object]]:
    return await harness.rows(
        "SELECT actor, detail, request_id FROM audit_log WHERE thread_id = %s AND event = %s "
        "ORDER BY id", thread_id, event)


@pytest.mark.policy(ALWAYS)
async def test_the_later_call_runs_without_a_new_question_and_both_are_audited(
    harness: Harness,
) -> None:
    started = await harness.start(AGENT, TWICE)
    await approve_for_run(harness, started.thread_id, user="UALICE")
    await harness.wait_done(started.thread_id)

    first, second = await decision_ids(harness, started.thread_id)
    assert ledger(started.thread_id) == [
        {"tool": "pay", "args": {"amount": 400.0, "recipient": "Acme", "invoice": "88"},
         "decision_id": first},
        {"tool": "pay", "args": {"amount": 300.0, "recipient": "Globex", "invoice": "89"},
         "decision_id": second},
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
    said = [p["text"] for p in harness.fake.of("chat.postMessage") if p.get("thread_ts")]
    assert any("approval for the rest of this run" in t for t in said), said
    told = await eventually(lambda: ephemerals(harness))
    assert "Later calls of this action in this run are approved too" in told[-1]["text"]
    # The grant ended with the run: nothing live is left to list or revoke.
    live = await harness.rows(
        "SELECT 1 FROM standing_approvals WHERE revoked_at IS NULL AND expires_at > now()")
    assert live == []


@pytest.mark.policy(ALWAYS)
async def test_another_run_of_the_same_agent_still_asks(harness: Harness) -> None:
    started = await harness.start(AGENT, TWICE)
    (approval_id,) = await harness.approval_ids(started.thread_id)
    options = menu_options(harness, approval_id)
    status, _ = await choose(harness, approval_id, options[0], user="UALICE")
    assert status == 200
    # Another run, started while the first may still be going: its call is asked.
    other = await harness.start(AGENT, TWICE)
    assert other.status == "waiting"
    assert await harness.run_status(other.thread_id) == "waiting"
    assert ledger(other.thread_id) == []
    await harness.wait_done(started.thread_id)
    assert await harness.run_status(other.thread_id) == "waiting"
    assert len(ledger(started.thread_id)) == 2 and ledger(other.thread_id) == []


@pytest.mark.policy(BIG_NEEDS_TWO)
async def test_a_later_call_whose_policy_needs_two_people_is_asked_as_usual(
    harness: Harness,
) -> None:
    started = await harness.start(AGENT, BIG_SECOND)
    first = await approve_for_run(harness, started.thread_id, user="UALICE")
    (big,) = await asked_after(harness, started.thread_id, first)
    assert [e["args"]["amount"] for e in ledger(started.thread_id)] == [400.0]
    assert menu_options(harness, big) == []  # two people: never for the rest of the run
    assert await events(harness, started.thread_id, "standing_used") == []
    assert (await harness.click("approve", big, user="UALICE"))[0] == 200
    await eventually(lambda: votes(harness, 2))  # the first call's, then this one
    assert await harness.run_status(started.thread_id) == "waiting"
    assert (await harness.click("approve", big, user="UBOB"))[0] == 200
    await harness.wait_done(started.thread_id)
    assert [e["args"]["amount"] for e in ledger(started.thread_id)] == [400.0, 3000.0]


async def test_without_the_policy_field_it_is_not_offered_and_a_forged_choice_is_refused(
    harness: Harness,
) -> None:
    started = await harness.start(AGENT, TWICE)
    (approval_id,) = await harness.approval_ids(started.thread_id)
    assert menu_options(harness, approval_id) == []
    value = f"{await harness.value_of(approval_id)}:run"
    forged = {"text": {"type": "plain_text", "text": RUN_OPTION}, "value": value}
    status, _ = await choose(harness, approval_id, forged, user="UALICE")
    assert status == 200
    told = await eventually(lambda: ephemerals(harness))
    assert "cannot be approved for the rest of its run" in told[-1]["text"]
    assert await harness.run_status(started.thread_id) == "waiting"
    assert ledger(started.thread_id) == []
    assert await harness.rows("SELECT 1 FROM standing_approvals") == []
    (refused,) = await events(harness, started.thread_id, "refused")
    assert refused["actor"] == "UALICE"
    # The plain Approve still works, and the later call is asked as a new request.
    payload = click_payload("approve", approval_id, user="UALICE",
                            value=await harness.value_of(approval_id))
    assert (await harness.send(payload))[0] == 200
    await asked_after(harness, started.thread_id, approval_id)
    assert [e["args"]["amount"] for e in ledger(started.thread_id)] == [400.0]
