"""Hold a thread's durable lease while its graph runs: acquire, heartbeat, release.

Kept apart from how a graph is run, so it wraps any runner. The lease is renewed on any
pooled connection, so losing one backend (or a Postgres restart shorter than the lease)
does not free the thread; only a lease that lapses for ``ttl_s`` can be taken over, and
the fenced checkpointer then refuses the old owner's writes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from bot.engine.deps import Deps
from bot.metrics import METRICS
from persistence import leases
from persistence.leases import CURRENT_FENCE, Fence, FenceLost
from persistence.pool import DB_DOWN, Pool

log = logging.getLogger(__name__)
POLL_S = 0.2


async def acquire_fence(deps: Deps, thread_id: str, *, wait_s: float = 0.0) -> Fence | None:
    """Take the thread's lease, polling up to ``wait_s``; None while a live owner holds it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    while True:
        async with deps.pool.connection() as conn:
            fence = await leases.acquire(
                conn, thread_id, owner=deps.owner, ttl_s=deps.lease_ttl_s
            )
        if fence is not None:
            return fence
        if loop.time() >= deadline:
            METRICS.inc("approvals_lease_busy_total")
            return None
        await asyncio.sleep(POLL_S)


async def heartbeat(
    pool: Pool, fence: Fence, *, ttl_s: float, holder: asyncio.Task[object]
) -> None:
    """Renew the lease every third of its life; cancel ``holder`` if it was taken over.

    A failed renewal (the database is away) is retried: the lease outlives the outage
    unless the outage outlives the lease.
    """
    while True:
        await asyncio.sleep(ttl_s / 3)
        try:
            async with pool.connection() as conn:
                held = await leases.renew(conn, fence, ttl_s=ttl_s)
        except DB_DOWN as exc:
            log.warning("renewing the lease on %s failed (retrying): %s", fence.thread_id, exc)
            continue
        if not held and fence.releasing:
            return  # the holder's own release, sent with its last writes, got there first
        if not held:
            log.error("lease on thread %s was taken over; stopping its work", fence.thread_id)
            METRICS.inc("approvals_lease_lost_total")
            fence.lost = True
            holder.cancel()
            return


async def release_fence(pool: Pool, fence: Fence) -> None:
    """Give the lease up; if the database is away it simply lapses."""
    try:
        async with pool.connection() as conn:
            await leases.release(conn, fence)
    except DB_DOWN as exc:
        log.warning("releasing the lease on %s failed (it lapses): %s", fence.thread_id, exc)


@asynccontextmanager
async def hold_fence(
    deps: Deps, thread_id: str, *, wait_s: float = 0.0
) -> AsyncIterator[Fence | None]:
    """Hold the thread's lease for the block (None: a live owner has it, do nothing).

    Checkpoint writes made inside the block are fenced by its epoch. Raises
    :class:`FenceLost` when the lease is taken over while the block runs.
    """
    fence = await acquire_fence(deps, thread_id, wait_s=wait_s)
    if fence is None:
        yield None
        return
    holder = asyncio.current_task()
    assert holder is not None
    token = CURRENT_FENCE.set(fence)
    beat = asyncio.ensure_future(
        heartbeat(deps.pool, fence, ttl_s=deps.lease_ttl_s, holder=holder)
    )
    try:
        yield fence
    except asyncio.CancelledError:
        if fence.lost:  # our own heartbeat's cancel: turn it into the error it stands for
            holder.uncancel()
            raise FenceLost(f"lease on thread {thread_id} was taken over") from None
        raise
    finally:
        beat.cancel()
        with suppress(asyncio.CancelledError):
            await beat
        CURRENT_FENCE.reset(token)
        if not fence.lost and not fence.released:
            await release_fence(deps.pool, fence)
