"""Start a run; after a decision, rewrite the message and resume when complete."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from bot.engine.decide import Decided
from bot.engine.deps import Deps
from bot.engine.fence import hold_fence
from bot.engine.post import config_of, sync_run
from bot.engine.render import render_request
from bot.engine.resume import DURABILITY, resume_request
from bot.errors import InvalidInput, NotFound
from persistence import audit, requests, runs
from persistence.pool import DB_DOWN

log = logging.getLogger(__name__)
# A click's resume waits this long for another resume of the same thread to end; after
# that the sweeper takes it, so nothing ever waits on a long-running node.
LIVE_WAIT_S = 10.0


@dataclass(frozen=True)
class RunStarted:
    """The outcome of starting a run: its thread id, status and posted request ids."""

    thread_id: str
    graph: str
    status: str
    request_ids: list[int]
    error: str | None = None  # why the run failed (``status == "failed"``)

    def as_json(self) -> dict[str, Any]:
        """The ``run --json`` and ``POST /api/runs`` answer."""
        answer: dict[str, Any] = {
            "thread_id": self.thread_id,
            "graph": self.graph,
            "status": self.status,
            "requests": self.request_ids,
        }
        if self.error:
            answer["error"] = self.error
        return answer


async def start_run(
    deps: Deps, graph: str, input: Any, *, channel: str, requested_by: str | None
) -> RunStarted:
    """Record a run, invoke it until it finishes or interrupts, and post its requests."""
    if graph not in deps.graphs.names():
        raise NotFound(f"No graph named {graph!r}; known: {', '.join(deps.graphs.names())}")
    compiled = deps.graphs.build(graph, deps.checkpointer)
    thread_id = deps.new_id()
    async with deps.pool.connection() as conn:
        await runs.insert_run(
            conn, thread_id, graph=graph, input=input, channel=channel, requested_by=requested_by
        )
        await audit.record(
            conn,
            "started",
            thread_id=thread_id,
            actor=requested_by,
            detail={"graph": graph, "input": input},
        )
    try:
        async with hold_fence(deps, thread_id) as fence:
            assert fence is not None  # a brand-new thread: nobody else can hold it
            await compiled.ainvoke(input, config_of(thread_id), durability=DURABILITY)
    except DB_DOWN:
        raise
    except Exception as exc:  # the graph cannot take this input: leave no run behind
        log.exception("graph %s failed on its input; the run %s is discarded", graph, thread_id)
        await _discard(deps, thread_id, error=f"{type(exc).__name__}: {exc}")
        raise InvalidInput(
            f"The graph {graph!r} cannot run with this input ({type(exc).__name__}).",
            field="input",
        ) from exc
    status = await sync_run(deps, thread_id)
    async with deps.pool.connection() as conn:
        open_ids = [int(r["id"]) for r in await requests.open_requests(conn, thread_id)]
        row = await runs.get_run(conn, thread_id)
    if row is not None and row["status"] == "failed":
        error = (row["outcome"] or {}).get("error") or "the run failed"
        return RunStarted(thread_id, graph, "failed", open_ids, error)
    return RunStarted(thread_id, graph, status, open_ids)


async def _discard(deps: Deps, thread_id: str, *, error: str) -> None:
    async with deps.pool.connection() as conn:
        await runs.delete_unstarted_run(conn, thread_id)
        await audit.record(conn, "start_failed", thread_id=thread_id, reason=error[:2000])
    await deps.checkpointer.adelete_thread(thread_id)


async def after_decision(deps: Deps, decided: Decided) -> None:
    """Rewrite the message and resume; a database outage leaves both to the sweeper.

    The decision is already committed, so nothing is lost if this is cut short.
    """
    try:
        await _render_and_resume(deps, decided)
    except DB_DOWN:
        log.warning("database unavailable after deciding request %s; the sweeper will "
                    "resume and re-render it", decided.request_id)


async def _render_and_resume(deps: Deps, decided: Decided) -> None:
    render = asyncio.ensure_future(render_request(deps, decided.request_id))
    try:
        if decided.complete:
            await resume_request(deps, decided.request_id, wait_s=LIVE_WAIT_S)
    finally:
        # A failed rewrite is flagged for the sweeper; never leave its error unretrieved.
        await asyncio.gather(render, return_exceptions=True)
    if decided.complete:
        async with deps.pool.connection() as conn:
            row = await requests.get_request(conn, decided.request_id)
        if row is not None and row["render_needed"]:
            await render_request(deps, decided.request_id)
