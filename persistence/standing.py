"""Standing approvals: rows granted with an approval, used by later decisions, revoked.

A use reads its grant ``FOR SHARE`` inside the decision's transaction, and a revocation
updates the row: whichever commits first, the other sees it (a revocation waits for a
decision already holding the grant; a decision after the revocation sees it revoked).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from persistence.pool import Conn

Row = dict[str, Any]

INSERT_GRANT = """
INSERT INTO standing_approvals (graph, action, args, scope_when, granter, team, enterprise,
                                granted_at, expires_at, request_id, run_thread_id)
SELECT r.graph, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s FROM runs r WHERE r.thread_id = %s
"""
# Live grants for a graph's action that may apply to a run (those of any run, and those
# for the rest of that very run), newest first (the caller checks each one's scope).
SELECT_LIVE = """
SELECT * FROM standing_approvals
WHERE graph = %s AND action = %s AND revoked_at IS NULL AND expires_at > %s
  AND (run_thread_id IS NULL OR run_thread_id = %s)
ORDER BY id DESC LIMIT 20
"""
LOCK_GRANT = "SELECT * FROM standing_approvals WHERE id = %s FOR SHARE"
SELECT_GRANT = """
SELECT s.*, q.thread_id FROM standing_approvals s JOIN requests q ON q.id = s.request_id
WHERE s.id = %s
"""
REVOKE = """
UPDATE standing_approvals SET revoked_at = clock_timestamp(), revoked_by = %s
WHERE id = %s AND revoked_at IS NULL RETURNING *
"""
# What someone may see in App Home or /approvals standing: every live grant of the
# actions they grant or approve (the caller filters on who may revoke).
SELECT_ALL_LIVE = """
SELECT * FROM standing_approvals WHERE revoked_at IS NULL AND expires_at > %s
ORDER BY expires_at, id LIMIT 100
"""


async def insert_grant(
    conn: Conn,
    *,
    thread_id: str,
    action: str,
    args: dict[str, Any] | None,
    scope_when: str | None,
    granter: str,
    team: str | None,
    enterprise: str | None,
    granted_at: datetime,
    expires_at: datetime,
    request_id: int,
    this_run: bool = False,
) -> None:
    """Record a standing approval for the graph of ``thread_id``'s run, for that run only
    when ``this_run`` (no result is read: it may be pipelined)."""
    await conn.execute(
        INSERT_GRANT,
        (action, None if args is None else Jsonb(args), scope_when, granter, team,
         enterprise, granted_at, expires_at, request_id, thread_id if this_run else None,
         thread_id),
    )


async def live_grants(
    conn: Conn, *, graph: str, action: str, thread_id: str, now: datetime
) -> list[Row]:
    """Unrevoked, unexpired grants of ``graph``'s ``action`` that may apply to the run of
    ``thread_id``, newest first."""
    cur = await conn.execute(SELECT_LIVE, (graph, action, now, thread_id))
    return list(await cur.fetchall())


async def lock_grant(conn: Conn, grant_id: int) -> Row | None:
    """The grant, held against a revocation until the caller's transaction ends."""
    cur = await conn.execute(LOCK_GRANT, (grant_id,))
    row: Row | None = await cur.fetchone()
    return row


async def get_grant(conn: Conn, grant_id: int) -> Row | None:
    """One grant, as it is now."""
    cur = await conn.execute(SELECT_GRANT, (grant_id,))
    row: Row | None = await cur.fetchone()
    return row


async def revoke(conn: Conn, grant_id: int, *, by: str) -> Row | None:
    """Revoke the grant; None when it was already revoked (or never existed)."""
    cur = await conn.execute(REVOKE, (by, grant_id))
    row: Row | None = await cur.fetchone()
    return row


async def all_live(conn: Conn, *, now: datetime) -> list[Row]:
    """Up to 100 live grants, soonest to expire first."""
    cur = await conn.execute(SELECT_ALL_LIVE, (now,))
    return list(await cur.fetchall())
