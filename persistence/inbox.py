"""The open requests a person's pending list and App Home are drawn from."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

Row = dict[str, Any]

# ``actions`` carries every action's stored JSON and its arguments as they stand, so a
# headline can follow an edit; ``voters`` are the approvers of the current round.
SELECT_OPEN = """
SELECT r.id, r.channel, r.message_ts, r.policy, r.request->>'title' AS title,
       run.requested_by, r.expires_at,
       coalesce(array_agg(v.user_id) FILTER (WHERE v.user_id IS NOT NULL), '{}') AS voters,
       (SELECT jsonb_agg(jsonb_build_object('action', x.action, 'args', x.args,
                                            'status', x.status) ORDER BY x.idx)
        FROM approvals x WHERE x.request_id = r.id) AS actions
FROM requests r JOIN runs run USING (thread_id)
JOIN approvals a ON a.request_id = r.id AND a.status = 'pending'
LEFT JOIN votes v ON v.approval_id = a.id AND v.round = a.round
WHERE r.status = 'pending' AND r.message_ts IS NOT NULL
GROUP BY r.id, run.requested_by ORDER BY r.created_at LIMIT 200
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


async def open_requests(conn: AsyncConnection[Any]) -> list[Row]:
    """Open, posted requests (at most 200, oldest first) with their actions and voters."""
    cur = await conn.execute(SELECT_OPEN)
    return list(await cur.fetchall())
