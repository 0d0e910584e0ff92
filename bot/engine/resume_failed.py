"""A resume that failed, said plainly: which decision, which node, what error.

A value that could not be made (a template that does not render, or does not fit the
interrupt's ``response_schema``) is never sent: the request and its run fail at once,
naming the template. A graph that raises on the value it was sent is tried again a few
times (a payment provider may be down for a minute); meanwhile the message says the run
failed and will be tried again, and after the last attempt the request and the run are
marked failed, the requester is told, and ``pending`` lists it no more.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.engine.deps import Deps
from bot.engine.failures import fail_run
from bot.metrics import METRICS
from persistence import audit, requests

log = logging.getLogger(__name__)
VERBS = {"approve": "Approved", "edit": "Edited and approved", "reject": "Rejected",
         "respond": "Answered"}


def describe_error(exc: BaseException) -> str:
    """``KeyError 'amount'``: the exception's type and message, as a person reads it."""
    text = str(exc)
    return f"{type(exc).__name__} {text}" if text else type(exc).__name__


async def _failed_in(deps: Deps, run: dict[str, Any]) -> str:
    """`` in node `x```, naming the node whose task holds the error, when it is known."""
    try:
        runner, ref = deps.runners.of(run)
        nodes = (await runner.snapshot(ref)).failed
    except Exception:  # reading the state is a courtesy here; the error is what matters
        log.warning("could not read which node of %s failed", run["thread_id"], exc_info=True)
        return ""
    return f" in node `{nodes[0]}`" if nodes else ""


async def _verb(deps: Deps, request_id: int) -> str:
    async with deps.pool.connection() as conn:
        approvals = await requests.approvals_of(conn, request_id)
    kinds = {str((a["decision"] or {}).get("kind")) for a in approvals}
    verb = VERBS.get(kinds.pop(), "Decided") if len(kinds) == 1 else "Decided"
    users = [u for a in approvals for u in (a["decision"] or {}).get("decided_by", [])]
    who = ", ".join(f"@{u}" for u in dict.fromkeys(users))
    return f"{verb} by {who}" if who else verb


async def note_failure(
    deps: Deps, row: dict[str, Any], run: dict[str, Any], exc: Exception, *, attempts_max: int
) -> None:
    """The graph raised on the value it was sent: say so, and fail it after the last try."""
    request_id = int(row["id"])
    error = f"{await _verb(deps, request_id)}, but the run failed" \
        f"{await _failed_in(deps, run)}: {describe_error(exc)}"
    METRICS.inc("approvals_resume_failures_total")
    async with deps.pool.connection() as conn:
        attempts = await requests.note_resume_error(conn, request_id, error=error)
        await requests.set_render_needed(conn, request_id, True)
        await audit.record(conn, "resume_failed", thread_id=row["thread_id"],
                           request_id=request_id, reason=error, detail={"attempt": attempts})
    if attempts >= attempts_max:
        await fail_run(deps, row["thread_id"], error=error, request_id=request_id)
        await _redraw(deps, request_id)


async def _redraw(deps: Deps, request_id: int) -> None:
    async with deps.pool.connection() as conn:
        await requests.set_render_needed(conn, request_id, True)


async def fail_unsendable(deps: Deps, row: dict[str, Any], why: str) -> None:
    """The resume value could not be made: nothing is sent, the run fails at once."""
    request_id = int(row["id"])
    error = f"{await _verb(deps, request_id)}, but nothing was sent to the run: {why}"
    METRICS.inc("approvals_resume_failures_total")
    async with deps.pool.connection() as conn:
        await requests.note_resume_error(conn, request_id, error=error)
        await requests.set_render_needed(conn, request_id, True)
        await audit.record(conn, "resume_failed", thread_id=row["thread_id"],
                           request_id=request_id, reason=error, detail={"unsendable": True})
    await fail_run(deps, row["thread_id"], error=error, request_id=request_id)
    await _redraw(deps, request_id)
