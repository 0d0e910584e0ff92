"""The audit chains under concurrency, and the migration that chains rows logged before."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
from psycopg.rows import dict_row

from bot.audit_chain import verify
from persistence import audit
from persistence.migrations import INSERT_VERSION, MIGRATIONS, migrate, statements
from persistence.pool import open_pool

from support.harness import Harness, eventually


async def _chains(harness: Harness) -> dict[str, list[int]]:
    rows = await harness.rows("SELECT chain, seq FROM audit_log ORDER BY chain, seq")
    found: dict[str, list[int]] = {}
    for r in rows:
        found.setdefault(r["chain"], []).append(int(r["seq"]))
    return found


async def test_concurrent_decisions_on_many_threads_and_one_keep_every_chain(
    harness: Harness,
) -> None:
    singles = [await harness.start("counting", {"amount": n, "recipient": "acme"})
               for n in range(1, 7)]
    batch = await harness.start("agent", {"task": "pay acme $50 and email bob@example.com"})
    batch_ids = await harness.approval_ids(batch.thread_id)
    assert len(batch_ids) == 2  # two calls of one request: two decisions on one thread
    clicks = [(a, "UALICE") for s in singles for a in await harness.approval_ids(s.thread_id)]
    clicks += [(a, u) for a, u in zip(batch_ids, ["UALICE", "UBOB"], strict=True)]
    answers = await asyncio.gather(*(harness.click("approve", a, user=u) for a, u in clicks))
    assert all(status == 200 for status, _ in answers)
    for started in [*singles, batch]:
        await harness.wait_done(started.thread_id, within=60)
    for started in singles:
        state = await harness.graph_state("counting", started.thread_id)
        assert state.values["status"] == "paid"
    await harness.deps.inflight.drain(30)

    async with harness.deps.pool.connection() as conn:
        result = await verify(conn)
    assert result.breaks == [] and result.chains == 7
    chains = await _chains(harness)
    assert all(seqs == list(range(1, len(seqs) + 1)) for seqs in chains.values())
    approved = await harness.rows(
        "SELECT count(*) AS n FROM audit_log WHERE thread_id = %s AND event = 'approved'",
        batch.thread_id)
    assert approved[0]["n"] == 2


async def _waiting_on_a_lock(admin: psycopg.AsyncConnection[Any], pid: int) -> bool:
    cur = await admin.execute(
        "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,))
    row = await cur.fetchone()
    return row is not None and row["wait_event_type"] == "Lock"


async def test_rows_of_one_chain_wait_for_each_other_and_other_chains_do_not(
    database_url: str,
) -> None:
    pool = await open_pool(database_url, max_size=4)
    await migrate(pool)
    conns = [await psycopg.AsyncConnection.connect(database_url, row_factory=dict_row)
             for _ in range(3)]
    admin = await psycopg.AsyncConnection.connect(
        database_url, autocommit=True, row_factory=dict_row)
    first, second, other = conns
    try:
        for round_ in (1, 2):  # a chain's first rows (its head inserted), then later ones
            await audit.record(first, "approved", thread_id="T1", actor=f"UA{round_}")
            waiting = asyncio.ensure_future(
                audit.record(second, "approved", thread_id="T1", actor=f"UB{round_}"))
            await eventually(lambda: _waiting_on_a_lock(admin, second.info.backend_pid))
            await asyncio.wait_for(audit.record(other, "approved", thread_id="T2"), 10)
            await other.commit()  # another chain went through while T1's head was held
            assert not waiting.done()
            await first.commit()
            await asyncio.wait_for(waiting, 10)
            await second.commit()
        cur = await admin.execute(
            "SELECT actor, seq, prev_hash, hash FROM audit_log WHERE chain = 'T1' ORDER BY seq")
        rows = await cur.fetchall()
        assert [(r["actor"], r["seq"]) for r in rows] == [
            ("UA1", 1), ("UB1", 2), ("UA2", 3), ("UB2", 4)]
        assert all(b["prev_hash"] == a["hash"] for a, b in zip(rows, rows[1:], strict=False))
        async with pool.connection() as conn:
            result = await verify(conn)
        assert result.breaks == [] and result.chains == 2
    finally:
        for conn in [*conns, admin]:
            await conn.close()
        await pool.close()


async def test_the_migration_chains_the_rows_logged_before_it(database_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await conn.execute(MIGRATIONS[0])
        chaining = next(i for i, m in enumerate(MIGRATIONS) if "CREATE TABLE audit_heads" in m)
        for version in range(1, chaining):  # the schema as it was before the chains
            async with conn.transaction():
                for statement in statements(MIGRATIONS[version]):
                    await conn.execute(statement)
                await conn.execute(INSERT_VERSION, (version,))
        for thread, event in [("T1", "started"), (None, "sweep_failed"), ("T2", "started"),
                              ("T1", "approved"), ("T1", "finished")]:
            await conn.execute(
                "INSERT INTO audit_log (thread_id, event, args_before) VALUES (%s, %s, %s)",
                (thread, event, '{"amount": 1.50}'))
    pool = await open_pool(database_url, max_size=2)
    try:
        assert await migrate(pool) == len(MIGRATIONS) - 1
        async with pool.connection() as conn:
            await audit.record(conn, "resumed", thread_id="T1")
            result = await verify(conn)
            cur = await conn.execute("SELECT chain, seq, event FROM audit_log ORDER BY id")
            rows = [(r["chain"], r["seq"], r["event"]) for r in await cur.fetchall()]
        assert result.breaks == [] and result.chains == 3
        assert rows == [("T1", 1, "started"), ("", 1, "sweep_failed"), ("T2", 1, "started"),
                        ("T1", 2, "approved"), ("T1", 3, "finished"), ("T1", 4, "resumed")]
    finally:
        await pool.close()
