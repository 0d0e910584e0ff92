"""Reaching people about open requests: reminders, escalation, overdue marks and DMs.

Every claim is one statement (or one transaction) over ``FOR UPDATE SKIP LOCKED`` rows,
so instances sweeping together never send the same reminder or escalation twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

Row = dict[str, Any]
Conn = AsyncConnection[Any]

# The next reminder is one period after this one; without a period, a quarter timeout.
CLAIM_REMINDERS = """
UPDATE requests SET reminded_at = %s, reminders_sent = reminders_sent + 1,
    remind_at = %s + make_interval(secs => coalesce((policy->>'reminder_s')::int,
                                                    (policy->>'timeout_s')::int / 4, 3600))
WHERE id IN (
    SELECT id FROM requests WHERE status = 'pending' AND remind_at < %s
      AND message_ts IS NOT NULL
      AND reminders_sent < coalesce((policy->>'reminders')::int, 1)
    LIMIT 20 FOR UPDATE SKIP LOCKED)
RETURNING id, thread_id, channel, message_ts, expires_at, overdue_at, policy, reminders_sent
"""
CLAIM_OVERDUE = """
UPDATE requests SET overdue_at = %s WHERE id IN (
    SELECT id FROM requests WHERE status = 'pending' AND expires_at < %s
      AND overdue_at IS NULL AND policy->>'on_timeout' = 'wait'
    LIMIT 20 FOR UPDATE SKIP LOCKED)
RETURNING id, thread_id
"""
CLAIM_ESCALATIONS = """
SELECT id, thread_id, channel, message_ts, policy FROM requests
WHERE status = 'pending' AND escalated_at IS NULL AND message_ts IS NOT NULL
  AND (policy->>'escalate_after_s') IS NOT NULL
  AND created_at + make_interval(secs => (policy->>'escalate_after_s')::int) < %s
ORDER BY id LIMIT 20 FOR UPDATE SKIP LOCKED
"""
SET_ESCALATED = "UPDATE requests SET escalated_at = %s, policy = %s WHERE id = %s"
CLAIM_DM = """
INSERT INTO request_dms (request_id, user_id) VALUES (%s, %s)
ON CONFLICT DO NOTHING RETURNING user_id
"""
SET_DM_TS = "UPDATE request_dms SET channel = %s, ts = %s WHERE request_id = %s AND user_id = %s"
FORGET_DM = "DELETE FROM request_dms WHERE request_id = %s AND user_id = %s AND ts IS NULL"
SELECT_DMS = """
SELECT user_id, channel, ts FROM request_dms WHERE request_id = %s AND ts IS NOT NULL
ORDER BY user_id
"""


async def claim_reminders(conn: Conn, *, now: datetime) -> list[Row]:
    """Take the reminders due at ``now``, counting each as sent and scheduling the next."""
    cur = await conn.execute(CLAIM_REMINDERS, (now, now, now))
    return await cur.fetchall()


async def claim_overdue(conn: Conn, *, now: datetime) -> list[Row]:
    """Mark the waiting requests whose timeout has passed as overdue (once each)."""
    cur = await conn.execute(CLAIM_OVERDUE, (now, now))
    return await cur.fetchall()


async def lock_escalations(conn: Conn, *, now: datetime) -> list[Row]:
    """Lock the requests due for escalation (inside a transaction)."""
    cur = await conn.execute(CLAIM_ESCALATIONS, (now,))
    return await cur.fetchall()


async def set_escalated(conn: Conn, request_id: int, *, now: datetime, policy: Any) -> None:
    """Store the widened policy of an escalated request."""
    await conn.execute(SET_ESCALATED, (now, Jsonb(policy), request_id))


async def claim_dm(conn: Conn, request_id: int, user_id: str) -> bool:
    """Reserve the DM of one request to one person; False if it is sent or being sent."""
    cur = await conn.execute(CLAIM_DM, (request_id, user_id))
    return await cur.fetchone() is not None


async def set_dm(conn: Conn, request_id: int, user_id: str, *, channel: str, ts: str) -> None:
    """Save where a DM landed, so later rewrites reach it."""
    await conn.execute(SET_DM_TS, (channel, ts, request_id, user_id))


async def forget_dm(conn: Conn, request_id: int, user_id: str) -> None:
    """Drop the reservation of a DM that Slack refused, so a later pass may try again."""
    await conn.execute(FORGET_DM, (request_id, user_id))


async def dms_of(conn: Conn, request_id: int) -> list[Row]:
    """The DMs sent about one request."""
    cur = await conn.execute(SELECT_DMS, (request_id,))
    return await cur.fetchall()
