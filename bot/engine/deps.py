"""Everything the engine needs, opened once per process and passed down."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from slack_sdk.web.async_client import AsyncWebClient

from bot.policy import PolicyBook
from bot.settings import Settings
from bot.slack.usergroups import ApproverDirectory
from bot.slack.workspace import Workspace
from graphs.registry import GraphRegistry
from persistence.pool import Pool


def utcnow() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


def new_thread_id() -> str:
    """A fresh LangGraph thread id."""
    return str(uuid.uuid4())


class Inflight:
    """Tracks background work so shutdown can wait for in-flight resumes."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self.closing = False

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``coro`` in the background, keeping a reference until it ends."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def drain(self, timeout_s: float) -> None:
        """Wait (bounded) for everything spawned to finish."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout_s)


@dataclass
class Deps:
    """The process's resources; nothing here holds state that matters across instances."""

    settings: Settings
    pool: Pool
    checkpointer: AsyncPostgresSaver
    graphs: GraphRegistry
    slack: AsyncWebClient
    policies: PolicyBook
    approvers: ApproverDirectory
    clock: Callable[[], datetime] = utcnow
    new_id: Callable[[], str] = new_thread_id
    inflight: Inflight = field(default_factory=Inflight)
    # Who counts as one of us when deciding (``auth.test`` at start).
    workspace: Workspace = field(default_factory=Workspace)
    # A resume holds one connection for its thread lock while the checkpointer needs
    # others: capping concurrent resumes at half the pool keeps it from starving.
    resume_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(8))


@asynccontextmanager
async def thread_lock(pool: Pool, thread_id: str) -> AsyncIterator[None]:
    """Hold the per-thread advisory lock: one writer per checkpoint chain, across instances."""
    async with pool.connection() as conn:
        await conn.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", (thread_id,))
        try:
            yield
        finally:
            await conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (thread_id,))
