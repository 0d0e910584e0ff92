"""Per-row bookkeeping of the background sweeper: a failing row is backed off, then failed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

NOTE_SWEEP_ERROR = """
UPDATE requests SET sweep_attempts = sweep_attempts + 1, last_error = %s,
    sweep_retry_at = %s + make_interval(secs => least(600, 10 * power(4, sweep_attempts)))
WHERE id = %s RETURNING sweep_attempts
"""
GIVE_UP = """
UPDATE requests SET status = CASE WHEN status IN ('pending', 'decided') THEN 'failed'
                                  ELSE status END,
                    render_needed = %s, sweep_retry_at = NULL
WHERE id = %s RETURNING thread_id, status
"""


async def note_sweep_error(
    conn: AsyncConnection[Any], request_id: int, *, error: str, now: datetime
) -> int:
    """Count one failed sweep of a row and back it off (10 s, 40 s, 160 s, … at most
    10 minutes); returns the attempts so far."""
    cur = await conn.execute(NOTE_SWEEP_ERROR, (error[:2000], now, request_id))
    row = await cur.fetchone()
    return int(row["sweep_attempts"]) if row else 0


async def give_up(
    conn: AsyncConnection[Any], request_id: int, *, render: bool
) -> dict[str, Any] | None:
    """Mark an open row failed (its message then says so); ``render``: redraw it."""
    cur = await conn.execute(GIVE_UP, (render, request_id))
    row: dict[str, Any] | None = await cur.fetchone()
    return row

# Every claim skips rows backed off after an error (``sweep_retry_at`` in the future).
_READY = "(sweep_retry_at IS NULL OR sweep_retry_at < %s)"
CLAIM_EXPIRED = f"""
SELECT id, (policy->>'timeout_s')::int AS timeout_s FROM requests
WHERE status = 'pending' AND expires_at < %s AND {_READY}
  AND coalesce(policy->>'on_timeout', 'reject') <> 'wait'
ORDER BY expires_at LIMIT 20 FOR UPDATE SKIP LOCKED
"""
# Up to ``reminders`` of them; the next one period after this one (without a period, a
# quarter of the timeout).
CLAIM_REMINDERS = f"""
UPDATE requests SET reminded_at = %s, reminders_sent = reminders_sent + 1,
    remind_at = %s + make_interval(secs => coalesce((policy->>'reminder_s')::int,
                                                    (policy->>'timeout_s')::int / 4, 3600))
WHERE id IN (
    SELECT id FROM requests WHERE status = 'pending' AND remind_at < %s
      AND message_ts IS NOT NULL AND {_READY}
      AND reminders_sent < coalesce((policy->>'reminders')::int, 1)
    LIMIT 20 FOR UPDATE SKIP LOCKED)
RETURNING id, thread_id, channel, message_ts, expires_at, reminders_sent
"""
STALLED = f"""
SELECT id FROM requests WHERE status = 'decided' AND decided_at < %s AND {_READY}
ORDER BY id LIMIT 20
"""
UNPOSTED = f"""
SELECT id FROM requests WHERE message_ts IS NULL AND status = 'pending' AND created_at < %s
  AND (post_lease_until IS NULL OR post_lease_until < now()) AND {_READY}
ORDER BY id LIMIT 20
"""
UNRENDERED = f"""
SELECT id FROM requests WHERE render_needed AND message_ts IS NOT NULL
  AND coalesce(decided_at, created_at) < %s AND {_READY} ORDER BY id LIMIT 20
"""
LEFT_RUNNING = """
SELECT thread_id FROM runs r WHERE status = 'running' AND updated_at < %s
  AND NOT EXISTS (SELECT 1 FROM requests q WHERE q.thread_id = r.thread_id
                  AND q.resumed_at IS NULL AND q.status <> 'failed')
LIMIT 20
"""


async def _rows(conn: AsyncConnection[Any], sql: str, params: tuple[Any, ...]) -> list[Any]:
    cur = await conn.execute(sql, params)
    return list(await cur.fetchall())


async def claim_expired(conn: AsyncConnection[Any], *, now: datetime) -> list[dict[str, Any]]:
    """Overdue pending requests (id and timeout), oldest deadline first."""
    async with conn.transaction():
        return await _rows(conn, CLAIM_EXPIRED, (now, now))


async def claim_reminders(conn: AsyncConnection[Any], *, now: datetime) -> list[dict[str, Any]]:
    """Requests due a reminder, counted and rescheduled as they are claimed."""
    return await _rows(conn, CLAIM_REMINDERS, (now, now, now, now))


async def stalled(conn: AsyncConnection[Any], *, before: datetime, now: datetime) -> list[int]:
    """Decided before ``before`` and still not resumed."""
    return [int(r["id"]) for r in await _rows(conn, STALLED, (before, now))]


async def unposted(conn: AsyncConnection[Any], *, before: datetime, now: datetime) -> list[int]:
    """Stored before ``before`` and never posted (and not being posted right now)."""
    return [int(r["id"]) for r in await _rows(conn, UNPOSTED, (before, now))]


async def unrendered(conn: AsyncConnection[Any], *, before: datetime, now: datetime) -> list[int]:
    """Posted requests whose message rewrite is owed."""
    return [int(r["id"]) for r in await _rows(conn, UNRENDERED, (before, now))]


async def left_running(conn: AsyncConnection[Any], *, before: datetime) -> list[str]:
    """Runs marked running with no open request, untouched since ``before``."""
    return [str(r["thread_id"]) for r in await _rows(conn, LEFT_RUNNING, (before,))]


BACKOFF_POST = """
UPDATE requests
SET post_lease_until = now() + make_interval(secs => least(600, 5 * power(2, post_attempts)))
WHERE id = %s RETURNING post_attempts
"""


async def backoff_post(conn: AsyncConnection[Any], request_id: int) -> int:
    """After a failed post, wait 10 s, 20 s, 40 s, … (at most 10 minutes) before the next
    try; returns the attempts so far."""
    cur = await conn.execute(BACKOFF_POST, (request_id,))
    row = await cur.fetchone()
    return int(row["post_attempts"]) if row else 0
