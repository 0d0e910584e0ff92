"""LangGraph's Postgres checkpointer on the shared pool, with fenced writes.

While a task holds a thread's lease (:data:`persistence.leases.CURRENT_FENCE`), every
checkpoint write for that thread runs in one transaction that first checks the lease's
epoch, so a writer whose lease was taken over cannot extend the chain. Writes are
idempotent upserts, so a write cut short by an outage is retried (bounded) rather than
failing the step whose side effect has already happened.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

import psycopg
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    get_checkpoint_id,
)
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from psycopg import AsyncCursor
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

from persistence.leases import CURRENT_FENCE, Fence, hold_fence, lost_fence
from persistence.pipelines import one_sync
from persistence.pool import DB_DOWN, Conn, Pool

log = logging.getLogger(__name__)
T = TypeVar("T")
WRITE_RETRY_S = 20.0  # how long a fenced write rides out an outage (well under a lease)

# Set only while a checkpoint is read under a lease: where the fetched row is kept.
_FETCHED: ContextVar[list[DictRow] | None] = ContextVar("approvals_fetched", default=None)
# Set only for the duration of one fenced write: which fence ``_cursor`` must check.
_WRITING: ContextVar[Fence | None] = ContextVar("approvals_fenced_write", default=None)


class FencedPostgresSaver(AsyncPostgresSaver):
    """An :class:`AsyncPostgresSaver` whose writes check the thread's fencing epoch.

    Under a held lease, the thread's latest checkpoint is read from Postgres once: a
    resume reads it to check the interrupt is still pending, then LangGraph reads it again
    to run on, and the second read is built afresh from the row the first one fetched.
    Nobody else can write the thread while the lease holds, and each write under the
    lease drops the row.
    """

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """The checkpoint; the latest one read under this task's lease is fetched once."""
        fence = _fence_of(config)
        if fence is None or get_checkpoint_id(config):
            return await super().aget_tuple(config)
        namespace = config["configurable"].get("checkpoint_ns", "")
        if fence.latest is not None and fence.latest[0] == namespace:
            _, row = fence.latest
            fence.latest = None  # once: the next read may follow a write of LangGraph's
            return await super()._load_checkpoint_tuple(row)
        rows: list[DictRow] = []
        token = _FETCHED.set(rows)
        try:
            read = await super().aget_tuple(config)
        finally:
            _FETCHED.reset(token)
        fence.latest = (namespace, rows[0]) if read is not None and rows else None
        return read

    async def _load_checkpoint_tuple(self, value: DictRow) -> CheckpointTuple:
        rows = _FETCHED.get()
        if rows is not None:
            # A copy, taken before the tuple shares the row's JSON with LangGraph, which
            # changes what it is given; the blobs are bytes, and bytes are not copied.
            rows.append(copy.deepcopy(value))
        return await super()._load_checkpoint_tuple(value)

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Save a checkpoint, fenced when the current task holds this thread's lease."""
        return await self._fenced(
            config,
            lambda: AsyncPostgresSaver.aput(self, config, checkpoint, metadata, new_versions),
        )

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Store a task's pending writes, fenced like :meth:`aput`."""
        await self._fenced(
            config,
            lambda: AsyncPostgresSaver.aput_writes(self, config, writes, task_id, task_path),
        )

    async def _fenced(self, config: RunnableConfig, write: Callable[[], Awaitable[T]]) -> T:
        fence = _fence_of(config)
        if fence is None:
            return await write()
        fence.latest = None  # the thread moves on: the next read asks Postgres
        token = _WRITING.set(fence)
        try:
            return await _retrying(write)
        finally:
            _WRITING.reset(token)

    @asynccontextmanager
    async def _cursor(self, *, pipeline: bool = False) -> AsyncIterator[AsyncCursor[DictRow]]:
        # On a pool every operation has a connection of its own, so the saver's one lock
        # (langgraph issue 7259) would only queue every resume of the process behind
        # every other: it is taken only on a single shared connection.
        fence = _WRITING.get()
        if not isinstance(self.conn, AsyncConnectionPool):
            async with super()._cursor(pipeline=pipeline) as cur:
                yield cur
            return
        pool: Pool = self.conn
        async with pool.connection() as conn:
            if fence is not None and pipeline:
                async with _fenced_cursor(conn, fence) as cur:
                    yield cur
            elif pipeline:
                async with conn.pipeline(), _dict_cursor(conn) as cur:
                    yield cur
            else:
                async with _dict_cursor(conn) as cur:
                    yield cur


def _fence_of(config: RunnableConfig) -> Fence | None:
    """The lease this task holds on the config's thread, if any."""
    fence = CURRENT_FENCE.get()
    thread_id = (config.get("configurable") or {}).get("thread_id")
    return fence if fence is not None and fence.thread_id == thread_id else None


@asynccontextmanager
async def _fenced_cursor(conn: Conn, fence: Fence) -> AsyncIterator[AsyncCursor[DictRow]]:
    """One transaction whose first statement checks the fence (see :func:`one_sync`)."""
    try:
        async with one_sync(conn), _dict_cursor(conn) as cur:
            await hold_fence(cur, fence)
            yield cur
    except psycopg.Error as exc:
        lost = lost_fence(exc, fence)
        if lost is None:
            raise
        raise lost from exc


def _dict_cursor(conn: Conn) -> AsyncCursor[DictRow]:
    return conn.cursor(binary=True, row_factory=dict_row)


async def _retrying(write: Callable[[], Awaitable[T]]) -> T:
    """Run an idempotent write, retrying through a database outage for a bounded time."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WRITE_RETRY_S
    delay = 0.2
    while True:
        try:
            return await write()
        except DB_DOWN as exc:
            if loop.time() + delay > deadline:
                raise
            log.warning("fenced checkpoint write failed, retrying in %.1fs: %s", delay, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)


async def open_checkpointer(pool: Pool, *, setup: bool = True) -> FencedPostgresSaver:
    """Return a fenced saver using ``pool``; ``setup`` runs LangGraph's own migrations."""
    saver = FencedPostgresSaver(pool)
    if setup:
        await saver.setup()
    return saver
