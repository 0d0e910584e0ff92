"""Reaching people about open requests: escalation, overdue marks and DMs.

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

# Every claim skips rows the sweeper backed off after an error.
_READY = "(sweep_retry_at IS NULL OR sweep_retry_at < %s)"
CLAIM_OVERDUE = f"""
UPDATE requests SET overdue_at = %s WHERE id IN (
    SELECT id FROM requests WHERE status = 'pending' AND expires_at < %s
      AND overdue_at IS NULL AND policy->>'on_timeout' = 'wait' AND {_READY}
    LIMIT 20 FOR UPDATE SKIP LOCKED)
RETURNING id, thread_id
"""
_ESCALATION_DUE = """status = 'pending' AND escalated_at IS NULL AND message_ts IS NOT NULL
  AND (policy->>'escalate_after_s') IS NOT NULL
  AND created_at + make_interval(secs => (policy->>'escalate_after_s')::int) < %s"""
DUE_ESCALATIONS = f"""
SELECT id FROM requests WHERE {_ESCALATION_DUE} AND {_READY} ORDER BY id LIMIT 20
"""
LOCK_ESCALATION = f"""
SELECT id, thread_id, channel, message_ts, policy, created_at FROM requests
WHERE id = %s AND {_ESCALATION_DUE} FOR UPDATE SKIP LOCKED
"""
# Locked after the request (the lock order of every decision).
LOCK_PENDING_APPROVALS = """
SELECT id, policy FROM approvals WHERE request_id = %s AND status = 'pending'
ORDER BY idx FOR UPDATE
"""
SET_APPROVAL_POLICY = "UPDATE approvals SET policy = %s WHERE id = %s"
# Once per request: the first instance to see its channel fail tells people.
MARK_CHANNEL_FAILED = """
UPDATE requests SET channel_failed_at = %s, last_error = %s
WHERE id = %s AND channel_failed_at IS NULL AND status = 'pending'
RETURNING id, thread_id, channel
"""
# Escalation reopens the DM round: the people it adds get theirs.
SET_ESCALATED = """
UPDATE requests SET escalated_at = %s, policy = %s, dms_sent_at = NULL WHERE id = %s
"""
SET_DMS_SENT = "UPDATE requests SET dms_sent_at = %s WHERE id = %s"
DUE_DMS = f"""
SELECT id FROM requests WHERE status = 'pending' AND message_ts IS NOT NULL
  AND dms_sent_at IS NULL AND policy->>'notify' = 'dm'
  AND coalesce(escalated_at, created_at) < %s AND {_READY}
ORDER BY id LIMIT 20
"""
# A claim whose DM never landed (the process died mid-send) is taken over after a while.
CLAIM_DM = """
INSERT INTO request_dms (request_id, user_id) VALUES (%s, %s)
ON CONFLICT (request_id, user_id) DO UPDATE SET claimed_at = now()
WHERE request_dms.ts IS NULL AND request_dms.claimed_at < now() - interval '5 minutes'
RETURNING user_id
"""
SET_DM_TS = "UPDATE request_dms SET channel = %s, ts = %s WHERE request_id = %s AND user_id = %s"
FORGET_DM = "DELETE FROM request_dms WHERE request_id = %s AND user_id = %s AND ts IS NULL"
SELECT_UNSENT = "SELECT count(*) AS n FROM request_dms WHERE request_id = %s AND ts IS NULL"
SELECT_DMS = """
SELECT user_id, channel, ts FROM request_dms WHERE request_id = %s AND ts IS NOT NULL
ORDER BY user_id
"""


async def claim_overdue(conn: Conn, *, now: datetime) -> list[Row]:
    """Mark the waiting requests whose timeout has passed as overdue (once each)."""
    cur = await conn.execute(CLAIM_OVERDUE, (now, now, now))
    return await cur.fetchall()


async def due_escalations(conn: Conn, *, now: datetime) -> list[int]:
    """The requests due for escalation at ``now``."""
    cur = await conn.execute(DUE_ESCALATIONS, (now, now))
    return [int(row["id"]) for row in await cur.fetchall()]


async def lock_escalation(conn: Conn, request_id: int, *, now: datetime) -> Row | None:
    """Lock one request still due for escalation (inside a transaction); None if it is
    not due any more or another instance holds it."""
    cur = await conn.execute(LOCK_ESCALATION, (request_id, now))
    return await cur.fetchone()


async def set_escalated(conn: Conn, request_id: int, *, now: datetime, policy: Any) -> None:
    """Store the widened policy of an escalated request."""
    await conn.execute(SET_ESCALATED, (now, Jsonb(policy), request_id))


async def mark_channel_failed(
    conn: Conn, request_id: int, *, now: datetime, error: str
) -> Row | None:
    """Mark an open request whose channel stopped working; None if it already was."""
    cur = await conn.execute(MARK_CHANNEL_FAILED, (now, error[:2000], request_id))
    return await cur.fetchone()


async def lock_pending_approvals(conn: Conn, request_id: int) -> list[Row]:
    """The request's open approvals with their policies, locked (after the request)."""
    cur = await conn.execute(LOCK_PENDING_APPROVALS, (request_id,))
    return await cur.fetchall()


async def set_approval_policy(conn: Conn, approval_id: int, *, policy: Any) -> None:
    """Store one action's widened policy (escalation)."""
    await conn.execute(SET_APPROVAL_POLICY, (Jsonb(policy), approval_id))


async def set_dms_sent(conn: Conn, request_id: int, *, now: datetime) -> None:
    """Mark a request's round of DMs done."""
    await conn.execute(SET_DMS_SENT, (now, request_id))


async def due_dms(conn: Conn, *, before: datetime, now: datetime) -> list[int]:
    """Requests whose round of DMs is owed since before ``before``."""
    cur = await conn.execute(DUE_DMS, (before, now))
    return [int(row["id"]) for row in await cur.fetchall()]


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


async def unsent_dms(conn: Conn, request_id: int) -> int:
    """How many DMs of a request are claimed but not (yet) sent."""
    cur = await conn.execute(SELECT_UNSENT, (request_id,))
    row = await cur.fetchone()
    return int(row["n"]) if row else 0


async def dms_of(conn: Conn, request_id: int) -> list[Row]:
    """The DMs sent about one request."""
    cur = await conn.execute(SELECT_DMS, (request_id,))
    return await cur.fetchall()
