"""The fenced saver does not queue every checkpoint operation of the process on one lock."""

from __future__ import annotations

import asyncio

from persistence.checkpointer import open_checkpointer
from persistence.pool import open_pool


async def test_an_open_checkpoint_operation_does_not_block_another(database_url: str) -> None:
    pool = await open_pool(database_url, max_size=4)
    try:
        saver = await open_checkpointer(pool)
        config = {"configurable": {"thread_id": "t-lock", "checkpoint_ns": ""}}
        async with saver._cursor() as held:  # one operation in flight, holding its connection
            await held.execute("SELECT 1")
            # With LangGraph's single saver lock this read would wait for ``held`` forever.
            other = await asyncio.wait_for(saver.aget_tuple(config), timeout=30)
        assert other is None
    finally:
        await pool.close()
