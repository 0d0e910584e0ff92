"""Round trips to Postgres on the click path, counted from libpq's trace (no timings)."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg.rows import dict_row

from bot.engine.decide import decide
from persistence.pool import open_pool

from support import roundtrips
from support.harness import Harness, eventually

# Round trips (protocol syncs) of one approve click on a fresh pool, first prepares
# included: 86 with one statement per round trip, 46 with the decision, the view, the
# fenced writes and the resume's bookkeeping pipelined, 26 once each fenced write and the
# bookkeeping are one sync without BEGIN and COMMIT and LangGraph's read to run on is
# built from the row just fetched to check the interrupt, 16-17 once the decision is one
# sync too (its context read with its locks), no pipeline is opened inside another (each
# nested one syncs twice), and a finished run's lease goes with its last writes.
CLICK_BUDGET = 20


@pytest.fixture(autouse=True)
def hooked() -> Iterator[None]:
    roundtrips.install()
    yield


async def test_a_connection_just_returned_is_reused_without_a_test_query(
    database_url: str,
) -> None:
    pool = await open_pool(database_url, max_size=1)
    try:
        async with pool.connection() as conn:
            await conn.execute("SELECT 1")
            with roundtrips.counting() as query_alone:
                await conn.execute("SELECT 1")
        with roundtrips.counting() as counts:
            async with pool.connection() as conn:
                await conn.execute("SELECT 1")
        assert counts.checkouts == 1
        assert counts.round_trips == query_alone.round_trips > 0  # the query, nothing else
    finally:
        await pool.close()


async def test_a_connection_killed_under_the_pool_is_replaced(database_url: str) -> None:
    pool = await open_pool(database_url, max_size=1)
    try:
        async with pool.connection() as conn:
            pid = conn.info.backend_pid
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as admin:
            await admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(psycopg.OperationalError):  # used at once, it fails once …
            async with pool.connection() as conn:
                await conn.execute("SELECT 1")
        async with pool.connection(timeout=10) as conn:  # … and is not handed out again
            assert conn.info.backend_pid != pid
            await conn.execute("SELECT 1")
    finally:
        await pool.close()


async def test_one_approve_click_stays_within_its_round_trip_budget(
    harness: Harness, database_url: str
) -> None:
    started = await harness.start("payments", {"amount": 2500, "recipient": "acme"})
    (approval_id,) = await harness.approval_ids(started.thread_id)
    poll = await psycopg.AsyncConnection.connect(
        database_url, autocommit=True, row_factory=dict_row
    )

    async def done() -> bool:
        cur = await poll.execute("SELECT status FROM runs WHERE thread_id = %s",
                                 (started.thread_id,))
        return (await cur.fetchone())["status"] == "done"  # type: ignore[index]

    try:
        with roundtrips.counting() as counts:
            status, _ = await harness.click("approve", approval_id, user="UALICE")
            assert status == 200
            await eventually(done)
            await harness.deps.inflight.drain(30)  # the message's last rewrite, if any
    finally:
        await poll.close()
    assert 0 < counts.round_trips <= CLICK_BUDGET


async def test_a_decision_slack_need_not_be_asked_about_is_one_checkout(
    harness: Harness,
) -> None:
    started = await harness.start("payments", {"amount": 2500, "recipient": "acme"})
    (approval_id,) = await harness.approval_ids(started.thread_id)
    version = await harness.version_of(approval_id)
    with roundtrips.counting() as counts:
        decided = await decide(harness.deps, approval_id, user="UALICE", kind="approve",
                               version=version, team="T111")
    assert decided.complete
    # One connection and one Sync: the context, the locks and the votes come back on a
    # flush inside the pipeline, and the writes go out with the Sync that commits them.
    # (Before: the context on a connection of its own, then BEGIN and COMMIT around the
    # locks and writes, five Syncs on two checkouts.)
    assert counts.checkouts == 1
    assert counts.round_trips == 1
