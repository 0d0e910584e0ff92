"""Durable per-thread leases: the fence that keeps one writer on a checkpoint chain.

A lease names its owner and a fencing ``epoch``. It lives in a table, so it survives a
lost connection and a Postgres restart, and another owner takes it only once it has
lapsed (``expires_at`` passed without a heartbeat); every takeover bumps the epoch. A
write that checks the epoch in its own transaction can therefore never extend the chain
after its owner was replaced. All times are the database's, so clocks need not agree.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection, AsyncCursor

ACQUIRE_LEASE = """
INSERT INTO thread_leases AS l (thread_id, owner, epoch, expires_at)
VALUES (%s, %s, 1, now() + make_interval(secs => %s))
ON CONFLICT (thread_id) DO UPDATE
    SET owner = EXCLUDED.owner, epoch = l.epoch + 1, expires_at = EXCLUDED.expires_at,
        taken_at = now()
    WHERE l.owner IS NULL OR l.expires_at < now()
RETURNING epoch
"""
RENEW_LEASE = """
UPDATE thread_leases SET expires_at = now() + make_interval(secs => %s)
WHERE thread_id = %s AND owner = %s AND epoch = %s
RETURNING epoch
"""
RELEASE_LEASE = """
UPDATE thread_leases SET owner = NULL, expires_at = now()
WHERE thread_id = %s AND owner = %s AND epoch = %s
"""
# Fails with FENCE_LOST unless the lease still holds, and holds it FOR SHARE until the
# write commits (a takeover waits): see the migration defining approvals_hold_fence.
HOLD_FENCE = "SELECT approvals_hold_fence(%s, %s, %s)"
FENCE_LOST = "AP001"


class FenceLost(Exception):
    """The lease was taken over: this owner must not write to the thread any more."""


@dataclass
class Fence:
    """One held lease: who holds which thread, at which epoch."""

    thread_id: str
    owner: str
    epoch: int
    lost: bool = False
    # Set while a release rides along with the holder's last writes (a renewal that finds
    # the lease gone is then no takeover), and once that release has committed.
    releasing: bool = False
    released: bool = False
    # The row of the thread's latest checkpoint as last fetched under this lease, for the
    # next read to take instead of asking again (see persistence.checkpointer): nobody
    # else can write the thread while the lease holds, and every write under it drops it.
    latest: Any = None


# The fence the current task holds; the fenced checkpointer checks it on every write.
CURRENT_FENCE: ContextVar[Fence | None] = ContextVar("approvals_fence", default=None)


async def acquire(
    conn: AsyncConnection[Any], thread_id: str, *, owner: str, ttl_s: float
) -> Fence | None:
    """Take the thread's lease if it is free or lapsed; None while a live owner holds it."""
    cur = await conn.execute(ACQUIRE_LEASE, (thread_id, owner, ttl_s))
    row = await cur.fetchone()
    return None if row is None else Fence(thread_id, owner, int(row["epoch"]))


async def renew(conn: AsyncConnection[Any], fence: Fence, *, ttl_s: float) -> bool:
    """Extend a held lease; False when it was taken over (the fence is lost)."""
    cur = await conn.execute(RENEW_LEASE, (ttl_s, fence.thread_id, fence.owner, fence.epoch))
    return await cur.fetchone() is not None


async def release(conn: AsyncConnection[Any], fence: Fence) -> None:
    """Give the lease up at once (a no-op if it was already taken over)."""
    await conn.execute(RELEASE_LEASE, (fence.thread_id, fence.owner, fence.epoch))


async def hold_fence(cur: AsyncCursor[Any], fence: Fence) -> None:
    """Queue the fence's check first in a write's transaction (it may be pipelined).

    When the lease was taken over the check fails, the writes queued behind it are not
    run, and the error surfaces at the commit: :func:`lost_fence` turns it into
    :class:`FenceLost`.
    """
    await cur.execute(HOLD_FENCE, (fence.thread_id, fence.owner, fence.epoch))


def lost_fence(exc: Exception, fence: Fence) -> FenceLost | None:
    """The :class:`FenceLost` that ``exc`` stands for (marking ``fence`` lost), if any."""
    if getattr(exc, "sqlstate", None) != FENCE_LOST:
        return None
    fence.lost = True
    return FenceLost(f"lease on thread {fence.thread_id} (epoch {fence.epoch}) was taken over")
