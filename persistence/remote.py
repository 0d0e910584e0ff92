"""Runs found on a LangGraph Server, and the poll schedule the instances share."""

from __future__ import annotations

from datetime import datetime
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


GET_POLL = """
SELECT name, watermark, cursor, behind_since, ticked_at, next_at,
       extract(epoch FROM now() - ticked_at) AS tick_age_s
FROM remote_polls WHERE name = %s
"""
# A tick's end: the watermark only moves forward; a cut tick marks discovery behind.
TICKED = """
UPDATE remote_polls SET watermark = GREATEST(watermark, %s), ticked_at = now(),
    behind_since = CASE WHEN %s THEN coalesce(behind_since, now()) ELSE behind_since END
WHERE name = %s
"""
SAVE_CURSOR = "UPDATE remote_polls SET cursor = %s WHERE name = %s"
# A reconciliation that started after discovery fell behind has read everything since.
CAUGHT_UP = "UPDATE remote_polls SET behind_since = NULL WHERE name = %s AND behind_since <= %s"
# One statement for a page: which of its threads are runs, and the interrupts each has
# stored and not yet resumed.
KNOWN_THREADS = """
SELECT r.thread_id, r.runner,
       coalesce(array_agg(q.interrupt_id) FILTER (WHERE q.id IS NOT NULL), '{}') AS open
FROM runs r
LEFT JOIN requests q
    ON q.thread_id = r.thread_id AND q.resumed_at IS NULL AND q.status <> 'failed'
WHERE r.thread_id = ANY(%s)
GROUP BY r.thread_id, r.runner
"""


async def get_poll(conn: AsyncConnection[Any], name: str) -> dict[str, Any] | None:
    """The poll row ``name`` (its watermark, cursor and state), or None before its first turn."""
    cur = await conn.execute(GET_POLL, (name,))
    row = await cur.fetchone()
    return dict(row) if row is not None else None


async def ticked(
    conn: AsyncConnection[Any], name: str, *, watermark: datetime | None, behind: bool
) -> None:
    """Record a finished tick: its watermark (never moved back), and whether it was cut."""
    await conn.execute(TICKED, (watermark, behind, name))


async def save_cursor(conn: AsyncConnection[Any], name: str, cursor: dict[str, Any]) -> None:
    """Keep the reconciliation's place (and when its pass began) for its next turn."""
    await conn.execute(SAVE_CURSOR, (Jsonb(cursor), name))


async def caught_up(conn: AsyncConnection[Any], name: str, *, since: datetime) -> None:
    """Clear ``behind`` when it was set before ``since`` (a full pass began after it)."""
    await conn.execute(CAUGHT_UP, (name, since))


async def known_threads(
    conn: AsyncConnection[Any], thread_ids: list[str]
) -> dict[str, tuple[str, frozenset[str]]]:
    """For each of ``thread_ids`` stored as a run: its runner and its open interrupt ids."""
    if not thread_ids:
        return {}
    cur = await conn.execute(KNOWN_THREADS, (thread_ids,))
    return {
        str(row["thread_id"]): (str(row["runner"]), frozenset(row["open"] or ()))
        for row in await cur.fetchall()
    }
