"""``one_sync``: the statements of one pipeline commit together at its Sync, or not at all."""

from __future__ import annotations

import psycopg
import pytest

from persistence.pool import Pool, one_sync, open_pool

CREATE = "CREATE TABLE IF NOT EXISTS sync_probe (id int PRIMARY KEY)"
COUNT = "SELECT count(*) AS n FROM sync_probe"


async def _count(pool: Pool) -> int:
    async with pool.connection() as conn:
        cur = await conn.execute(COUNT)
        return int((await cur.fetchone())["n"])


async def test_a_block_commits_every_statement_at_its_end(database_url: str) -> None:
    pool = await open_pool(database_url, max_size=2)
    try:
        async with pool.connection() as conn:
            await conn.execute(CREATE)
            async with one_sync(conn):
                await conn.execute("INSERT INTO sync_probe VALUES (1)")
                await conn.execute("INSERT INTO sync_probe VALUES (2)")
        assert await _count(pool) == 2
    finally:
        await pool.close()


async def test_a_failing_statement_rolls_back_the_ones_before_it(database_url: str) -> None:
    pool = await open_pool(database_url, max_size=2)
    try:
        async with pool.connection() as conn:
            await conn.execute(CREATE)
        with pytest.raises(psycopg.errors.DivisionByZero):
            async with pool.connection() as conn, one_sync(conn):
                await conn.execute("INSERT INTO sync_probe VALUES (1)")
                await conn.execute("SELECT 1 / 0")
                await conn.execute("INSERT INTO sync_probe VALUES (2)")
        assert await _count(pool) == 0
    finally:
        await pool.close()


async def test_an_error_raised_before_the_sync_commits_nothing(database_url: str) -> None:
    pool = await open_pool(database_url, max_size=2)
    try:
        async with pool.connection() as conn:
            await conn.execute(CREATE)
        with pytest.raises(RuntimeError, match="cut short"):
            async with pool.connection() as conn, one_sync(conn):
                await conn.execute("INSERT INTO sync_probe VALUES (1)")
                raise RuntimeError("cut short after a statement went out")
        assert conn.closed  # dropped, not synced: the server rolled the insert back
        assert await _count(pool) == 0
        async with pool.connection() as other:  # the pool carries on with a new one
            await other.execute("SELECT 1")
    finally:
        await pool.close()
