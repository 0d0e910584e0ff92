"""Approval requests (one per interrupt), their approvals (one per action) and votes.

Functions take a connection so the caller decides the transaction. Lock order is
always request, then approval, so concurrent deciders never deadlock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from persistence.pipelines import pipelined
from persistence.runs import SELECT_RUN

Row = dict[str, Any]
Conn = AsyncConnection[Any]
ARG_ORDER = "arg_order"  # key of the stored action JSON: see arg_order()

INSERT_REQUEST = """
INSERT INTO requests (thread_id, interrupt_id, value_hash, request, policy, channel,
                      expires_at, remind_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (thread_id, interrupt_id) WHERE resumed_at IS NULL AND status <> 'failed'
DO NOTHING
RETURNING id
"""
INSERT_APPROVAL = """
INSERT INTO approvals (request_id, idx, action, args, policy) VALUES (%s, %s, %s, %s, %s)
"""
SELECT_REQUEST = "SELECT * FROM requests WHERE id = %s"
SELECT_OPEN_REQUESTS = """
SELECT * FROM requests WHERE thread_id = %s AND resumed_at IS NULL AND status <> 'failed'
ORDER BY id
"""
SELECT_APPROVALS = "SELECT * FROM approvals WHERE request_id = %s ORDER BY idx"
SELECT_APPROVAL = "SELECT * FROM approvals WHERE id = %s"
SELECT_APPROVAL_CONTEXT = """
SELECT a.id AS approval_id, a.request_id, r.thread_id, r.policy AS request_policy,
       coalesce(a.policy, r.policy) AS policy, a.policy_initial, r.request,
       r.escalated_at, r.created_at,
       run.requested_by, run.graph, run.channel AS run_channel,
       (SELECT jsonb_agg(jsonb_build_object('id', x.id, 'args', x.args) ORDER BY x.idx)
        FROM approvals x WHERE x.request_id = a.request_id) AS args_of
FROM approvals a JOIN requests r ON r.id = a.request_id JOIN runs run USING (thread_id)
WHERE a.id = %s
"""
LOCK_APPROVALS = "SELECT * FROM approvals WHERE request_id = %s ORDER BY idx FOR UPDATE"
TIGHTEN_POLICY = """
UPDATE approvals SET policy_initial = coalesce(policy_initial, policy), policy = %s
WHERE id = %s
"""
SHORTEN_EXPIRY = "UPDATE requests SET expires_at = least(expires_at, %s) WHERE id = %s"
LOCK_REQUEST_OF_APPROVAL = """
SELECT r.* FROM requests r JOIN approvals a ON a.request_id = r.id
WHERE a.id = %s FOR UPDATE OF r
"""
LOCK_APPROVALS_OF_APPROVAL = """
SELECT * FROM approvals WHERE request_id = (SELECT request_id FROM approvals WHERE id = %s)
ORDER BY idx FOR UPDATE
"""
LOCK_REQUEST = "SELECT * FROM requests WHERE id = %s FOR UPDATE"
# Run after the approvals are locked, so the round it joins on cannot move under it.
SELECT_CURRENT_VOTES = """
SELECT v.* FROM votes v JOIN approvals a ON a.id = v.approval_id AND v.round = a.round
WHERE v.approval_id = %s ORDER BY v.id
"""
INSERT_VOTE = (
    "INSERT INTO votes (approval_id, round, user_id, kind, args) VALUES (%s, %s, %s, %s, %s)"
)
UPDATE_APPROVAL = """
UPDATE approvals SET status = %s, decision = %s, args = %s, round = %s WHERE id = %s
"""
SET_DECIDED = """
UPDATE requests SET status = 'decided', decided_at = now(), resume_value = %s,
                    render_needed = true
WHERE id = %s AND status = 'pending'
RETURNING id
"""
SET_RESUMED = "UPDATE requests SET status = 'resumed', resumed_at = now() WHERE id = %s"
SET_FAILED = """
UPDATE requests SET status = 'failed', last_error = %s, resume_attempts = resume_attempts + 1
WHERE id = %s
"""
NOTE_RESUME_ERROR = """
UPDATE requests SET last_error = %s, resume_attempts = resume_attempts + 1 WHERE id = %s
RETURNING resume_attempts
"""
CLAIM_POST = """
UPDATE requests SET post_lease_until = now() + make_interval(secs => %s),
                    post_attempts = post_attempts + 1
WHERE id = %s AND message_ts IS NULL
  AND (post_lease_until IS NULL OR post_lease_until < now())
RETURNING id
"""
SET_MESSAGE_TS = """
UPDATE requests SET message_ts = %s, channel = coalesce(%s, channel), post_lease_until = NULL
WHERE id = %s
"""
SET_QUORUM_TS = "UPDATE requests SET quorum_ts = %s WHERE id = %s"
CLAIM_QUORUM_POST = """
UPDATE requests SET quorum_ts = 'posting' WHERE id = %s AND quorum_ts IS NULL RETURNING id
"""
SET_RENDER_NEEDED = "UPDATE requests SET render_needed = %s WHERE id = %s"


async def insert_request(
    conn: Conn,
    *,
    thread_id: str,
    interrupt_id: str,
    value_hash: str,
    request: Any,
    policy: Any,
    channel: str,
    expires_at: datetime | None,
    remind_at: datetime | None,
    actions: list[dict[str, Any]],
    policies: list[Any],
) -> int | None:
    """Store a request and its approvals, each with its own policy; None when this
    interrupt already has an open one."""
    async with conn.transaction():
        cur = await conn.execute(
            INSERT_REQUEST,
            (
                thread_id,
                interrupt_id,
                value_hash,
                Jsonb(request),
                Jsonb(policy),
                channel,
                expires_at,
                remind_at,
            ),
        )
        row = await cur.fetchone()
        if row is None:
            return None
        for idx, (action, policy) in enumerate(zip(actions, policies, strict=True)):
            stored = {**action, ARG_ORDER: arg_order(action)}
            values = (row["id"], idx, Jsonb(stored), Jsonb(action.get("args", {})), Jsonb(policy))
            await conn.execute(INSERT_APPROVAL, values)
        return int(row["id"])


def arg_order(action: dict[str, Any]) -> list[str]:
    """The argument names in the graph's order, then the schema's other properties.

    JSONB keeps neither order (it sorts keys by length), so the list is stored beside them.
    """
    names = list(action.get("args") or {})
    schema = action.get("args_schema")
    props = schema.get("properties") if isinstance(schema, dict) else None
    if isinstance(props, dict):
        names += [name for name in props if name not in names]
    return names


async def _one(conn: Conn, sql: str, params: tuple[Any, ...]) -> Row | None:
    cur = await conn.execute(sql, params)
    return await cur.fetchone()


async def _all(conn: Conn, sql: str, params: tuple[Any, ...]) -> list[Row]:
    cur = await conn.execute(sql, params)
    return await cur.fetchall()


async def get_request(conn: Conn, request_id: int) -> Row | None:
    """One request row."""
    return await _one(conn, SELECT_REQUEST, (request_id,))


async def request_and_run(
    conn: Conn, request_id: int, thread_id: str
) -> tuple[Row | None, Row | None]:
    """One request row and its run's row, read in one pipeline (the caller's, if any)."""
    async with pipelined(conn):
        request = await conn.execute(SELECT_REQUEST, (request_id,))
        run = await conn.execute(SELECT_RUN, (thread_id,))
    return await request.fetchone(), await run.fetchone()


async def open_requests(conn: Conn, thread_id: str) -> list[Row]:
    """The run's requests that have not been resumed yet."""
    return await _all(conn, SELECT_OPEN_REQUESTS, (thread_id,))


async def approvals_of(conn: Conn, request_id: int) -> list[Row]:
    """The request's approvals in action order."""
    return await _all(conn, SELECT_APPROVALS, (request_id,))


async def get_approval(conn: Conn, approval_id: int) -> Row | None:
    """One approval row."""
    return await _one(conn, SELECT_APPROVAL, (approval_id,))


async def approval_context(conn: Conn, approval_id: int) -> Row | None:
    """In one query: the approval's request id, thread id, policy and requester."""
    return await _one(conn, SELECT_APPROVAL_CONTEXT, (approval_id,))


async def context_and_lock(
    conn: Conn, approval_id: int, *, with_context: bool = True
) -> tuple[Row | None, tuple[Row, list[Row], list[Row]]]:
    """For a decision (inside its transaction), in one round trip: the approval's context
    (as :func:`approval_context`; None unless ``with_context``), then the lock on its
    request, the locks on all the request's approvals, and the current round's votes.

    Raises LookupError when the approval is unknown.
    """
    # The request is locked first, so the lock order (request, then approvals) holds.
    async with pipelined(conn):
        reading_context = (
            await conn.execute(SELECT_APPROVAL_CONTEXT, (approval_id,)) if with_context else None
        )
        locking_request = await conn.execute(LOCK_REQUEST_OF_APPROVAL, (approval_id,))
        locking_approvals = await conn.execute(LOCK_APPROVALS_OF_APPROVAL, (approval_id,))
        reading_votes = await conn.execute(SELECT_CURRENT_VOTES, (approval_id,))
    context = await reading_context.fetchone() if reading_context is not None else None
    request: Row | None = await locking_request.fetchone()
    approvals: list[Row] = list(await locking_approvals.fetchall())
    if request is None:
        raise LookupError(approval_id)
    return context, (request, approvals, list(await reading_votes.fetchall()))


async def set_policy(
    conn: Conn, approval_id: int, *, policy: Any, request_id: int, expires_at: datetime | None
) -> None:
    """Replace an approval's policy (an edit tightened it), keeping the first one, and
    bring the request's expiry forward if that policy's timeout is shorter."""
    await conn.execute(TIGHTEN_POLICY, (Jsonb(policy), approval_id))
    if expires_at is not None:
        await conn.execute(SHORTEN_EXPIRY, (expires_at, request_id))


async def lock_request(conn: Conn, request_id: int) -> Row | None:
    """Lock one request row (inside a transaction)."""
    return await _one(conn, LOCK_REQUEST, (request_id,))


async def insert_vote(
    conn: Conn, approval_id: int, *, round_: int, user_id: str, kind: str, args: Any
) -> None:
    """Record one person's vote for one exact argument set."""
    await conn.execute(INSERT_VOTE, (approval_id, round_, user_id, kind, Jsonb(args)))


async def update_approval(
    conn: Conn, approval_id: int, *, status: str, decision: Any, args: Any, round_: int
) -> None:
    """Write an approval's status, decision, current arguments and round."""
    value = Jsonb(decision) if decision is not None else None
    await conn.execute(UPDATE_APPROVAL, (status, value, Jsonb(args), round_, approval_id))


async def set_decided(conn: Conn, request_id: int, *, resume_value: Any) -> bool:
    """Move a pending request to ``decided`` with the value to resume with."""
    cur = await conn.execute(SET_DECIDED, (Jsonb(resume_value), request_id))
    return await cur.fetchone() is not None


async def set_resumed(conn: Conn, request_id: int) -> None:
    """The graph took the decision."""
    await conn.execute(SET_RESUMED, (request_id,))


async def set_failed(conn: Conn, request_id: int, *, error: str) -> None:
    """Give up resuming: the interrupt is gone or the graph keeps rejecting the value."""
    await conn.execute(SET_FAILED, (error[:2000], request_id))


async def note_resume_error(conn: Conn, request_id: int, *, error: str) -> int:
    """Count a failed resume attempt; returns the attempts so far."""
    row = await _one(conn, NOTE_RESUME_ERROR, (error[:2000], request_id))
    return int(row["resume_attempts"]) if row else 0


async def claim_post(conn: Conn, request_id: int, *, lease_s: float) -> bool:
    """Take a short lease on posting an unposted request; False if posted or leased."""
    return await _one(conn, CLAIM_POST, (lease_s, request_id)) is not None


async def set_message_ts(
    conn: Conn, request_id: int, ts: str, *, channel: str | None = None
) -> None:
    """Save the posted message's ts (and the channel id Slack answered with, if given)."""
    await conn.execute(SET_MESSAGE_TS, (ts, channel, request_id))


async def set_quorum_ts(conn: Conn, request_id: int, ts: str | None) -> None:
    """Save the ts of the threaded reply asking for further approvals (None: not posted)."""
    await conn.execute(SET_QUORUM_TS, (ts, request_id))


async def claim_quorum_post(conn: Conn, request_id: int) -> bool:
    """Reserve posting the quorum reply, so two renders never post it twice."""
    return await _one(conn, CLAIM_QUORUM_POST, (request_id,)) is not None


async def set_render_needed(conn: Conn, request_id: int, needed: bool) -> None:
    """Flag a message whose rewrite is owed (the sweeper retries it)."""
    await conn.execute(SET_RENDER_NEEDED, (needed, request_id))
