"""LangGraph's Postgres checkpointer on the shared pool."""

from __future__ import annotations

from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

from persistence.pool import Pool


async def open_checkpointer(pool: Pool, *, setup: bool = True) -> AsyncPostgresSaver:
    """Return a saver using ``pool``; ``setup`` runs LangGraph's own migrations."""
    saver = AsyncPostgresSaver(pool)
    if setup:
        await saver.setup()
    return saver
