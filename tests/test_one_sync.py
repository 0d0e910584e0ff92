"""``one_sync``: the statements of one pipeline commit together at its Sync, or not at all."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import psycopg
import pytest

from persistence.pipelines import one_sync
from persistence.pool import Pool, open_pool

CREATE = "CREATE TABLE IF NOT EXISTS sync_probe (id int PRIMARY KEY)"
COUNT = "SELECT count(*) AS n FROM sync_probe"


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[Pool]:
    """A small pool on a database with an empty probe table."""
    pool = await open_pool(database_url, max_size=2)
    async with pool.connection() as conn:
        await conn.execute(CREATE)
    yield pool
    await pool.close()


async def _count(pool: Pool) -> int:
    async with pool.connection() as conn:
        cur = await conn.execute(COUNT)
        return int((await cur.fetchone())["n"])


async def test_a_block_commits_every_statement_at_its_end(pool: Pool) -> None:
    async with pool.connection() as conn, one_sync(conn):
        await conn.execute("INSERT INTO sync_probe VALUES (1)")
        await conn.execute("INSERT INTO sync_probe VALUES (2)")
    assert await _count(pool) == 2


async def test_a_failing_statement_rolls_back_the_ones_before_it(pool: Pool) -> None:
    with pytest.raises(psycopg.errors.UniqueViolation):
        async with pool.connection() as conn, one_sync(conn):
            await conn.execute("INSERT INTO sync_probe VALUES (1)")
            await conn.execute("INSERT INTO sync_probe VALUES (1)")
            await conn.execute("INSERT INTO sync_probe VALUES (2)")
    assert await _count(pool) == 0


async def test_an_error_raised_before_the_sync_commits_nothing(pool: Pool) -> None:
    with pytest.raises(RuntimeError, match="cut short"):
        async with pool.connection() as conn, one_sync(conn):
            await conn.execute("INSERT INTO sync_probe VALUES (1)")
            cur = await conn.execute("SELECT count(*) AS n FROM sync_probe")
            assert (await cur.fetchone())["n"] == 1  # a fetch inside is no commit
            raise RuntimeError("cut short after a statement went out")
    assert await _count(pool) == 0
    assert not conn.closed  # rolled back, and the connection is kept
    async with pool.connection() as again:
        assert again is conn
        await again.execute("SELECT 1")


async def test_a_cancelled_block_commits_nothing(pool: Pool) -> None:
    sent = asyncio.Event()

    async def block() -> None:
        async with pool.connection() as conn, one_sync(conn):
            await conn.execute("INSERT INTO sync_probe VALUES (1)")
            sent.set()
            await asyncio.sleep(30)

    task = asyncio.ensure_future(block())
    await sent.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await _count(pool) == 0  # the connection was closed before its Sync
    async with pool.connection() as other:  # the pool carries on with a new one
        await other.execute("SELECT 1")
