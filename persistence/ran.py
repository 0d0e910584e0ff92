"""What a finished run was decided with: every action of its requests, as it stands."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

Row = dict[str, Any]

SELECT_ACTIONS_OF_THREAD = """
SELECT a.action, a.args, a.status FROM approvals a JOIN requests r ON r.id = a.request_id
WHERE r.thread_id = %s ORDER BY r.id, a.idx
"""


async def actions_of_thread(conn: AsyncConnection[Any], thread_id: str) -> list[Row]:
    """Each action of each request of a run, oldest first: ``action``, ``args``, ``status``."""
    cur = await conn.execute(SELECT_ACTIONS_OF_THREAD, (thread_id,))
    return list(await cur.fetchall())
