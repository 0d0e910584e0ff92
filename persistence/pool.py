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


async def open_pool(
    url: str, *, max_size: int = 20, timeout_s: float = 10.0
) -> Pool:
    """Open an autocommit, dict-row pool; connections are checked before use.

    ``prepare_threshold=0`` keeps it usable behind transaction poolers (pgbouncer), and
    ``check`` drops connections a Postgres restart has killed, so the pool heals itself.
    """
    pool = AsyncConnectionPool(
        url,
        connection_class=AsyncConnection[DictRow],
        min_size=1,
        max_size=max_size,
        timeout=timeout_s,
        open=False,
        check=AsyncConnectionPool.check_connection,
        kwargs={"autocommit": True, "row_factory": dict_row, "prepare_threshold": 0},
    )
    await pool.open(wait=False)
    return pool
