"""Round trips to Postgres and pool checkouts, counted from libpq's own protocol trace.

A round trip is a message the client must wait for the server to answer: each ``Sync``
of the extended protocol (one per statement outside a pipeline, one per pipeline sync)
and each simple ``Query`` (BEGIN, COMMIT). libpq traces every message it sends, so the
count is exact and does not depend on how psycopg batches its waits. While counting,
every connection the pool has handed out is traced; checkouts are counted by wrapping
``AsyncConnectionPool.getconn``. Connections bench polls with never come from the pool,
so they are left out.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any
from weakref import WeakKeyDictionary, WeakSet

from psycopg import pq
from psycopg_pool import AsyncConnectionPool

FLAGS = pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE


@dataclass
class Counts:
    """What was counted while :func:`counting` was active."""

    round_trips: int = 0
    checkouts: int = 0
    active: bool = False
    seen: WeakSet[Any] = field(default_factory=WeakSet)  # every pooled connection
    files: WeakKeyDictionary[Any, IO[str]] = field(default_factory=WeakKeyDictionary)
    traced: dict[int, tuple[Any, int]] = field(default_factory=dict)  # id → (conn, offset)


COUNTS = Counts()


def install() -> None:
    """Wrap the pool's getconn (idempotent)."""
    if getattr(AsyncConnectionPool.getconn, "_counted", False):
        return
    getconn = AsyncConnectionPool.getconn

    async def counted_getconn(self: Any, *args: Any, **kwargs: Any) -> Any:
        conn = await getconn(self, *args, **kwargs)
        COUNTS.seen.add(conn)
        if COUNTS.active:
            COUNTS.checkouts += 1
            _trace(conn)
        return conn

    counted_getconn._counted = True  # type: ignore[attr-defined]
    AsyncConnectionPool.getconn = counted_getconn  # type: ignore[method-assign]


def _trace(conn: Any) -> None:
    """Trace ``conn`` from here on (once per window), into a file of its own."""
    if id(conn) in COUNTS.traced or conn.closed:
        return
    if conn not in COUNTS.files:
        COUNTS.files[conn] = tempfile.TemporaryFile("w+")  # noqa: SIM115 - lives with conn
    out = COUNTS.files[conn]
    out.seek(0, os.SEEK_END)
    COUNTS.traced[id(conn)] = (conn, out.tell())
    conn.pgconn.trace(out.fileno())
    conn.pgconn.set_trace_flags(FLAGS)


def _untrace_all() -> int:
    """Stop every trace of the window; the round trips they recorded."""
    trips = 0
    for conn, offset in COUNTS.traced.values():
        if not conn.closed:
            conn.pgconn.untrace()  # flushes what libpq buffered
        out = COUNTS.files[conn]
        out.seek(offset)
        trips += sum(1 for line in out if _is_round_trip(line))
    COUNTS.traced.clear()
    return trips


def _is_round_trip(line: str) -> bool:
    parts = line.split("\t")
    return len(parts) > 2 and parts[0] == "F" and parts[2].strip() in ("Sync", "Query")


@contextmanager
def counting() -> Iterator[Counts]:
    """Count from zero for the block; read the totals from the yielded object after it."""
    COUNTS.round_trips = COUNTS.checkouts = 0
    COUNTS.active = True
    for conn in list(COUNTS.seen):
        _trace(conn)
    try:
        yield COUNTS
    finally:
        COUNTS.active = False
        COUNTS.round_trips = _untrace_all()
