"""Reading the audit log's hash chains: the export, the heads, and what ``verify`` needs.

Each row's ``hash`` is ``approvals_audit_hash(prev_hash, approvals_audit_content(row))``
(both SQL functions, see migrations), ``prev_hash`` is the hash of the row before it in
its chain (one chain per thread), and ``audit_heads`` holds each chain's last seq and hash.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from typing import Any

from persistence.pool import Conn

Row = dict[str, Any]

# Every row in chain order, with its hash computed again from what it holds now. A row
# written outside the log (no chain or seq) comes first in its thread's chain.
SELECT_CHAIN_ROWS = """
SELECT id, coalesce(chain, thread_id, '') AS chain, seq, prev_hash, hash,
       approvals_audit_hash(prev_hash, approvals_audit_content(thread_id, request_id,
           approval_id, event, actor, at, args_before, args_after, reason, detail,
           policy)) AS recomputed
FROM audit_log
ORDER BY coalesce(chain, thread_id, ''), seq NULLS FIRST, id
"""
SELECT_HEADS = "SELECT chain, seq, hash FROM audit_heads ORDER BY chain"
SELECT_HEADS_OF = "SELECT chain, seq, hash FROM audit_heads WHERE chain = ANY(%s) ORDER BY chain"
# One page of the export: events in the window, in the order they were logged.
SELECT_EXPORT = """
SELECT a.id, a.at, a.thread_id, r.graph, a.request_id, a.approval_id,
       ap.action->>'name' AS action, a.event, a.actor, a.args_before, a.args_after,
       a.reason, a.detail, coalesce(a.policy, q.policy) AS policy, a.chain, a.seq,
       a.prev_hash, a.hash
FROM audit_log a
LEFT JOIN runs r ON r.thread_id = a.thread_id
LEFT JOIN approvals ap ON ap.id = a.approval_id
LEFT JOIN requests q ON q.id = a.request_id
WHERE a.at >= %(since)s AND a.at < %(until)s AND a.id > %(after)s
  AND (%(graph)s::text IS NULL OR r.graph = %(graph)s)
ORDER BY a.id
LIMIT %(limit)s
"""
DELETE_VERIFIED = "DELETE FROM audit_verified"
INSERT_VERIFIED = """
INSERT INTO audit_verified (chain, seq, ok, problem) VALUES (%s, %s, %s, %s)
"""
COUNT_VERIFIED = """
SELECT count(*) FILTER (WHERE ok) AS verified, count(*) FILTER (WHERE NOT ok) AS broken
FROM audit_verified
"""


async def chain_rows(conn: Conn) -> AsyncIterator[Row]:
    """Every audit row in chain order, streamed (the log may be large)."""
    async for row in conn.cursor().stream(SELECT_CHAIN_ROWS):
        yield row


async def heads(conn: Conn, chains: list[str] | None = None) -> list[Row]:
    """Each chain's last ``seq`` and ``hash`` (of ``chains`` only, when given)."""
    if chains is None:
        cur = await conn.execute(SELECT_HEADS)
    else:
        cur = await conn.execute(SELECT_HEADS_OF, (chains,))
    return list(await cur.fetchall())


async def export_page(
    conn: Conn,
    *,
    since: datetime,
    until: datetime,
    graph: str | None,
    after: int = 0,
    limit: int = 1000,
) -> list[Row]:
    """Up to ``limit`` events logged in ``[since, until)`` with an id above ``after``."""
    params = {"since": since, "until": until, "graph": graph, "after": after, "limit": limit}
    cur = await conn.execute(SELECT_EXPORT, params)
    return list(await cur.fetchall())


Verified = tuple[str, int | None, bool, str | None]


async def save_verified(conn: Conn, results: Iterable[Verified]) -> None:
    """Replace the last verification's result per chain (what ``/metrics`` counts):
    ``(chain, last seq, ok, problem)``."""
    async with conn.transaction():
        await conn.execute(DELETE_VERIFIED)
        async with conn.cursor() as cur:
            await cur.executemany(INSERT_VERIFIED, list(results))


async def count_verified(conn: Conn) -> tuple[int, int]:
    """How many chains the last verification found intact, and how many broken."""
    cur = await conn.execute(COUNT_VERIFIED)
    row = await cur.fetchone()
    return (int(row["verified"]), int(row["broken"])) if row else (0, 0)
