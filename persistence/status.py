"""Liveness and gauges of the database: what ``/healthz`` and ``/metrics`` ask."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

PING = "SELECT 1"
COUNT_PENDING = "SELECT count(*) AS n FROM requests WHERE status = 'pending'"


async def ping(conn: AsyncConnection[Any]) -> None:
    """One round trip: raises when the connection is broken."""
    await conn.execute(PING)


async def count_pending(conn: AsyncConnection[Any]) -> int:
    """How many requests wait for a decision."""
    cur = await conn.execute(COUNT_PENDING)
    row = await cur.fetchone()
    return int(row["n"]) if row else 0
