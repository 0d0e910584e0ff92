"""Start a run; after a decision, rewrite the message and resume when complete."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace
from typing import Any

from bot.engine.decide import Decided
from bot.engine.deps import Deps
from bot.engine.fence import hold_fence
from bot.engine.post import sync_run
from bot.engine.render import render_request
from bot.engine.resume import resume_request
from bot.errors import InvalidInput, NotFound, Unavailable
from graphs.runner import GraphBuildFailed, Runner, RunnerUnavailable, RunRef
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
    # what the policy file's floor changed of what the run's requests asked for
    overrides: list[Any] = field(default_factory=list)

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
        if self.overrides:
            answer["policy_overrides"] = self.overrides
        return answer


async def start_run(
    deps: Deps, graph: str, input: Any, *, channel: str, requested_by: str | None
) -> RunStarted:
    """Record a run, invoke it until it finishes or interrupts, and post its requests."""
    runner, ref = await _runner_for(deps, graph)
    thread_id = deps.new_id()
    ref = replace(ref, thread_id=thread_id)
    graph = ref.graph
    async with deps.pool.connection() as conn:
        await runs.insert_run(
            conn, thread_id, graph=graph, input=input, channel=channel, requested_by=requested_by,
            runner=runner.kind, assistant_id=ref.assistant_id,
        )
        await audit.record(
            conn,
            "started",
            thread_id=thread_id,
            actor=requested_by,
            detail={"graph": graph, "input": input},
        )
    await _first_invoke(deps, runner, ref, input, channel=channel, requested_by=requested_by)
    status = await sync_run(deps, thread_id, settled=True)
    async with deps.pool.connection() as conn:
        open_ids = [int(r["id"]) for r in await requests.open_requests(conn, thread_id)]
        row = await runs.get_run(conn, thread_id)
        overrides = await audit.policy_overrides(conn, thread_id)
    if row is not None and row["status"] == "failed":
        error = (row["outcome"] or {}).get("error") or "the run failed"
        return RunStarted(thread_id, graph, "failed", open_ids, error, overrides)
    return RunStarted(thread_id, graph, status, open_ids, overrides=overrides)


async def _first_invoke(
    deps: Deps,
    runner: Runner,
    ref: RunRef,
    input: Any,
    *,
    channel: str,
    requested_by: str | None,
) -> None:
    """Run the graph until it finishes or interrupts, under the new thread's fence.

    A server that cannot take the run fails it; a graph that fails on its input leaves
    no run behind (:class:`InvalidInput`).
    """
    thread_id = ref.thread_id
    metadata = {"approvals_channel": channel, "requested_by": requested_by}
    try:
        async with hold_fence(deps, thread_id) as fence:
            assert fence is not None  # a brand-new thread: nobody else can hold it
            await runner.start(ref, input, metadata=metadata)
    except RunnerUnavailable as exc:
        async with deps.pool.connection() as conn:
            await runs.set_run_status(conn, thread_id, "failed")
        raise Unavailable(f"The LangGraph Server did not take the run: {exc}") from exc
    except DB_DOWN:
        raise
    except GraphBuildFailed as exc:  # not the input's fault: say the graph is broken
        log.error("graph %s could not be built: %s", ref.graph, exc)
        await _discard(deps, thread_id, error=str(exc))
        raise InvalidInput(f"The graph {ref.graph!r} could not be built: {exc}",
                           field="graph") from exc
    except Exception as exc:  # the graph cannot take this input: leave no run behind
        log.exception("graph %s failed on its input; the run %s is discarded", ref.graph, thread_id)
        await _discard(deps, thread_id, error=f"{type(exc).__name__}: {exc}")
        raise InvalidInput(
            f"The graph {ref.graph!r} cannot run with this input ({type(exc).__name__}).",
            field="input",
        ) from exc


async def _discard(deps: Deps, thread_id: str, *, error: str) -> None:
    async with deps.pool.connection() as conn:
        await runs.delete_unstarted_run(conn, thread_id)
        await audit.record(conn, "start_failed", thread_id=thread_id, reason=error[:2000])
    await deps.checkpointer.adelete_thread(thread_id)


async def _runner_for(deps: Deps, graph: str) -> tuple[Runner, RunRef]:
    """A local graph by name, else a server assistant or graph id; a clear error if none."""
    try:
        target = await deps.runners.resolve(graph)
    except RunnerUnavailable as exc:
        raise Unavailable(
            f"No local graph named {graph!r}, and the LangGraph Server cannot be asked: {exc}"
        ) from exc
    if target is None:
        raise NotFound(f"No graph named {graph!r}; known: {', '.join(deps.runners.names())}")
    return target


async def after_decision(deps: Deps, decided: Decided) -> None:
    """Rewrite the message and resume; a database outage leaves both to the sweeper.

    The decision is already committed, so nothing is lost if this is cut short.
    """
    try:
        await _render_and_resume(deps, decided)
    except (*DB_DOWN, RunnerUnavailable):
        log.warning("database or LangGraph Server unavailable after deciding request %s; "
                    "the sweeper will resume and re-render it", decided.request_id)


async def _render_and_resume(deps: Deps, decided: Decided) -> None:
    await deps.urgent.after()  # acks first: see bot.engine.urgent
    render = asyncio.ensure_future(render_request(deps, decided.request_id))
    resumed = False
    try:
        if decided.complete:
            resumed = await resume_request(
                deps, decided.request_id, thread_id=decided.thread_id, wait_s=LIVE_WAIT_S
            )
    finally:
        # A failed rewrite is flagged for the sweeper; never leave its error unretrieved.
        (rendered,) = await asyncio.gather(render, return_exceptions=True)
    # A resume that went through changes nothing the message shows, so a rewrite that went
    # through is the last one; otherwise (a failed resume is shown) look once more.
    if decided.complete and not (resumed and rendered is True):
        async with deps.pool.connection() as conn:
            row = await requests.get_request(conn, decided.request_id)
        if row is not None and row["render_needed"]:
            await render_request(deps, decided.request_id)
