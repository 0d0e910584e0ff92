"""Resume a decided request exactly once, fenced by the thread's durable lease."""

from __future__ import annotations

import logging
from typing import Any

from langgraph.errors import GraphInterrupt

from bot.engine.deps import Deps
from bot.engine.fence import hold_fence
from bot.engine.keys import decision_id_of
from bot.engine.load import request_model
from bot.engine.post import is_over, jsonable, reply_finished, sync_run, value_hash
from bot.engine.resume_failed import fail_unsendable, note_failure
from bot.metrics import METRICS
from graphs.adapters import TemplateFailed, failure_of, is_stop, sent_value
from graphs.runner import RunnerUnavailable
from persistence import audit, leases, requests, runs
from persistence.leases import Fence, FenceLost
from persistence.pipelines import one_sync
from persistence.pool import DB_DOWN

log = logging.getLogger(__name__)
MAX_RESUME_ATTEMPTS = 3


async def resume_request(
    deps: Deps, request_id: int, *, thread_id: str | None = None, wait_s: float = 0.0
) -> bool:
    """Resume the run with the request's decision, then post what comes next.

    Idempotent: under the thread's lease the interrupt must still be pending (same id,
    same value); if it was already consumed, the run is continued with ``None`` instead.
    While another live owner holds the lease this waits at most ``wait_s`` and returns
    False (the sweeper tries again later). Returns True when this call resumed it. A
    caller that knows the request's thread (it has just decided it) passes ``thread_id``;
    whether the request is still to be resumed is read under the lease in any case.
    """
    async with deps.resume_slots:
        if thread_id is None:
            async with deps.pool.connection() as conn:
                row = await requests.get_request(conn, request_id)
            if row is None or row["status"] != "decided":
                return False
            thread_id = str(row["thread_id"])
        try:
            async with hold_fence(deps, thread_id, wait_s=wait_s) as fence:
                if fence is None:
                    return False  # a live owner is running this thread
                return await _resume_fenced(deps, request_id, fence)
        except FenceLost:
            log.error("request %s: lease taken over mid-resume; its new owner finishes it",
                      request_id)
            return False


async def _resume_fenced(deps: Deps, request_id: int, fence: Fence) -> bool:
    thread_id = fence.thread_id
    detail = {"owner": fence.owner, "epoch": fence.epoch,
              "decision_id": decision_id_of({"thread_id": thread_id, "id": request_id})}
    # Every execution attempt is audited, so a repeated node shows in the trail; the
    # attempt is logged in the same round trip as the reads, only if still to be resumed.
    async with deps.pool.connection() as conn, conn.pipeline():
        await audit.record_if_decided(conn, "resume_started", request_id=request_id,
                                      detail=detail)
        row, run = await requests.request_and_run(conn, request_id, thread_id)
    if row is None or row["status"] != "decided" or run is None:
        return False  # another instance got here first
    METRICS.inc("approvals_resume_attempts_total")
    try:
        stopped = await _invoke(deps, row, run)
    except (GraphInterrupt, FenceLost, *DB_DOWN):
        raise  # an outage is not the graph's fault: the sweeper tries again
    except RunnerUnavailable as exc:  # server down or thread busy (409): kept, retried
        log.warning("request %s not resumed yet (the sweeper retries): %s", request_id, exc)
        return False
    except TemplateFailed as exc:  # the value could not be made: nothing was sent
        await fail_unsendable(deps, row, str(exc))
        return False
    except Exception as exc:  # the graph itself failed: record, maybe retry later
        log.exception("resuming request %s failed", request_id)
        await note_failure(deps, row, run, exc, attempts_max=MAX_RESUME_ATTEMPTS)
        return False
    runner, ref = deps.runners.of(run)
    state = await runner.snapshot(ref)
    over = stopped is not None or is_over(state)
    outcome = stopped if stopped is not None else (jsonable(state.values) if over else None)
    # A finished run needs the lease no more: it is given up in the same transaction.
    fence.releasing = over
    try:
        finished = await _mark_resumed(deps, row, fence, over=over, outcome=outcome)
    finally:
        fence.releasing = False
    fence.released = over
    METRICS.inc("approvals_resumes_total")
    if over:
        await reply_finished(deps, thread_id, finished, outcome)
    else:
        await sync_run(deps, thread_id, run, state=state, settled=True)
    return True


async def _mark_resumed(
    deps: Deps, row: dict[str, Any], fence: Fence, *, over: bool, outcome: Any
) -> dict[str, Any] | None:
    """In one transaction: the request resumed and audited, the run marked done (its
    lease given up with it) or running again. A finished run's row, when it is done."""
    request_id = int(row["id"])
    async with deps.pool.connection() as conn, one_sync(conn):
        await requests.set_resumed(conn, request_id)
        await audit.record(
            conn,
            "resumed",
            thread_id=fence.thread_id,
            request_id=request_id,
            detail={"resume": row["resume_value"], "epoch": fence.epoch},
        )
        if not over:
            await runs.set_run_status(conn, fence.thread_id, "running")
            return None
        finished = await runs.finish_run(conn, fence.thread_id, outcome=outcome)
        await leases.release(conn, fence)
    return finished


@METRICS.timed("approvals_resume_seconds")
async def _invoke(deps: Deps, row: dict[str, Any], run: dict[str, Any]) -> dict[str, Any] | None:
    """Send the decision; a rejection that ends the run instead returns its outcome."""
    stored = row["resume_value"]
    if (failure := failure_of(stored)) is not None:
        raise TemplateFailed(failure)
    if is_stop(stored):  # never reaches the graph: the run ends here, rejected
        return {"status": "rejected", "reason": stored.get("reason")}
    runner, ref = deps.runners.of(run)
    state = await runner.snapshot(ref)
    pending = {i.id: i for i in state.interrupts}
    match = pending.get(row["interrupt_id"])
    if match is not None and value_hash(match.value) == row["value_hash"]:
        value = sent_value(request_model(row), stored, decision_id_of(row))
        await runner.resume(ref, interrupt_id=row["interrupt_id"], value=value)
    elif state.next and not state.interrupts:
        # The resume was taken before a crash but the run did not finish: continue it.
        await runner.proceed(ref)
    return None

