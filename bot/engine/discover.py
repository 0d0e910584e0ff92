"""Find interrupts on a LangGraph Server, whoever started the run, and post each once.

Every instance runs the poll loop, but a shared schedule row gives each tick to one of
them; posting stays exactly-once anyway (a request row per interrupt, a post lease).
A webhook only names a thread to look at: everything is read back from the server.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from typing import Any

from bot.engine.deps import Deps, pause
from bot.engine.post import sync_run
from graphs.runner import RunnerUnavailable
from graphs.server_thread import ServerThread
from persistence import audit, remote, requests, runs

log = logging.getLogger(__name__)
POLL_NAME = "langgraph"
INSTANCE = f"{socket.gethostname()}:{os.getpid()}"


async def adopt(deps: Deps, thread: ServerThread) -> str | None:
    """Record the thread as a run when it is new, then post its interrupts (or finish it).

    A new thread's graph and assistant are read from the run the server recorded, never
    from its metadata (see :class:`ServerThread`). Returns the run's status, or None when
    there is no channel to post to or no run to take the graph from.
    """
    channel = thread.channel or deps.settings.approvals_channel
    if channel is None:
        log.warning("thread %s has no approvals_channel and APPROVALS_CHANNEL is unset",
                    thread.thread_id)
        return None
    async with deps.pool.connection() as conn:
        run = await runs.get_run(conn, thread.thread_id)
    new = False
    if run is None:
        run, new = await _adopt_new(deps, thread, channel)
        if run is None:
            return None
    async with deps.pool.connection() as conn:
        known = {r["interrupt_id"] for r in await requests.open_requests(conn, thread.thread_id)}
    if run is None or run["runner"] != "remote":
        return None  # a server thread may not take over a local run by reusing its id
    if not new and thread.waiting and set(thread.waiting) <= known:
        return str(run["status"])  # every interrupt it waits at is stored: nothing to read
    # Synced even when done: a finished server thread can be given a new run later.
    return await sync_run(deps, thread.thread_id)


async def _adopt_new(
    deps: Deps, claimed: ServerThread, channel: str
) -> tuple[dict[str, Any] | None, bool]:
    """Record a thread the bot has not seen, by the graph its run used; (run, new)."""
    thread = await deps.runners.verified(claimed)
    if thread is None:
        log.warning("thread %s shows no run on the server; not adopted", claimed.thread_id)
        return None, False
    detail: dict[str, Any] = {"graph": thread.graph, "runner": "remote"}
    if claimed.graph != thread.graph:
        log.warning("thread %s: metadata claims graph %r, its run used %r; %r applies",
                    thread.thread_id, claimed.graph, thread.graph, thread.graph)
        detail["claimed_graph"] = claimed.graph
    if thread.claimed_by:
        detail["claimed_by"] = thread.claimed_by
    async with deps.pool.connection() as conn:
        new = await remote.adopt_run(
            conn, thread.thread_id, graph=thread.graph, input={}, channel=channel,
            requested_by=thread.requested_by, assistant_id=thread.assistant_id,
            claimed_by=thread.claimed_by,
        )
        if new:
            await audit.record(conn, "started", thread_id=thread.thread_id,
                               actor=thread.requested_by, detail=detail)
        return await runs.get_run(conn, thread.thread_id), new


async def poll_once(deps: Deps) -> int:
    """If it is this instance's turn, adopt every interrupted server thread; how many."""
    async with deps.pool.connection() as conn:
        mine = await remote.claim_poll(
            conn, POLL_NAME, every_s=deps.settings.langgraph_poll_s * 0.8, instance=INSTANCE
        )
    if not mine:
        return 0
    threads = await deps.runners.interrupted_threads()
    for thread in threads:
        try:
            await adopt(deps, thread)
        except RunnerUnavailable:
            raise
        except Exception:  # one bad thread must not stop the others
            log.exception("adopting server thread %s failed", thread.thread_id)
    return len(threads)


async def refresh(deps: Deps, thread_id: str) -> str | None:
    """A webhook's prompt: read the thread from the server and adopt it."""
    thread = await deps.runners.server_thread(thread_id)
    if thread is None:
        return None
    return await adopt(deps, thread)


async def run_poller(deps: Deps) -> None:
    """Poll every ``LANGGRAPH_POLL_S`` until shutdown; a failed tick is retried next time."""
    while not deps.inflight.closing:
        try:
            await poll_once(deps)
        except asyncio.CancelledError:
            raise
        except RunnerUnavailable as exc:
            log.warning("LangGraph Server poll failed (retrying): %s", exc)
        except Exception:
            log.exception("LangGraph Server poll failed; retrying")
        await pause(deps.settings.langgraph_poll_s)
