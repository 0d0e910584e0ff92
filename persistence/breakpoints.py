"""Pauses at static breakpoints already answered: never posted twice.

A breakpoint's interrupt id names the checkpoint the run paused at, so once one was
decided (a Reject leaves the thread paused there for good) it is never asked again.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

SELECT_ANSWERED = """
SELECT 1 FROM requests WHERE thread_id = %s AND interrupt_id = %s AND resumed_at IS NOT NULL
LIMIT 1
"""


async def answered(conn: AsyncConnection[Any], thread_id: str, interrupt_id: str) -> bool:
    """Whether the pause ``interrupt_id`` of ``thread_id`` was decided and acted on."""
    cur = await conn.execute(SELECT_ANSWERED, (thread_id, interrupt_id))
    return await cur.fetchone() is not None
