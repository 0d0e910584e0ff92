"""The sweeper under bad rows and slow nodes: no row stops the others, nothing waits."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.engine.flow import start_run
from bot.engine.sweeper import MAX_ROW_ATTEMPTS, sweep_once
from bot.metrics import METRICS

from support.fake_slack import FakeSlack
from support.harness import Harness, eventually
from support.procs import engine, procs


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"approvals_timeout_s": 60}


async def _start(harness: Harness, tmp_path: Path, **extra: Any) -> tuple[str, int]:
    started = await harness.start(
        "ledger", {"amount": 3, "ledger": str(tmp_path / "ledger.txt"), **extra}
    )
    rows = await harness.rows("SELECT id FROM requests WHERE thread_id = %s", started.thread_id)
    return started.thread_id, int(rows[0]["id"])


def _later(harness: Harness, seconds: float) -> None:
    base = harness.deps.clock()
    harness.deps.clock = lambda: base + timedelta(seconds=seconds)


async def _status(harness: Harness, request_id: int) -> str:
    rows = await harness.rows("SELECT status FROM requests WHERE id = %s", request_id)
    return str(rows[0]["status"])


async def test_a_reject_less_expiry_fails_visibly_next_to_one_that_expires(
    harness: Harness, tmp_path: Path
) -> None:
    odd_thread, odd = await _start(harness, tmp_path, allowed=["approve", "edit"])
    plain_thread, plain = await _start(harness, tmp_path)
    _later(harness, 61)
    await sweep_once(harness.deps, grace_s=0)  # raises nothing
    assert await harness.run_status(plain_thread) == "done"
    state = await harness.graph_state("ledger", plain_thread)
    assert state.values["status"] == "rejected"
    assert await _status(harness, plain) == "resumed"
    # The graph forbade a rejection: none is invented, and the message says why.
    assert await _status(harness, odd) == "failed"
    assert await harness.run_status(odd_thread) == "failed"
    odd_state = await harness.graph_state("ledger", odd_thread)
    assert odd_state.interrupts  # still waiting at its interrupt, never resumed
    shown = [str(u["blocks"]) for u in harness.fake.of("chat.update")]
    assert any("does not allow a rejection" in s for s in shown)
    events = await harness.rows("SELECT event FROM audit_log WHERE request_id = %s", odd)
    assert {"expired", "not_resumed"} <= {e["event"] for e in events}


async def test_a_row_that_keeps_failing_is_backed_off_then_failed_alone(
    harness: Harness, tmp_path: Path
) -> None:
    _, bad = await _start(harness, tmp_path)
    _, good = await _start(harness, tmp_path)
    await harness.rows("UPDATE requests SET request = '{\"dialect\": 7}' WHERE id = %s "
                       "RETURNING id", bad)  # a row no code can read any more
    before = METRICS.value("approvals_sweep_errors_total", chore="expire")
    _later(harness, 61)
    await sweep_once(harness.deps, grace_s=0)
    assert await _status(harness, good) == "resumed"  # the bad row held nothing up
    assert await _status(harness, bad) == "pending"
    assert METRICS.value("approvals_sweep_errors_total", chore="expire") == before + 1
    await sweep_once(harness.deps, grace_s=0)  # backed off: not tried again at once
    assert METRICS.value("approvals_sweep_errors_total", chore="expire") == before + 1
    for attempt in range(2, MAX_ROW_ATTEMPTS + 1):
        _later(harness, 700)
        await sweep_once(harness.deps, grace_s=0)
        assert METRICS.value("approvals_sweep_errors_total", chore="expire") == before + attempt
    assert await _status(harness, bad) == "failed"
    events = await harness.rows("SELECT event FROM audit_log WHERE request_id = %s", bad)
    assert "sweep_failed" in {e["event"] for e in events}


async def test_a_fifteen_second_node_does_not_hold_up_expiry(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    ledger = str(tmp_path / "ledger.txt")
    async with engine(database_url, fake_slack) as deps, \
            procs(database_url, fake_slack, tmp_path) as group:
        served = await group.serve(APPROVALS_SWEEP_S="0.5")
        slow = await start_run(deps, "ledger", {"amount": 1, "ledger": ledger, "delay_s": 15},
                               channel="C0APPROVALS", requested_by="UREQ")

        async def rows(sql: str, *params: Any) -> list[dict[str, Any]]:
            async with deps.pool.connection() as conn:
                return list(await (await conn.execute(sql, params)).fetchall())

        approval = await rows("SELECT a.id FROM approvals a JOIN requests r ON r.id = "
                              "a.request_id WHERE r.thread_id = %s", slow.thread_id)
        assert await group.click(served, "approve", int(approval[0]["id"]), user="UA") == 200

        async def running() -> bool:
            return bool(await rows("SELECT 1 FROM audit_log WHERE thread_id = %s AND "
                                   "event = 'resume_started'", slow.thread_id))

        await eventually(running)
        await asyncio.sleep(1.5)  # past the grace: the slow resume now counts as stalled
        quick = await start_run(deps, "ledger", {"amount": 2, "ledger": ledger, "timeout_s": 1},
                                channel="C0APPROVALS", requested_by="UREQ")

        async def expired() -> bool:
            got = await rows("SELECT status FROM runs WHERE thread_id = %s", quick.thread_id)
            return got[0]["status"] == "done"

        await eventually(expired, timeout=8)
        got = await rows("SELECT status FROM runs WHERE thread_id = %s", slow.thread_id)
        assert got[0]["status"] != "done"  # the slow node was still running all along
        events = await rows("SELECT event FROM audit_log WHERE thread_id = %s",
                            quick.thread_id)
        assert "expired" in {e["event"] for e in events}


async def test_cancelling_a_reject_less_request_closes_it_and_says_why(
    harness: Harness, tmp_path: Path
) -> None:
    thread_id, request_id = await _start(harness, tmp_path, allowed=["approve", "edit"])
    approval_id = (await harness.approval_ids(thread_id))[0]
    status, _ = await harness.click("cancel", approval_id, user="UREQ")
    assert status == 200

    async def shown() -> bool:
        return any("does not allow a rejection" in str(u["blocks"])
                   for u in harness.fake.of("chat.update"))

    await eventually(shown)
    assert await _status(harness, request_id) == "failed"
    assert await harness.run_status(thread_id) == "failed"
    assert harness.fake.of("chat.postEphemeral") == []  # nothing went wrong to explain


async def test_a_failed_rows_error_is_shown_escaped(harness: Harness, tmp_path: Path) -> None:
    _, request_id = await _start(harness, tmp_path)
    await harness.rows("UPDATE requests SET status = 'failed', render_needed = true, "
                       "last_error = 'bad value <!channel> <https://x|y>' WHERE id = %s "
                       "RETURNING id", request_id)
    await sweep_once(harness.deps, grace_s=0)
    shown = str(harness.fake.of("chat.update")[-1]["blocks"])
    assert "&lt;!channel&gt;" in shown and "<!channel>" not in shown
