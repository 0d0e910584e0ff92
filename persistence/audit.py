"""The append-only audit log: every event with actor, time, arguments and reason."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

Row = dict[str, Any]

# Appending to a chain, in the one INSERT statement that writes the row: ``ev`` (built by
# the statement before this part) is the event, and the chain's head row is inserted or,
# when it exists, locked and moved on to this row's hash. Two rows of one chain wait on
# that row lock (until the first commits, when the second reads its hash); rows of other
# chains never wait. Nothing is read in a round trip of its own.
CHAIN_HEAD = """
, hashed AS (
    SELECT ev.*, coalesce(ev.thread_id, '') AS chain,
           approvals_audit_content(ev.thread_id, ev.request_id, ev.approval_id, ev.event,
               ev.actor, ev.at, ev.args_before, ev.args_after, ev.reason, ev.detail,
               ev.policy) AS content
    FROM ev
), head AS (
    INSERT INTO audit_heads AS h (chain, seq, prev_hash, hash)
    SELECT chain, 1, NULL, approvals_audit_hash(NULL, content) FROM hashed
    ON CONFLICT (chain) DO UPDATE SET seq = h.seq + 1, prev_hash = h.hash,
        hash = approvals_audit_hash(h.hash, (SELECT content FROM hashed))
    RETURNING chain, seq, prev_hash, hash
)
"""
CHAIN_INSERT = """
INSERT INTO audit_log (thread_id, request_id, approval_id, event, actor, at, args_before,
                       args_after, reason, detail, policy, chain, seq, prev_hash, hash)
SELECT e.thread_id, e.request_id, e.approval_id, e.event, e.actor, e.at, e.args_before,
       e.args_after, e.reason, e.detail, e.policy, h.chain, h.seq, h.prev_hash, h.hash
FROM hashed e JOIN head h USING (chain)
"""
CHAIN_APPEND = CHAIN_HEAD + CHAIN_INSERT
INSERT_EVENT = """
WITH ev AS (
    SELECT %s::text AS thread_id, %s::bigint AS request_id, %s::bigint AS approval_id,
           %s::text AS event, %s::text AS actor, now() AS at, %s::jsonb AS args_before,
           %s::jsonb AS args_after, %s::text AS reason, %s::jsonb AS detail,
           %s::jsonb AS policy
)""" + CHAIN_APPEND
# An event about a request, logged only while the request is still ``decided``: it can go
# out in one pipeline with the reads that tell whether the request is still to be resumed.
INSERT_IF_DECIDED = """
WITH ev AS (
    SELECT thread_id, id AS request_id, NULL::bigint AS approval_id, %s::text AS event,
           NULL::text AS actor, now() AS at, NULL::jsonb AS args_before,
           NULL::jsonb AS args_after, NULL::text AS reason, %s::jsonb AS detail,
           NULL::jsonb AS policy
    FROM requests WHERE id = %s AND status = 'decided'
)""" + CHAIN_APPEND
SELECT_TRAIL = """
SELECT id, thread_id, request_id, approval_id, event, actor, at,
       args_before, args_after, reason, detail
FROM audit_log WHERE thread_id = %s ORDER BY id
"""


def _json(value: Any) -> Jsonb | None:
    return None if value is None else Jsonb(value)


async def record_if_decided(
    conn: AsyncConnection[Any], event: str, *, request_id: int, detail: Any
) -> None:
    """Append ``event`` for the request if it is ``decided`` now (it may be pipelined)."""
    await conn.execute(INSERT_IF_DECIDED, (event, _json(detail), request_id))


async def record(
    conn: AsyncConnection[Any],
    event: str,
    *,
    thread_id: str | None,
    request_id: int | None = None,
    approval_id: int | None = None,
    actor: str | None = None,
    args_before: Any = None,
    args_after: Any = None,
    reason: str | None = None,
    detail: Any = None,
    policy: Any = None,
) -> None:
    """Append one event to its thread's chain; rows are never updated or deleted.
    ``policy`` is the policy the event was judged by, where one was."""
    await conn.execute(
        INSERT_EVENT,
        (
            thread_id,
            request_id,
            approval_id,
            event,
            actor,
            _json(args_before),
            _json(args_after),
            reason,
            _json(detail),
            _json(policy),
        ),
    )


async def trail(conn: AsyncConnection[Any], thread_id: str) -> list[Row]:
    """Every event of one run, oldest first."""
    cur = await conn.execute(SELECT_TRAIL, (thread_id,))
    return await cur.fetchall()


SELECT_OVERRIDES = """
SELECT o FROM audit_log, jsonb_array_elements(detail->'policy_overrides') o
WHERE thread_id = %s AND event = 'requested' ORDER BY id
"""


async def policy_overrides(conn: AsyncConnection[Any], thread_id: str) -> list[Any]:
    """What the policy file's floor changed of what the run's requests asked for."""
    cur = await conn.execute(SELECT_OVERRIDES, (thread_id,))
    return [row["o"] for row in await cur.fetchall()]
