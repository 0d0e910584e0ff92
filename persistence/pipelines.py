"""Statements sent together: one pipeline, and one implicit transaction per ``Sync``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import Any

import psycopg
from psycopg import AsyncPipeline, pq

from persistence.pool import Conn

# Fails on purpose: sent last in a pipeline whose block raised, it makes Postgres roll
# back everything the pipeline sent since its last Sync (see ``one_sync``).
ROLL_BACK = "SELECT 1 / 0 AS rolled_back"


def pipelined(conn: Conn) -> AbstractAsyncContextManager[Any]:
    """Send the block's statements as one pipeline: ``conn.pipeline()``, unless ``conn``
    is already in one. A nested pipeline syncs on entering and on leaving, two round
    trips more; inside an outer one the statements simply join it, and their results
    come back when they are fetched.
    """
    if conn.pgconn.pipeline_status != pq.PipelineStatus.OFF:
        return nullcontext()
    return conn.pipeline()


@asynccontextmanager
async def one_sync(conn: Conn) -> AsyncIterator[Conn]:
    """A transaction sent as one pipeline and committed by its one ``Sync``.

    No BEGIN or COMMIT goes out: Postgres runs what a pipeline sends before a ``Sync`` as
    one implicit transaction, so a statement that fails skips the rest and rolls all of
    it back, and row locks are held until the ``Sync``. Results can be fetched inside the
    block (a flush, not a ``Sync``), so Python may decide between statements. A block
    that raises commits nothing: an error sends :data:`ROLL_BACK` before the ``Sync``,
    and a cancellation closes the connection, whose open transaction the server then
    rolls back. Inside the block, open no other pipeline or transaction: each syncs.
    """
    async with conn.pipeline() as pipeline:
        try:
            yield conn
        except Exception:
            await _roll_back(conn, pipeline)
            raise
        except BaseException:
            await conn.close()  # the server rolls back what it was not told to sync
            raise


async def _roll_back(conn: Conn, pipeline: AsyncPipeline) -> None:
    """End a failed block's implicit transaction with a rollback, keeping the connection."""
    try:
        await conn.execute(ROLL_BACK)
    except psycopg.Error:
        pass  # the pipeline had already failed: nothing after the failure ran
    try:
        await pipeline.sync()
    except psycopg.Error:
        pass  # the deliberate failure (or the earlier one): everything was rolled back
