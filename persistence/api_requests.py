"""Requests made through the approvals API: idempotency, the decision, the callback.

Each row belongs to one ``external`` run (and so to one normal request row): the
engine posts, decides, expires and audits it like any other. Its decision is recorded
here once, when the engine "resumes" the external run, with the cause read from its
approvals; a ``pg_notify`` on ``approvals_api`` tells every instance at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

Conn = AsyncConnection[Any]
Row = dict[str, Any]
CHANNEL = "approvals_api"

INSERT_API_REQUEST = """
INSERT INTO api_requests
    (id, thread_id, idempotency_key, body_hash, payload, response_schema, callback_url)
VALUES (%s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING id
"""
SELECT_BY_KEY = "SELECT id, body_hash FROM api_requests WHERE idempotency_key = %s"
# The API's view of one request: its own row, its run's state and its Slack message.
SELECT_API_REQUEST = """
SELECT a.*, r.status AS run_status, r.outcome AS run_outcome, r.requested_by, r.graph,
       q.id AS request_id, q.channel, q.message_ts, q.status AS request_status,
       q.expires_at
FROM api_requests a JOIN runs r ON r.thread_id = a.thread_id
LEFT JOIN LATERAL (SELECT * FROM requests WHERE thread_id = a.thread_id
                   ORDER BY id LIMIT 1) q ON true
WHERE a.id = %s
"""
SELECT_DECISION = """
SELECT a.status, r.status = 'failed' AS run_failed
FROM api_requests a JOIN runs r ON r.thread_id = a.thread_id WHERE a.id = %s
"""
# The cause is read from the approvals the engine closed: a cancel and an expiry each
# mark them with their own status; anything else was a person's decision.
RECORD_DECISION = """
WITH done AS (
    UPDATE api_requests a SET
        decision = %(decision)s, decided_at = now(),
        cause = c.cause,
        status = CASE c.cause WHEN 'cancel' THEN 'cancelled' WHEN 'timeout' THEN 'expired'
                 ELSE CASE WHEN %(decision)s->>'action' = 'reject' THEN 'rejected'
                           ELSE 'approved' END END,
        callback_status = CASE WHEN a.callback_url IS NOT NULL THEN 'pending' END,
        callback_next_at = CASE WHEN a.callback_url IS NOT NULL THEN now() END,
        callback_deadline = CASE WHEN a.callback_url IS NOT NULL
                            THEN now() + make_interval(secs => %(deadline_s)s) END
    FROM (SELECT CASE WHEN bool_or(p.status = 'cancelled') THEN 'cancel'
                      WHEN bool_or(p.status = 'expired') THEN 'timeout'
                      ELSE 'person' END AS cause
          FROM approvals p JOIN requests q ON q.id = p.request_id
          WHERE q.thread_id = %(thread)s) c
    WHERE a.thread_id = %(thread)s AND a.decision IS NULL
    RETURNING a.id, a.callback_url
)
SELECT id, pg_notify('approvals_api',
                     id || CASE WHEN callback_url IS NOT NULL THEN ' callback' ELSE '' END)
FROM done
"""
LISTEN_DECISIONS = "LISTEN approvals_api"
SELECT_STATE = "SELECT payload, response_schema, decision FROM api_requests WHERE thread_id = %s"
# Keyset pagination: ``seq`` after the cursor, in creation order.
LIST_API_REQUESTS = """
SELECT * FROM (
    SELECT a.id, a.seq, a.created_at, a.payload->>'title' AS title,
           a.payload->>'action' AS action,
           CASE WHEN a.status = 'pending' AND r.status = 'failed' THEN 'failed'
                ELSE a.status END AS status
    FROM api_requests a JOIN runs r ON r.thread_id = a.thread_id
    WHERE a.seq > %(after)s AND (%(status)s::text IS NULL OR a.status =
          CASE WHEN %(status)s = 'failed' THEN 'pending' ELSE %(status)s END)
) s
WHERE %(status)s::text IS NULL OR s.status = %(status)s
ORDER BY s.seq LIMIT %(limit)s
"""
# Claimed for a while (a lease), so one instance makes each attempt.
CLAIM_CALLBACKS = """
UPDATE api_requests SET callback_next_at = %(now)s + make_interval(secs => %(lease_s)s)
WHERE id IN (SELECT id FROM api_requests
             WHERE callback_status = 'pending' AND callback_next_at <= %(now)s
             ORDER BY callback_next_at LIMIT 20 FOR UPDATE SKIP LOCKED)
RETURNING id, thread_id, status, decision, cause, callback_url, callback_attempts,
          callback_deadline
"""
CALLBACK_DELIVERED = """
UPDATE api_requests SET callback_status = 'delivered', callback_attempts = %s,
    callback_next_at = NULL, callback_error = NULL
WHERE id = %s
"""
CALLBACK_FAILED = """
UPDATE api_requests SET callback_attempts = %(attempt)s, callback_error = %(error)s,
    callback_status = CASE WHEN %(next)s >= callback_deadline THEN 'gave_up' ELSE 'pending' END,
    callback_next_at = CASE WHEN %(next)s >= callback_deadline THEN NULL ELSE %(next)s END
WHERE id = %(id)s
RETURNING callback_status
"""


async def insert_api_request(
    conn: Conn,
    api_id: str,
    *,
    key: str | None,
    body_hash: str,
    payload: dict[str, Any],
    response_schema: dict[str, Any] | None,
    callback_url: str | None,
) -> bool:
    """Record the request; False when ``key`` was already used (nothing is written)."""
    cur = await conn.execute(
        INSERT_API_REQUEST,
        (api_id, api_id, key, body_hash, Jsonb(payload),
         Jsonb(response_schema) if response_schema is not None else None, callback_url),
    )
    return await cur.fetchone() is not None


async def by_key(conn: Conn, key: str) -> Row | None:
    """The request created with idempotency key ``key`` (its ``id`` and ``body_hash``)."""
    cur = await conn.execute(SELECT_BY_KEY, (key,))
    return await cur.fetchone()


async def get_api_request(conn: Conn, api_id: str) -> Row | None:
    """One request with its run's status and its Slack message, or None."""
    cur = await conn.execute(SELECT_API_REQUEST, (api_id,))
    return await cur.fetchone()


async def get_decision(conn: Conn, api_id: str) -> Row | None:
    """Just ``status`` and ``run_failed`` (what a long poll checks), or None."""
    cur = await conn.execute(SELECT_DECISION, (api_id,))
    return await cur.fetchone()


async def listen_decisions(conn: Conn) -> None:
    """Subscribe ``conn`` (autocommit, outside the pool) to decisions of every instance:
    each notification's payload is a request's id, then `` callback`` when it has one."""
    await conn.execute(LISTEN_DECISIONS)


async def external_state(conn: Conn, thread_id: str) -> Row | None:
    """What the external run proposes (``payload``, ``response_schema``) and its decision."""
    cur = await conn.execute(SELECT_STATE, (thread_id,))
    return await cur.fetchone()


async def record_decision(
    conn: Conn, thread_id: str, *, decision: dict[str, Any], deadline_s: float
) -> str | None:
    """Record the decision once (and notify); the request's id, or None if it had one."""
    cur = await conn.execute(
        RECORD_DECISION,
        {"decision": Jsonb(decision), "thread": thread_id, "deadline_s": deadline_s},
    )
    row = await cur.fetchone()
    return str(row["id"]) if row else None


async def list_api_requests(
    conn: Conn, *, status: str | None, after: int, limit: int
) -> list[Row]:
    """Requests after cursor ``after`` in creation order (``status`` filters them)."""
    cur = await conn.execute(
        LIST_API_REQUESTS, {"status": status, "after": after, "limit": limit}
    )
    return await cur.fetchall()


async def claim_callbacks(conn: Conn, *, now: datetime, lease_s: float) -> list[Row]:
    """Callbacks due now, each claimed by this instance for ``lease_s``."""
    cur = await conn.execute(CLAIM_CALLBACKS, {"now": now, "lease_s": lease_s})
    return await cur.fetchall()


async def callback_delivered(conn: Conn, api_id: str, *, attempt: int) -> None:
    """The callback got a 2xx on ``attempt``: done."""
    await conn.execute(CALLBACK_DELIVERED, (attempt, api_id))


async def callback_failed(
    conn: Conn, api_id: str, *, attempt: int, error: str, retry_at: datetime
) -> str:
    """Attempt ``attempt`` failed: retry at ``retry_at``, or give up past the deadline."""
    cur = await conn.execute(
        CALLBACK_FAILED, {"attempt": attempt, "error": error[:500], "next": retry_at, "id": api_id}
    )
    row = await cur.fetchone()
    return str(row["callback_status"]) if row else "gone"
