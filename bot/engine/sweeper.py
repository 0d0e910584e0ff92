"""The background loop, safe on every instance: rows are shared out with SKIP LOCKED.

Each pass expires overdue requests, sends reminders, finishes decided-but-not-resumed
requests (a crash between the decision and the resume), re-posts requests whose post
failed, re-renders messages whose rewrite failed, and syncs runs left mid-way.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from bot.engine.close import close_request
from bot.engine.deps import Deps
from bot.engine.escalate import escalate_due
from bot.engine.flow import after_decision
from bot.engine.post import post_request, sync_run
from bot.engine.remind import mark_overdue, send_reminders
from bot.engine.render import render_request
from bot.engine.resume import resume_request
from bot.metrics import METRICS

log = logging.getLogger(__name__)
GRACE_S = 10  # leave the live path this long before the sweeper steps in

CLAIM_EXPIRED = """
SELECT id FROM requests WHERE status = 'pending' AND expires_at < %s
  AND coalesce(policy->>'on_timeout', 'reject') <> 'wait'
ORDER BY expires_at LIMIT 20 FOR UPDATE SKIP LOCKED
"""
TIMEOUT_OF = "SELECT (policy->>'timeout_s')::int AS t FROM requests WHERE id = %s"
STALLED = """
SELECT id FROM requests WHERE status = 'decided' AND decided_at < %s ORDER BY id LIMIT 20
"""
UNPOSTED = """
SELECT id FROM requests WHERE message_ts IS NULL AND status = 'pending' AND created_at < %s
  AND (post_lease_until IS NULL OR post_lease_until < now()) ORDER BY id LIMIT 20
"""
UNRENDERED = """
SELECT id FROM requests WHERE render_needed AND message_ts IS NOT NULL
  AND coalesce(decided_at, created_at) < %s ORDER BY id LIMIT 20
"""
LEFT_RUNNING = """
SELECT thread_id FROM runs r WHERE status = 'running' AND updated_at < %s
  AND NOT EXISTS (SELECT 1 FROM requests q WHERE q.thread_id = r.thread_id
                  AND q.resumed_at IS NULL AND q.status <> 'failed')
LIMIT 20
"""


async def _ids(deps: Deps, sql: str, *params: Any) -> list[Any]:
    async with deps.pool.connection() as conn:
        cur = await conn.execute(sql, params)
        return [next(iter(row.values())) for row in await cur.fetchall()]


async def expire_due(deps: Deps) -> int:
    """Auto-reject overdue requests and resume their runs so they take the reject branch."""
    now = deps.clock()
    async with deps.pool.connection() as conn, conn.transaction():
        cur = await conn.execute(CLAIM_EXPIRED, (now,))
        due = [int(r["id"]) for r in await cur.fetchall()]
    for request_id in due:
        async with deps.pool.connection() as conn:
            cur = await conn.execute(TIMEOUT_OF, (request_id,))
            row = await cur.fetchone()
        waited = _human(timedelta(seconds=int(row["t"]))) if row else "its timeout"
        decided = await close_request(
            deps, request_id, status="expired", actor=None, reason=f"timed out after {waited}"
        )
        if decided:
            METRICS.inc("approvals_expired_total")
            await after_decision(deps, decided)
    return len(due)


def _human(delta: timedelta) -> str:
    """``24 hours``, ``90 minutes``, ``1 second``: the largest unit that divides exactly."""
    seconds = int(delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}{'s' if n > 1 else ''}"
    return f"{seconds} seconds"


def grace_of(deps: Deps) -> float:
    """How long the live path owns a fresh row: two sweep intervals, at most ``GRACE_S``."""
    return min(float(GRACE_S), 2 * deps.settings.approvals_sweep_s)


async def sweep_once(deps: Deps, *, grace_s: float | None = None) -> None:
    """One pass of every chore; rows younger than ``grace_s`` are left to the live path."""
    grace = grace_of(deps) if grace_s is None else grace_s
    cutoff = deps.clock() - timedelta(seconds=grace)
    await expire_due(deps)
    await mark_overdue(deps)
    await send_reminders(deps)
    await escalate_due(deps)
    for request_id in await _ids(deps, STALLED, cutoff):
        if await resume_request(deps, request_id):
            await render_request(deps, request_id)
    for request_id in await _ids(deps, UNPOSTED, cutoff):
        await post_request(deps, request_id)
    for request_id in await _ids(deps, UNRENDERED, cutoff):
        await render_request(deps, request_id)
    for thread_id in await _ids(deps, LEFT_RUNNING, cutoff):
        await sync_run(deps, thread_id)


async def run_sweeper(deps: Deps) -> None:
    """Sweep forever; a failing pass is logged and the next one tries again."""
    while not deps.inflight.closing:
        try:
            await sweep_once(deps)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("sweeper pass failed; retrying in %ss", deps.settings.approvals_sweep_s)
        await asyncio.sleep(deps.settings.approvals_sweep_s)
