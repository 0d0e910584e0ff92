"""Where external runs keep their state: the ``api_requests`` table."""

from __future__ import annotations

from typing import Any

from bot.settings import Settings
from graphs.external import ExternalState
from persistence import api_requests
from persistence.pool import Pool


class ApiStore:
    """:class:`graphs.external.ExternalStore` over Postgres."""

    def __init__(self, pool: Pool, settings: Settings) -> None:
        """Read and write through ``pool``; callbacks get ``settings``' deadline."""
        self.pool = pool
        self.deadline_s = settings.approvals_callback_deadline_s

    async def load(self, thread_id: str) -> ExternalState | None:
        """The request's payload, response schema and decision, or None."""
        async with self.pool.connection() as conn:
            row = await api_requests.external_state(conn, thread_id)
        if row is None:
            return None
        return ExternalState(row["payload"], row["response_schema"], row["decision"])

    async def record(self, thread_id: str, decision: dict[str, Any]) -> None:
        """Record the decision once; it wakes every long poll and schedules the callback."""
        async with self.pool.connection() as conn:
            await api_requests.record_decision(
                conn, thread_id, decision=decision, deadline_s=self.deadline_s
            )
