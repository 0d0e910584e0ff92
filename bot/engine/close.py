"""Close a pending request without a person's approval: it expired, or it was cancelled.

Like a decision, the rule is checked inside the transaction that closes: only an
overdue request expires, and only its requester cancels it.

The outcome, for every dialect: when every open action allows a rejection, the run is
resumed with a rejection carrying the reason. When one does not (generic
``allowed_decisions`` without ``reject``, Agent Inbox ``allow_ignore: false``, a
middleware review config without ``reject``), nothing is invented on the graph's behalf:
the request and its run are marked failed, the message says why, and the run is left
waiting at its interrupt.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from bot.engine.decide import Conn, Decided
from bot.engine.deps import Deps
from bot.engine.step import complete_if_done
from bot.errors import NotAllowed
from graphs.models import ALL_DECISIONS, ActionDecision
from persistence import audit, requests, runs

NO_REJECT = "it {status}, and this request does not allow a rejection, so the run was left waiting"


def _rejectable(approval: dict[str, Any]) -> bool:
    return "reject" in approval["action"].get("allowed", ALL_DECISIONS)


async def close_request(
    deps: Deps,
    request_id: int,
    *,
    status: Literal["expired", "cancelled"],
    actor: str | None,
    reason: str,
    requester_only: bool = True,
) -> Decided | None:
    """Reject every pending action with ``reason``; None if the request was not pending
    (or, for ``expired``, not yet overdue). Raises :class:`NotAllowed` when ``actor`` is
    not the requester of a request they try to cancel, unless ``requester_only`` is
    False (the approvals API's caller, who holds its bearer token, made the request)."""
    now = deps.clock()
    async with deps.pool.connection() as conn, conn.transaction():
        request = await requests.lock_request(conn, request_id)
        if request is None or not await _may_close(
            conn, request, status, actor, now=now, anyone=not requester_only
        ):
            return None
        open_ = [
            a for a in await requests.approvals_of(conn, request_id) if a["status"] == "pending"
        ]
        for approval in open_:
            decision = ActionDecision(
                kind="reject",
                args=approval["args"],
                reason=reason,
                decided_by=[actor] if actor else [],
                decided_at=now,
                cause="timeout" if status == "expired" else "cancel",
            )
            await requests.update_approval(
                conn,
                int(approval["id"]),
                status=status,
                decision=decision.model_dump(mode="json"),
                args=approval["args"],
                round_=int(approval["round"]),
            )
        await audit.record(
            conn, status, thread_id=request["thread_id"], request_id=request_id, actor=actor,
            reason=reason,
        )
        if all(_rejectable(a) for a in open_):
            complete = await complete_if_done(conn, request)
        else:
            complete = await _leave_waiting(conn, request, status)
    return Decided(request_id, request["thread_id"], complete)


async def _may_close(
    conn: Conn,
    request: dict[str, Any],
    status: str,
    actor: str | None,
    *,
    now: datetime,
    anyone: bool = False,
) -> bool:
    """Whether the locked ``request`` closes now: it is pending and, to expire, overdue.
    Raises :class:`NotAllowed` when a cancel does not come from its requester."""
    if request["status"] != "pending":
        return False
    if status == "expired":
        return bool(request["expires_at"] and request["expires_at"] <= now)
    if anyone:
        return True
    run = await runs.get_run(conn, request["thread_id"])
    if actor is None or run is None or actor != run["requested_by"]:
        raise NotAllowed("Only the person who requested this can cancel it.")
    return True


async def _leave_waiting(conn: Conn, request: dict[str, Any], status: str) -> bool:
    """Fail the request and its run without resuming: the graph offered no rejection."""
    request_id, thread_id = int(request["id"]), request["thread_id"]
    error = NO_REJECT.format(status=status)
    await requests.set_failed(conn, request_id, error=error)
    await requests.set_render_needed(conn, request_id, True)
    await runs.set_run_status(conn, thread_id, "failed")
    await audit.record(conn, "not_resumed", thread_id=thread_id, request_id=request_id,
                       reason=error)
    return False
