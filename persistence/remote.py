"""Runs found on a LangGraph Server, and the poll schedule the instances share."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

ADOPT_RUN = """
INSERT INTO runs (thread_id, graph, input, channel, requested_by, runner, assistant_id, status,
                  claimed_by)
VALUES (%s, %s, %s, %s, %s, 'remote', %s, 'waiting', %s)
ON CONFLICT (thread_id) DO NOTHING
"""
ENSURE_POLL = "INSERT INTO remote_polls (name) VALUES (%s) ON CONFLICT (name) DO NOTHING"
CLAIM_POLL = """
UPDATE remote_polls SET next_at = now() + make_interval(secs => %s), polled_by = %s
WHERE name = %s AND next_at <= now() RETURNING name
"""


async def adopt_run(
    conn: AsyncConnection[Any],
    thread_id: str,
    *,
    graph: str,
    input: Any,
    channel: str,
    requested_by: str | None,
    assistant_id: str | None,
    claimed_by: str | None = None,
) -> bool:
    """Record a server thread the bot did not start; False when it is already known.

    ``requested_by`` is the requester the server's auth vouches for (or None);
    ``claimed_by`` is who the thread's metadata says, shown but never trusted."""
    cur = await conn.execute(
        ADOPT_RUN,
        (thread_id, graph, Jsonb(input), channel, requested_by, assistant_id, claimed_by),
    )
    return cur.rowcount == 1


async def claim_poll(
    conn: AsyncConnection[Any], name: str, *, every_s: float, instance: str
) -> bool:
    """True for the one instance whose turn it is to poll ``name`` now."""
    await conn.execute(ENSURE_POLL, (name,))
    cur = await conn.execute(CLAIM_POLL, (every_s, instance, name))
    return await cur.fetchone() is not None
