"""Runs: one row per LangGraph thread started through the bot."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from persistence.audit import CHAIN_HEAD, CHAIN_INSERT

Row = dict[str, Any]

INSERT_RUN = """
INSERT INTO runs (thread_id, graph, input, channel, requested_by, runner, assistant_id)
VALUES (%s, %s, %s, %s, %s, %s, %s)
"""
SELECT_RUN = "SELECT * FROM runs WHERE thread_id = %s"
DELETE_UNSTARTED_RUN = """
DELETE FROM runs r WHERE thread_id = %s
  AND NOT EXISTS (SELECT 1 FROM requests q WHERE q.thread_id = r.thread_id)
"""
UPDATE_RUN_STATUS = """
UPDATE runs SET status = %s, outcome = coalesce(%s, outcome), updated_at = now()
WHERE thread_id = %s
"""
# Marks the run done once and records it in the audit trail, in one statement; approvals
# granted for the rest of the run end with it.
FINISH_RUN = """
WITH done AS (
    UPDATE runs SET status = 'done', outcome = %(outcome)s, updated_at = now()
    WHERE thread_id = %(thread)s AND status <> 'done' RETURNING slack_thread_ts, channel
), ended AS (
    UPDATE standing_approvals SET expires_at = now()
    WHERE run_thread_id = %(thread)s AND revoked_at IS NULL AND expires_at > now()
      AND EXISTS (SELECT 1 FROM done)
), ev AS (
    SELECT %(thread)s::text AS thread_id, NULL::bigint AS request_id,
           NULL::bigint AS approval_id, 'finished'::text AS event, NULL::text AS actor,
           now() AS at, NULL::jsonb AS args_before, NULL::jsonb AS args_after,
           NULL::text AS reason, %(outcome)s::jsonb AS detail, NULL::jsonb AS policy
    FROM done
)""" + CHAIN_HEAD + ", logged AS (" + CHAIN_INSERT + """)
SELECT slack_thread_ts, channel FROM done
"""
SET_THREAD_TS = """
UPDATE runs SET slack_thread_ts = %s, channel = %s
WHERE thread_id = %s AND slack_thread_ts IS NULL
"""


async def insert_run(
    conn: AsyncConnection[Any],
    thread_id: str,
    *,
    graph: str,
    input: Any,
    channel: str,
    requested_by: str | None,
    runner: str = "local",
    assistant_id: str | None = None,
) -> None:
    """Record a run before it starts, so another process can resume it."""
    await conn.execute(
        INSERT_RUN,
        (thread_id, graph, Jsonb(input), channel, requested_by, runner, assistant_id),
    )


async def get_run(conn: AsyncConnection[Any], thread_id: str) -> Row | None:
    """The run row, or None."""
    cur = await conn.execute(SELECT_RUN, (thread_id,))
    return await cur.fetchone()


async def set_run_status(
    conn: AsyncConnection[Any], thread_id: str, status: str, *, outcome: Any = None
) -> None:
    """Set ``running`` / ``waiting`` / ``done`` / ``failed`` (and the outcome when given)."""
    value = Jsonb(outcome) if outcome is not None else None
    await conn.execute(UPDATE_RUN_STATUS, (status, value, thread_id))


async def set_thread_ts(
    conn: AsyncConnection[Any], thread_id: str, *, channel: str, ts: str
) -> None:
    """Remember the run's first Slack message: later requests of the run reply in its thread."""
    await conn.execute(SET_THREAD_TS, (ts, channel, thread_id))


async def delete_unstarted_run(conn: AsyncConnection[Any], thread_id: str) -> bool:
    """Forget a run whose graph failed before asking anything (it has no requests)."""
    cur = await conn.execute(DELETE_UNSTARTED_RUN, (thread_id,))
    return cur.rowcount == 1


async def finish_run(conn: AsyncConnection[Any], thread_id: str, *, outcome: Any) -> Row | None:
    """Mark the run done once, with its ``finished`` audit event; its Slack thread
    (``slack_thread_ts``, ``channel``), or None when it was already done."""
    cur = await conn.execute(FINISH_RUN, {"outcome": Jsonb(outcome), "thread": thread_id})
    row: Row | None = await cur.fetchone()
    return row
