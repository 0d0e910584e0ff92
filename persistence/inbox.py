"""The open requests a person's pending list and App Home are drawn from."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from psycopg import AsyncConnection

Row = dict[str, Any]

# Open, posted requests after a (created_at, id) cursor, oldest first, that ``user``
# might decide: the SQL drops only rows the user surely may not approve (their own vote
# is in, their own request, approve not allowed, approvers named without them or any
# group); the engine checks each remaining row exactly. ``actions`` carries every
# action's JSON and arguments as they stand, so a headline can follow an edit; ``voters``
# are the approvers of the current round.
_OPEN = """
SELECT r.id, r.created_at, r.channel, r.message_ts, r.policy, r.request->>'title' AS title,
       run.requested_by, r.expires_at,
       (SELECT coalesce(array_agg(v.user_id), '{}') FROM approvals a
        JOIN votes v ON v.approval_id = a.id AND v.round = a.round
        WHERE a.request_id = r.id AND a.status = 'pending') AS voters,
       (SELECT jsonb_agg(jsonb_build_object('action', x.action, 'args', x.args,
                                            'status', x.status, 'id', x.id,
                                            'round', x.round) ORDER BY x.idx)
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
"""
_DECIDERS = "approvals_deciders(r.policy) && ARRAY[%(user)s, '*', '@group']"
_NEXT_OPEN = """
SELECT created_at, id FROM requests
WHERE status = 'pending' AND message_ts IS NOT NULL
  AND (created_at, id) > (%(after_at)s, %(after_id)s)
ORDER BY created_at, id LIMIT %(window)s
"""
WINDOW_END = f"""
SELECT created_at, id FROM ({_NEXT_OPEN}) w ORDER BY created_at DESC, id DESC LIMIT 1
"""
# Where many wait for the user: walk the next ``window`` open requests in age order (the
# ``IS TRUE`` keeps the planner on that index) and stop as soon as ``limit`` are found.
SELECT_OPEN_IN_WINDOW = _OPEN + f"""
  AND (r.created_at, r.id) <= ({WINDOW_END})
  AND ({_DECIDERS}) IS TRUE
ORDER BY r.created_at, r.id LIMIT %(limit)s
"""
# Where few do: find them through the deciders index, however many wait for others.
SELECT_OPEN_AFTER = _OPEN + f"""
  AND {_DECIDERS}
ORDER BY r.created_at, r.id LIMIT %(limit)s
"""
# Counted up to a cap, so the answer costs the same however many wait.
COUNT_OPEN = """
SELECT count(*) AS n FROM (SELECT 1 FROM requests
                           WHERE status = 'pending' AND message_ts IS NOT NULL LIMIT %s) o
"""
SELECT_PENDING = """
SELECT r.id, r.thread_id, run.graph, r.request->>'title' AS title, r.channel,
       r.message_ts, r.created_at, r.expires_at,
       (SELECT jsonb_agg(jsonb_build_object('action', x.action, 'args', x.args,
                                            'status', x.status) ORDER BY x.idx)
        FROM approvals x WHERE x.request_id = r.id) AS actions
FROM requests r JOIN runs run USING (thread_id)
WHERE r.status = 'pending' ORDER BY r.created_at, r.id
"""


async def pending_requests(conn: AsyncConnection[Any]) -> list[Row]:
    """Every request waiting for a decision, oldest first (the CLI's ``pending``)."""
    cur = await conn.execute(SELECT_PENDING)
    return list(await cur.fetchall())


Cursor = tuple[datetime, int]
START: Cursor = (datetime.min.replace(tzinfo=UTC), 0)


async def open_in_window(
    conn: AsyncConnection[Any], user: str, *, after: Cursor, window: int, limit: int
) -> list[Row]:
    """Of the next ``window`` open, posted requests past ``after`` (age order), the first
    ``limit`` that ``user`` might decide, with their actions and current voters."""
    params = {"user": user, "after_at": after[0], "after_id": after[1], "window": window,
              "limit": limit}
    cur = await conn.execute(SELECT_OPEN_IN_WINDOW, params)
    return list(await cur.fetchall())


async def window_end(conn: AsyncConnection[Any], *, after: Cursor, window: int) -> Cursor | None:
    """The cursor ``window`` open requests past ``after`` (None when none are left)."""
    params = {"after_at": after[0], "after_id": after[1], "window": window}
    cur = await conn.execute(WINDOW_END, params)
    row = await cur.fetchone()
    return None if row is None else (row["created_at"], int(row["id"]))


async def open_after(
    conn: AsyncConnection[Any], user: str, *, after: Cursor, limit: int
) -> list[Row]:
    """The next ``limit`` open, posted requests past ``after`` that ``user`` might decide,
    found through the deciders index."""
    params = {"user": user, "after_at": after[0], "after_id": after[1], "limit": limit}
    cur = await conn.execute(SELECT_OPEN_AFTER, params)
    return list(await cur.fetchall())


async def count_open(conn: AsyncConnection[Any], *, cap: int) -> int:
    """How many open, posted requests wait, for anyone, counting at most ``cap``."""
    cur = await conn.execute(COUNT_OPEN, (cap,))
    row = await cur.fetchone()
    return int(row["n"]) if row else 0
