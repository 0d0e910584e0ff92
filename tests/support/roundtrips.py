"""Round trips to Postgres and pool checkouts, counted with a psycopg hook.

Every round trip of psycopg's async connection (a query, a pipeline sync, BEGIN, COMMIT)
goes through ``AsyncConnection.wait``; every checkout through ``AsyncConnectionPool.getconn``.
Both are wrapped once; connections bench itself polls with are left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool


@dataclass
class Counts:
    """What was counted while :func:`counting` was active."""

    round_trips: int = 0
    checkouts: int = 0
    ignored: set[int] = field(default_factory=set)
    active: bool = False


COUNTS = Counts()


def install() -> None:
    """Wrap psycopg's wait and the pool's getconn (idempotent)."""
    if getattr(AsyncConnection.wait, "_counted", False):
        return
    wait, getconn = AsyncConnection.wait, AsyncConnectionPool.getconn

    async def counted_wait(self: Any, *args: Any, **kwargs: Any) -> Any:
        if COUNTS.active and id(self) not in COUNTS.ignored:
            COUNTS.round_trips += 1
        return await wait(self, *args, **kwargs)

    async def counted_getconn(self: Any, *args: Any, **kwargs: Any) -> Any:
        if COUNTS.active:
            COUNTS.checkouts += 1
        return await getconn(self, *args, **kwargs)

    counted_wait._counted = True  # type: ignore[attr-defined]
    AsyncConnection.wait = counted_wait  # type: ignore[method-assign]
    AsyncConnectionPool.getconn = counted_getconn  # type: ignore[method-assign]


def ignore(conn: Any) -> None:
    """Leave ``conn``'s round trips out (bench's own polling)."""
    COUNTS.ignored.add(id(conn))


@contextmanager
def counting() -> Iterator[Counts]:
    """Count from zero for the block; read the totals from the yielded object after it."""
    COUNTS.round_trips = COUNTS.checkouts = 0
    COUNTS.active = True
    try:
        yield COUNTS
    finally:
        COUNTS.active = False
