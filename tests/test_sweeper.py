"""The sweeper: expiry, one reminder, decided-but-not-resumed runs, and Cancel."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.engine.sweeper import CHORES, sweep_once

from support.harness import Harness, click_payload, eventually


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"approvals_timeout_s": 1}


async def _start(harness: Harness) -> tuple[str, int]:
    started = await harness.start("counting", {"amount": 5, "recipient": "acme"})
    return started.thread_id, (await harness.approval_ids(started.thread_id))[0]


async def _events(harness: Harness, thread_id: str) -> list[str]:
    rows = await harness.rows("SELECT event FROM audit_log WHERE thread_id = %s ORDER BY id",
                              thread_id)
    return [r["event"] for r in rows]


async def test_expiry_rejects_rewrites_and_audits(harness: Harness) -> None:
    thread_id, _ = await _start(harness)
    await sweep_once(harness.deps, grace_s=0)
    assert await harness.run_status(thread_id) == "waiting"  # not due yet
    await asyncio.sleep(1.1)  # the policy's timeout (APPROVALS_TIMEOUT_S=1) passes
    await sweep_once(harness.deps, grace_s=0)
    assert await harness.run_status(thread_id) == "done"
    state = await harness.graph_state("counting", thread_id)
    assert state.values["status"] == "rejected"
    assert state.values["decision"]["action"] == "reject"
    update = harness.fake.of("chat.update")[-1]
    shown = str(update["blocks"])
    assert "⏱ *Expired*" in shown and "timed out after 1 second" in shown
    assert state.values["decision"]["reason"] == "timed out after 1 second"
    assert not any(b["type"] == "actions" for b in update["blocks"])
    assert "expired" in await _events(harness, thread_id)
    rows = await harness.rows("SELECT count(*) AS n FROM side_effects")
    assert rows[0]["n"] == 0


async def test_reminder_is_posted_once_in_the_thread(harness: Harness) -> None:
    thread_id, _ = await _start(harness)
    await harness.rows("UPDATE requests SET remind_at = now() - interval '1 second', "
                       "expires_at = now() + interval '1 hour' WHERE thread_id = %s "
                       "RETURNING id", thread_id)
    posted = harness.fake.of("chat.postMessage")[0]
    for _ in range(3):
        await sweep_once(harness.deps, grace_s=0)
    reminders = [p for p in harness.fake.of("chat.postMessage") if "⏰" in p["text"]]
    assert len(reminders) == 1
    assert reminders[0]["thread_ts"] == "1700000000.000001"  # the request message's ts
    assert posted["channel"] == reminders[0]["channel"]
    assert (await _events(harness, thread_id)).count("reminded") == 1
    assert await harness.run_status(thread_id) == "waiting"


async def test_decided_but_not_resumed_is_resumed_by_the_sweeper(harness: Harness) -> None:
    thread_id, approval_id = await _start(harness)
    decided = await harness.approve(approval_id, user="UALICE")
    assert decided.complete
    await sweep_once(harness.deps, grace_s=60)  # too fresh: left to the live path
    assert await harness.run_status(thread_id) == "waiting"
    await sweep_once(harness.deps, grace_s=0)
    assert await harness.run_status(thread_id) == "done"
    rows = await harness.rows("SELECT count(*) AS n FROM side_effects WHERE thread_id = %s",
                              thread_id)
    assert rows[0]["n"] == 1
    assert "Approved" in str(harness.fake.of("chat.update")[-1]["blocks"])
    await sweep_once(harness.deps, grace_s=0)
    rows = await harness.rows("SELECT count(*) AS n FROM side_effects")
    assert rows[0]["n"] == 1


def _cancel(approval_id: int, user: str) -> dict[str, Any]:
    payload = click_payload("cancel", approval_id, user=user)
    action = payload["actions"][0]
    action.pop("value", None)
    action.update(type="overflow", selected_option={
        "text": {"type": "plain_text", "text": "Cancel request"}, "value": str(approval_id)})
    return payload


async def test_cancel_by_the_requester_only(harness: Harness) -> None:
    thread_id, approval_id = await _start(harness)
    menu = [e for b in harness.fake.of("chat.postMessage")[0]["blocks"]
            if b["type"] == "actions" for e in b["elements"] if e["type"] == "overflow"]
    assert menu and menu[0]["action_id"] == "cancel"
    assert menu[0]["options"][0]["value"] == str(approval_id)

    status, _ = await harness.send(_cancel(approval_id, "UMALLORY"))
    assert status == 200
    told = await eventually(lambda: _told(harness))
    assert "Only the person who requested" in told[-1]["text"]
    assert await harness.run_status(thread_id) == "waiting"

    status, _ = await harness.send(_cancel(approval_id, "UREQ"))
    assert status == 200

    await harness.wait_done(thread_id)
    state = await harness.graph_state("counting", thread_id)
    assert state.values["status"] == "rejected"
    text = str(harness.fake.of("chat.update")[-1]["blocks"])
    assert "🚫" in text and "Cancelled" in text
    assert "cancelled" in await _events(harness, thread_id)
    rows = await harness.rows("SELECT status FROM approvals WHERE id = %s", approval_id)
    assert rows[0]["status"] == "cancelled"


async def _told(harness: Harness) -> list[dict[str, Any]]:
    return harness.fake.of("chat.postEphemeral")


async def test_a_graph_that_keeps_failing_is_reported_not_retried_forever(
    harness: Harness,
) -> None:
    started = await harness.start("counting", {"amount": 5, "recipient": "unreachable"})
    approval_id = (await harness.approval_ids(started.thread_id))[0]
    await harness.click("approve", approval_id, user="UALICE")

    async def attempted() -> bool:
        return "resume_failed" in await _events(harness, started.thread_id)

    await eventually(attempted)
    for _ in range(4):  # attempts 2 and 3, then nothing more
        await sweep_once(harness.deps, grace_s=0)
    events = await _events(harness, started.thread_id)
    assert events.count("resume_failed") == 3 and "resumed" not in events
    rows = await harness.rows("SELECT status, last_error FROM requests")
    assert rows[0]["status"] == "failed"
    assert "payment provider unreachable" in rows[0]["last_error"]
    shown = str(harness.fake.of("chat.update")[-1]["blocks"])
    assert "could not be resumed" in shown and "payment provider unreachable" in shown
    assert await harness.run_status(started.thread_id) != "done"


async def test_stopping_the_sweeper_waits_for_every_chore_it_cut_short(
    harness: Harness,
) -> None:
    """A chore cut mid-query cancels that query in Postgres, a round trip of its own;
    ``serve`` closes the pool only after ``run_sweeper`` returns, so it must not return
    before that chore has stopped (else the loop's last cancel cuts the cancel, and
    psycopg closes the connection with a warning)."""
    import psycopg

    from bot.engine.sweeper import run_sweeper

    pool = harness.deps.pool
    # Every chore finds a connection ready: one handed over from a wait just as the
    # cancel arrives would have the cancel swallowed (Python 3.11's ``wait_for``).
    await pool.resize(min_size=len(CHORES) + 2, max_size=pool.max_size)
    await pool.wait()
    async with await psycopg.AsyncConnection.connect(pool.conninfo) as blocker:
        await blocker.execute("LOCK TABLE requests IN ACCESS EXCLUSIVE MODE")
        before = asyncio.all_tasks()  # the harness's own sweeper among them
        sweeper = asyncio.ensure_future(run_sweeper(harness.deps))

        async def chores_waiting() -> int:
            rows = await blocker.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            return (await rows.fetchone() or (0,))[0]

        await eventually(chores_waiting)
        sweeper.cancel()
        try:
            done, _ = await asyncio.wait([sweeper], timeout=30)
            chores = [t for t in asyncio.all_tasks() - before
                      if getattr(t.get_coro(), "__name__", "") == "run_chore"]
        finally:
            await blocker.rollback()
    assert done and sweeper.cancelled()
    assert chores == []


async def test_a_chore_loop_stops_even_when_its_pass_swallowed_the_cancel(
    harness: Harness,
) -> None:
    """Python 3.11's ``wait_for`` (the pool waits with it) drops a cancel that arrives as
    its wait ends; the loop still stops after that pass instead of sleeping on."""
    from bot.engine.sweeper import run_chore

    started = asyncio.Event()

    async def swallowing(deps: object, grace_s: float) -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            pass  # what ``wait_for`` does when its inner wait finished at the same time

    loop = asyncio.ensure_future(run_chore(harness.deps, "swallowing", swallowing))
    await started.wait()
    loop.cancel()
    done, _ = await asyncio.wait([loop], timeout=30)  # APPROVALS_SWEEP_S is 3600 here
    assert done and loop.cancelled()
