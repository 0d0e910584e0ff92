"""What a request's message is drawn from: the request with its run, approvals and votes."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from persistence.pipelines import pipelined

Row = dict[str, Any]

SELECT_REQUEST_VIEW = """
SELECT r.*, run.graph, run.requested_by, run.claimed_by, run.slack_thread_ts,
       run.channel AS run_channel
FROM requests r JOIN runs run USING (thread_id) WHERE r.id = %s
"""
SELECT_APPROVALS_OF_REQUEST = "SELECT * FROM approvals WHERE request_id = %s ORDER BY idx"
SELECT_VOTES_OF_REQUEST = """
SELECT v.approval_id, v.user_id, v.at FROM votes v JOIN approvals a ON a.id = v.approval_id
WHERE a.request_id = %s AND v.round = a.round AND v.kind IN ('approve', 'edit')
ORDER BY v.id
"""


async def request_view(
    conn: AsyncConnection[Any], request_id: int
) -> tuple[Row, list[Row], list[Row]] | None:
    """The request row (with its run's columns), its approvals and current-round votes.

    The three reads go out as one pipeline: one round trip, not three.
    """
    async with pipelined(conn):
        request = await conn.execute(SELECT_REQUEST_VIEW, (request_id,))
        approvals = await conn.execute(SELECT_APPROVALS_OF_REQUEST, (request_id,))
        votes = await conn.execute(SELECT_VOTES_OF_REQUEST, (request_id,))
    row: Row | None = await request.fetchone()
    if row is None:
        return None
    return row, list(await approvals.fetchall()), list(await votes.fetchall())
