"""Find interrupts on a LangGraph Server, whoever started the run, and post each once.

Every instance runs the poll loop, but a shared schedule row gives each tick (and each
turn of the reconciliation) to one of them; posting stays exactly-once anyway (a request
row per interrupt, a post lease). A webhook only names a thread to look at: everything
is read back from the server. See ``bot.engine.discovery`` for what a tick reads.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from bot.engine.adopt import adopt
from bot.engine.deps import Deps, pause
from bot.engine.discovery import POLL_NAME, RECONCILE_NAME, reconcile, tick
from graphs.runner import RunnerUnavailable
from persistence import remote

__all__ = ["adopt", "poll_once", "reconcile_once", "refresh", "run_poller"]
log = logging.getLogger(__name__)
INSTANCE = f"{socket.gethostname()}:{os.getpid()}"


async def _mine(deps: Deps, name: str) -> bool:
    async with deps.pool.connection() as conn:
        return await remote.claim_poll(
            conn, name, every_s=deps.settings.langgraph_poll_s * 0.8, instance=INSTANCE
        )


async def poll_once(deps: Deps) -> int:
    """If it is this instance's turn, adopt what changed on the server; how many changed."""
    if not await _mine(deps, POLL_NAME):
        return 0
    return (await tick(deps)).changed


async def reconcile_once(deps: Deps) -> int:
    """If it is this instance's turn and a full pass is due, one turn of it; threads read."""
    if not await _mine(deps, RECONCILE_NAME):
        return 0
    scan = await reconcile(deps)
    return scan.read if scan is not None else 0


async def refresh(deps: Deps, thread_id: str) -> str | None:
    """A webhook's prompt: read the thread from the server and adopt it."""
    thread = await deps.runners.server_thread(thread_id)
    if thread is None:
        return None
    return await adopt(deps, thread)


async def _every_poll(deps: Deps, step: Callable[[Deps], Awaitable[Any]], what: str) -> None:
    """Run ``step`` every ``LANGGRAPH_POLL_S`` from the start of the last run, not its end."""
    loop = asyncio.get_running_loop()
    while not deps.inflight.closing:
        began = loop.time()
        try:
            await step(deps)
        except asyncio.CancelledError:
            raise
        except RunnerUnavailable as exc:
            log.warning("LangGraph Server %s failed (retrying): %s", what, exc)
        except Exception:
            log.exception("LangGraph Server %s failed; retrying", what)
        await pause(max(0.0, deps.settings.langgraph_poll_s - (loop.time() - began)))


async def run_poller(deps: Deps) -> None:
    """The poll and the reconciliation, each in its own loop, until shutdown."""
    await asyncio.gather(
        _every_poll(deps, poll_once, "poll"), _every_poll(deps, reconcile_once, "reconciliation")
    )
