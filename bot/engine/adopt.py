"""Adopt server threads as runs: one thread, or a page of them at once, with a bound.

A page costs one statement for the threads the bot already knows (their stored open
interrupts); only the new or changed ones are read from the server and posted, at most
``LANGGRAPH_CONCURRENCY`` at a time. Slack's rate limits are honoured by the client's
retry handlers (``Retry-After``), which hold their slot meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.engine.deps import Deps
from bot.engine.post import sync_run
from bot.metrics import METRICS
from graphs.runner import RunnerUnavailable
from graphs.server_thread import ServerThread
from persistence import audit, remote, requests, runs

log = logging.getLogger(__name__)


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


def settled(thread: ServerThread, known: tuple[str, frozenset[str]] | None) -> bool:
    """True when ``adopt`` would do nothing: a local run, or every interrupt stored."""
    if known is None:
        return False
    runner, open_ids = known
    return runner != "remote" or (bool(thread.waiting) and set(thread.waiting) <= open_ids)


async def adopt_page(deps: Deps, threads: list[ServerThread], *, scan: str) -> int:
    """Adopt the threads of one page that are new or changed, concurrently; how many.

    A server that stops answering ends the page (raised once the others have stopped);
    any other failure is logged per thread and the rest go on.
    """
    async with deps.pool.connection() as conn:
        known = await remote.known_threads(conn, [t.thread_id for t in threads])
    todo = [t for t in threads if not settled(t, known.get(t.thread_id))]
    if not todo:
        return 0
    slots = asyncio.Semaphore(deps.settings.langgraph_concurrency)
    down: list[RunnerUnavailable] = []

    async def one(thread: ServerThread) -> None:
        async with slots:
            if down:
                return
            try:
                await adopt(deps, thread)
            except RunnerUnavailable as exc:
                down.append(exc)
            except Exception:  # one bad thread must not stop the others
                log.exception("adopting server thread %s failed", thread.thread_id)

    await asyncio.gather(*(one(t) for t in todo))
    METRICS.inc("approvals_discovery_adopted_total", len(todo), scan=scan)
    if down:
        raise down[0]
    return len(todo)
