"""What a resume does under its thread's lease, beyond fencing each write.

The thread's latest checkpoint is fetched from Postgres once: a resume reads it to check
its interrupt is still pending, then LangGraph reads it again to run on, and the second
read is built again from the row the first one fetched. These tests pin down when that
row is used, and that no write under the lease is ever missed. A finished run gives the
lease up with its last writes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from bot.engine.fence import hold_fence

from support.harness import Harness

PAYMENT = {"amount": 2500, "recipient": "acme"}
SET_STEP = (
    "UPDATE checkpoints SET metadata = metadata || %s::jsonb WHERE thread_id = %s "
    "RETURNING thread_id"
)


def _reader(harness: Harness, thread_id: str) -> Callable[[], Awaitable[Any]]:
    """The thread's latest checkpoint, read through the bot's saver."""
    config = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
    return lambda: harness.deps.checkpointer.aget_tuple(config)


@pytest.fixture
async def thread_id(harness: Harness) -> str:
    """A payments run waiting at its interrupt."""
    return (await harness.start("payments", PAYMENT)).thread_id


@asynccontextmanager
async def leased(harness: Harness, thread_id: str) -> AsyncIterator[Any]:
    """Hold the thread's lease for the block, as a resume does; yield its first read."""
    async with hold_fence(harness.deps, thread_id) as fence:
        assert fence is not None
        first = await _reader(harness, thread_id)()
        assert first is not None
        yield first


async def test_the_second_read_under_the_lease_is_built_from_the_first_ones_row(
    harness: Harness, thread_id: str
) -> None:
    read = _reader(harness, thread_id)
    async with leased(harness, thread_id) as first:
        versions = dict(first.checkpoint["channel_versions"])
        first.checkpoint["channel_versions"].clear()  # as LangGraph changes what it reads
        # Changed behind the saver's back (nobody under the lease would): the next read
        # is built from the row already fetched, the one after it asks Postgres again.
        await harness.rows(SET_STEP, '{"probe": 1}', thread_id)
        second = await read()
        third = await read()
    assert second is not None and third is not None
    assert second is not first  # built again: LangGraph changes what it is given
    assert second.checkpoint["channel_versions"] == versions  # untouched by the first
    assert second.checkpoint["id"] == first.checkpoint["id"]
    assert "probe" not in second.metadata
    assert third.metadata["probe"] == 1


async def test_a_write_under_the_lease_is_seen_by_the_next_read(
    harness: Harness, thread_id: str
) -> None:
    saver = harness.deps.checkpointer
    async with leased(harness, thread_id) as before:
        await saver.aput_writes(before.config, [("memo", "written under the lease")], "probe")
        after = await _reader(harness, thread_id)()
    assert after is not None
    assert ("probe", "memo", "written under the lease") in after.pending_writes
    assert not any(task == "probe" for task, _, _ in before.pending_writes or [])


async def test_without_the_lease_every_read_asks_postgres(
    harness: Harness, thread_id: str
) -> None:
    read = _reader(harness, thread_id)
    await read()
    await harness.rows(SET_STEP, '{"probe": 2}', thread_id)
    again = await read()
    assert again is not None and again.metadata["probe"] == 2


async def test_a_finished_run_gives_its_lease_up_in_the_transaction_that_marks_it_done(
    harness: Harness, thread_id: str
) -> None:
    (approval_id,) = await harness.approval_ids(thread_id)
    status, _ = await harness.click("approve", approval_id, user="UALICE")
    assert status == 200
    await harness.wait_done(thread_id)
    await harness.deps.inflight.drain(30)
    (row,) = await harness.rows(
        "SELECT l.owner, l.expires_at, r.updated_at FROM thread_leases l "
        "JOIN runs r USING (thread_id) WHERE thread_id = %s", thread_id
    )
    assert row["owner"] is None  # given up
    # now() is the transaction's start: equal only when written by the same transaction.
    assert row["expires_at"] == row["updated_at"]
