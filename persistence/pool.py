"""The one connection pool, shared by the checkpointer and the approval store."""

from __future__ import annotations

import time
from typing import Any
from weakref import WeakKeyDictionary

from psycopg import AsyncConnection, OperationalError
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout

# What a database outage looks like to a caller: the connection broke, or none came.
DB_DOWN = (OperationalError, PoolTimeout)
Conn = AsyncConnection[DictRow]
Pool = AsyncConnectionPool[Conn]
Row = dict[str, Any]
# A connection used this recently is handed out without a test query: a click's dozen
# checkouts cost no extra round trips. One idle for longer (through an outage, say) is
# tested first, so a restarted Postgres's dead connections are dropped, not used.
IDLE_CHECK_S = 1.0
_returned: WeakKeyDictionary[Conn, float] = WeakKeyDictionary()


# Every statement is prepared on its first use (``prepare_threshold`` 0, as LangGraph's
# saver wants). psycopg keeps 100 per connection and evicts the oldest; the bot and the
# saver use more than that, and an evicted statement costs a round trip to prepare again.
PREPARED_MAX = 500


async def _note_returned(conn: Conn) -> None:
    _returned[conn] = time.monotonic()


async def _configure(conn: Conn) -> None:
    conn.prepared_max = PREPARED_MAX
    await _note_returned(conn)


async def check_if_idle(conn: Conn) -> None:
    """The pool's ``check``: test a connection only if it has been idle a while."""
    if conn.closed or conn.broken:
        raise OperationalError("the connection is closed")
    if time.monotonic() - _returned.get(conn, 0.0) >= IDLE_CHECK_S:
        await AsyncConnectionPool.check_connection(conn)


async def open_pool(url: str, *, max_size: int = 20, timeout_s: float = 5.0) -> Pool:
    """Open an autocommit, dict-row pool; connections idle a while are checked before use.

    The connection settings are those LangGraph's checkpointer expects. ``check`` drops
    connections a Postgres restart has killed, so the pool heals itself (one that breaks
    while in use is discarded when it comes back, by the pool itself); ``timeout_s``
    bounds how long a click waits during an outage before it is told to try again.
    """
    pool = AsyncConnectionPool(
        url,
        connection_class=AsyncConnection[DictRow],
        min_size=1,
        max_size=max_size,
        timeout=timeout_s,
        open=False,
        check=check_if_idle,
        reset=_note_returned,
        configure=_configure,
        # Give up a failing reconnection after 5 s rather than 5 min: the pool grows one
        # connection at a time, and an attempt backing off through a long outage would
        # otherwise hold growth for as long again after Postgres is back.
        reconnect_timeout=5.0,
        kwargs={"autocommit": True, "row_factory": dict_row, "prepare_threshold": 0},
    )
    await pool.open(wait=False)
    return pool
