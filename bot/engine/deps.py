"""Everything the engine needs, opened once per process and passed down."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from slack_sdk.web.async_client import AsyncWebClient

from bot.engine.urgent import Urgent
from bot.policy import PolicyBook
from bot.settings import Settings
from bot.slack.usergroups import ApproverDirectory
from bot.slack.workspace import Workspace
from graphs.registry import GraphRegistry
from graphs.runners import Runners
from persistence.pool import Pool


def utcnow() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


def new_owner() -> str:
    """This process's name as a lease owner: host, pid and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def new_thread_id() -> str:
    """A fresh LangGraph thread id."""
    return str(uuid.uuid4())


async def pause(seconds: float) -> None:
    """A background loop's sleep between passes, which first ends the loop if it was
    asked to stop during the pass: Python 3.11's ``wait_for`` (the pool waits with it)
    drops a cancel that arrives just as its wait ends, and the pass then ran on."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
    await asyncio.sleep(seconds)


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
    runners: Runners
    clock: Callable[[], datetime] = utcnow
    new_id: Callable[[], str] = new_thread_id
    inflight: Inflight = field(default_factory=Inflight)
    # Slack requests being answered, which renders and resumes let go first.
    urgent: Urgent = field(default_factory=Urgent)
    # Who counts as one of us when deciding (``auth.test`` at start).
    workspace: Workspace = field(default_factory=Workspace)
    # Each resume's checkpoint writes and heartbeats need connections: capping concurrent
    # resumes at half the pool keeps clicks and the sweeper from starving.
    resume_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(8))
    owner: str = field(default_factory=new_owner)
    # A thread's lease lapses this long after its holder's last heartbeat: longer than a
    # Postgres restart, so a live owner keeps it; a dead one frees it within this time.
    lease_ttl_s: float = 30.0
