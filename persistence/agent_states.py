"""The stored ``RunState`` of OpenAI Agents SDK runs: one row per stop, versioned per run.

A run's latest version is where it stands. A version is written only under the run's
lease: the write's first statement checks the fence, so an owner that was replaced can
never add a version (the same rule as the fenced checkpointer).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from persistence import audit
from persistence.leases import CURRENT_FENCE, hold_fence, lost_fence
from persistence.pipelines import one_sync
from persistence.pool import DB_DOWN, Pool

log = logging.getLogger(__name__)
Row = dict[str, Any]
WRITE_RETRY_S = 20.0  # as for a fenced checkpoint write: well under a lease

SELECT_LATEST_STATE = """
SELECT thread_id, version, state, pending, final_output, expect FROM agent_states
WHERE thread_id = %s ORDER BY version DESC LIMIT 1
"""
SELECT_STATE_VERSION = """
SELECT thread_id, version, state, pending, final_output, expect FROM agent_states
WHERE thread_id = %s AND version = %s
"""
# A version is written once: a retry of a write that did commit (its answer was lost
# to an outage) finds it there and changes nothing.
INSERT_STATE = """
INSERT INTO agent_states (thread_id, version, state, pending, final_output, expect)
VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (thread_id, version) DO NOTHING
RETURNING version
"""


class AgentStates:
    """Reads and fenced writes of ``agent_states`` on one pool."""

    def __init__(self, pool: Pool) -> None:
        """Use ``pool`` for every read and write."""
        self.pool = pool

    async def latest(self, thread_id: str) -> Row | None:
        """The run's latest stored state, or None before its first stop."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(SELECT_LATEST_STATE, (thread_id,))
            return await cur.fetchone()

    async def version(self, thread_id: str, version: int) -> Row | None:
        """One stored version of the run's state, or None."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(SELECT_STATE_VERSION, (thread_id, version))
            return await cur.fetchone()

    async def save(
        self,
        thread_id: str,
        *,
        version: int,
        state: dict[str, Any],
        pending: Any,
        final_output: Any,
        expect: list[dict[str, Any]],
        notes: list[dict[str, Any]],
    ) -> None:
        """Store ``version`` of the run (fenced by the lease this task holds on it) and
        audit, in the same transaction, each call approved by an earlier edit (``notes``).

        Rides out a database outage for up to :data:`WRITE_RETRY_S`; raises ``FenceLost``
        when the lease was taken over.
        """
        params = (thread_id, version, Jsonb(state), _json(pending), _json(final_output),
                  Jsonb(expect))
        loop = asyncio.get_running_loop()
        deadline, delay = loop.time() + WRITE_RETRY_S, 0.2
        while True:
            try:
                return await self._write(thread_id, params, notes)
            except DB_DOWN as exc:
                if loop.time() + delay > deadline:
                    raise
                log.warning("storing run %s failed, retrying in %.1fs: %s", thread_id, delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def _write(
        self, thread_id: str, params: tuple[Any, ...], notes: list[dict[str, Any]]
    ) -> None:
        fence = CURRENT_FENCE.get()
        fence = fence if fence is not None and fence.thread_id == thread_id else None
        async with self.pool.connection() as conn:
            try:
                async with one_sync(conn):
                    if fence is not None:
                        await hold_fence(conn.cursor(), fence)
                    cur = await conn.execute(INSERT_STATE, params)
                    if await cur.fetchone() is not None:  # not written before
                        for note in notes:
                            await _audit_note(conn, thread_id, note)
            except psycopg.Error as exc:
                lost = lost_fence(exc, fence) if fence is not None else None
                if lost is None:
                    raise
                raise lost from exc


async def _audit_note(conn: Any, thread_id: str, note: dict[str, Any]) -> None:
    """A call the model issued again with exactly the edited arguments: approved by the edit."""
    by = [str(u) for u in note.get("by") or []]
    await audit.record(
        conn,
        "approved",
        thread_id=thread_id,
        actor=by[0] if by else None,
        args_after=note.get("args"),
        reason="approved by " + ", ".join(f"<@{u}>" for u in by) + "'s edit",
        detail={"by_edit": True, "tool": note.get("tool"), "call_id": note.get("call_id"),
                "decided_by": by},
    )


def _json(value: Any) -> Jsonb | None:
    return None if value is None else Jsonb(value)
