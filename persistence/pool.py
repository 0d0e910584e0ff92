"""The one connection pool, shared by the checkpointer and the approval store."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection, OperationalError
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout

# What a database outage looks like to a caller: the connection broke, or none came.
DB_DOWN = (OperationalError, PoolTimeout)
Conn = AsyncConnection[DictRow]
Pool = AsyncConnectionPool[Conn]
Row = dict[str, Any]


async def open_pool(url: str, *, max_size: int = 20, timeout_s: float = 5.0) -> Pool:
    """Open an autocommit, dict-row pool; connections are checked before use.

    The connection settings are those LangGraph's checkpointer expects. ``check`` drops
    connections a Postgres restart has killed, so the pool heals itself; ``timeout_s``
    bounds how long a click waits during an outage before it is told to try again.
    """
    pool = AsyncConnectionPool(
        url,
        connection_class=AsyncConnection[DictRow],
        min_size=1,
        max_size=max_size,
        timeout=timeout_s,
        open=False,
        check=AsyncConnectionPool.check_connection,
        # Give up a failing reconnection after 5 s rather than 5 min: the pool grows one
        # connection at a time, and an attempt backing off through a long outage would
        # otherwise hold growth for as long again after Postgres is back.
        reconnect_timeout=5.0,
        kwargs={"autocommit": True, "row_factory": dict_row, "prepare_threshold": 0},
    )
    await pool.open(wait=False)
    return pool
