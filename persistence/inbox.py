"""The open requests a person's pending list and App Home are drawn from."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from psycopg import AsyncConnection

Row = dict[str, Any]

# One chunk of open, posted requests after a (created_at, id) cursor, oldest first, that
# ``user`` might decide: the SQL drops only rows the user surely may not approve (their
# own vote is in, their own request, approve not allowed, approvers named without them
# or any group); the engine checks each remaining row exactly. ``actions`` carries every
# action's JSON and arguments as they stand, so a headline can follow an edit; ``voters``
# are the approvers of the current round.
SELECT_OPEN_AFTER = """
SELECT r.id, r.created_at, r.channel, r.message_ts, r.policy, r.request->>'title' AS title,
       run.requested_by, r.expires_at,
       (SELECT coalesce(array_agg(v.user_id), '{}') FROM approvals a
        JOIN votes v ON v.approval_id = a.id AND v.round = a.round
        WHERE a.request_id = r.id AND a.status = 'pending') AS voters,
       (SELECT jsonb_agg(jsonb_build_object('action', x.action, 'args', x.args,
                                            'status', x.status) ORDER BY x.idx)
        FROM approvals x WHERE x.request_id = r.id) AS actions
FROM requests r JOIN runs run USING (thread_id)
WHERE r.status = 'pending' AND r.message_ts IS NOT NULL
  AND (r.created_at, r.id) > (%(after_at)s, %(after_id)s)
  AND EXISTS (SELECT 1 FROM approvals a WHERE a.request_id = r.id AND a.status = 'pending')
  AND NOT EXISTS (SELECT 1 FROM approvals a
                  JOIN votes v ON v.approval_id = a.id AND v.round = a.round
                  WHERE a.request_id = r.id AND a.status = 'pending'
                    AND v.user_id = %(user)s)
  AND coalesce(r.policy->'allowed_decisions', '["approve"]') ? 'approve'
  AND (run.requested_by IS DISTINCT FROM %(user)s
       OR coalesce((r.policy->>'allow_self_approval')::boolean, false))
  AND (coalesce(jsonb_array_length(r.policy->'approvers'), 0) = 0
       OR r.policy->'approvers' ? %(user)s
       OR EXISTS (SELECT 1 FROM jsonb_array_elements_text(r.policy->'approvers') g
                  WHERE g LIKE 'S%%'))
ORDER BY r.created_at, r.id LIMIT %(limit)s
"""
COUNT_OPEN = """
SELECT count(*) AS n FROM requests WHERE status = 'pending' AND message_ts IS NOT NULL
"""
SELECT_PENDING = """
SELECT r.id, r.thread_id, run.graph, r.request->>'title' AS title, r.channel,
       r.message_ts, r.created_at, r.expires_at
FROM requests r JOIN runs run USING (thread_id)
WHERE r.status = 'pending' ORDER BY r.created_at, r.id
"""


async def pending_requests(conn: AsyncConnection[Any]) -> list[Row]:
    """Every request waiting for a decision, oldest first (the CLI's ``pending``)."""
    cur = await conn.execute(SELECT_PENDING)
    return list(await cur.fetchall())


async def open_after(
    conn: AsyncConnection[Any], user: str, *, after: tuple[datetime, int] | None, limit: int
) -> list[Row]:
    """The next ``limit`` open, posted requests past ``after`` that ``user`` might decide
    (``created_at``, ``id`` order), with their actions and current voters."""
    after_at, after_id = after or (datetime.min.replace(tzinfo=UTC), 0)
    params = {"user": user, "after_at": after_at, "after_id": after_id, "limit": limit}
    cur = await conn.execute(SELECT_OPEN_AFTER, params)
    return list(await cur.fetchall())


async def count_open(conn: AsyncConnection[Any]) -> int:
    """How many open, posted requests wait, for anyone."""
    cur = await conn.execute(COUNT_OPEN)
    row = await cur.fetchone()
    return int(row["n"]) if row else 0
