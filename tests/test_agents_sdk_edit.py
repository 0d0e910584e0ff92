"""Editing an Agents SDK call: the model is told the arguments, its exact re-issue runs
without a second request, and any other call is asked about anew."""

from __future__ import annotations

from graphs.agent_payments import ledger

from support.agent_runs import (  # noqa: F401 - no_tracing, settings_overrides: fixtures
    AGENT,
    ONE_CALL,
    decision_ids,
    edit_amount,
    ephemerals,
    no_tracing,
    outcome,
    requests_posted,
    settings_overrides,
)
from support.harness import Harness, eventually


async def test_edit_is_reissued_by_the_model_and_runs_once_without_asking_again(
    harness: Harness,
) -> None:
    started = await harness.start(AGENT, ONE_CALL)
    (approval_id,) = await harness.approval_ids(started.thread_id)
    await edit_amount(harness, approval_id, "4000", user="UALICE")
    await harness.wait_done(started.thread_id)

    (key,) = await decision_ids(harness, started.thread_id)
    assert ledger(started.thread_id) == [
        {"tool": "pay", "args": {"amount": 4000.0, "recipient": "Acme", "invoice": "88"},
         "decision_id": key},
    ]
    assert len(requests_posted(harness)) == 1  # the re-issued call was not asked about
    final = (await outcome(harness, started.thread_id))["final_output"]
    assert "exactly these arguments" in final and "Paid $4,000.00 to Acme" in final
    (by_edit,) = await harness.rows(
        "SELECT actor, reason, args_after FROM audit_log "
        "WHERE event = 'approved' AND detail->>'by_edit' = 'true'"
    )
    assert by_edit["actor"] == "UALICE" and by_edit["reason"] == "approved by <@UALICE>'s edit"
    assert by_edit["args_after"]["amount"] == 4000


async def test_a_different_reissued_call_is_a_new_request_and_old_clicks_are_stale(
    harness: Harness,
) -> None:
    started = await harness.start(AGENT, ONE_CALL + " (insist)")
    (first,) = await harness.approval_ids(started.thread_id)
    old_value = await harness.value_of(first)
    await edit_amount(harness, first, "4000", user="UALICE")

    async def asked_again() -> bool:
        return len(requests_posted(harness)) == 2

    await eventually(asked_again)
    assert await harness.run_status(started.thread_id) == "waiting"
    assert ledger(started.thread_id) == []
    (second,) = await harness.approval_ids(started.thread_id)
    assert second != first
    assert "4200" in str(requests_posted(harness)[1]["blocks"]).replace(",", "")

    # A click on the first request, made on the message as it was: refused, nothing runs.
    assert (await harness.click("approve", first, user="UBOB", value=old_value))[0] == 200
    told = await eventually(lambda: ephemerals(harness))
    assert "already edited by <@UALICE>" in told[-1]["text"], told[-1]
    assert ledger(started.thread_id) == []
    assert await harness.run_status(started.thread_id) == "waiting"

    assert (await harness.click("approve", second, user="UBOB"))[0] == 200
    await harness.wait_done(started.thread_id)
    entries = ledger(started.thread_id)
    assert [(e["tool"], e["args"]["amount"]) for e in entries] == [("pay", 4200.0)]
    assert entries[0]["decision_id"] == (await decision_ids(harness, started.thread_id))[1]
