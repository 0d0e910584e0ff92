"""The append-only audit log: every event with actor, time, arguments and reason."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

Row = dict[str, Any]

INSERT_EVENT = """
INSERT INTO audit_log
    (thread_id, request_id, approval_id, event, actor, args_before, args_after, reason, detail)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
"""
# An event about a request, logged only while the request is still ``decided``: it can go
# out in one pipeline with the reads that tell whether the request is still to be resumed.
INSERT_IF_DECIDED = """
INSERT INTO audit_log (thread_id, request_id, event, detail)
SELECT thread_id, id, %s, %s FROM requests WHERE id = %s AND status = 'decided'
"""
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
) -> None:
    """Append one event; rows are never updated or deleted."""
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
