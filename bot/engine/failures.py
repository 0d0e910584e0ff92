"""Fail a request or a run visibly: its status, the audit log, a metric, the requester."""

from __future__ import annotations

import logging

from bot.blocks.format import escape
from bot.engine.deps import Deps
from bot.metrics import METRICS
from bot.slack.client import SLACK_ERRORS
from persistence import audit, requests, runs

log = logging.getLogger(__name__)


async def fail_run(
    deps: Deps, thread_id: str, *, error: str, request_id: int | None = None
) -> None:
    """Mark the run (and ``request_id``, if given) failed, audit it and tell the requester."""
    async with deps.pool.connection() as conn, conn.transaction():
        if request_id is not None:
            await requests.set_failed(conn, request_id, error=error)
        await runs.set_run_status(conn, thread_id, "failed", outcome={"error": error})
        await audit.record(conn, "run_failed", thread_id=thread_id, request_id=request_id,
                           reason=error)
        run = await runs.get_run(conn, thread_id)
    METRICS.inc("approvals_runs_failed_total")
    log.error("run %s failed: %s", thread_id, error)
    if run is None:
        return
    target = run["requested_by"] or run["channel"]
    if not target:
        return
    text = f"⚠️ Your run `{escape(thread_id)}` ({escape(run['graph'])}) stopped: {escape(error)}"
    try:
        await deps.slack.chat_postMessage(channel=target, text=text)
    except SLACK_ERRORS as exc:
        log.warning("could not tell %s that run %s failed: %s", target, thread_id, exc)
