"""Close a pending request without a person's approval: it expired, or it was cancelled.

Like a decision, the rule is checked inside the transaction that closes: only an
overdue request expires, and only its requester cancels it.
"""

from __future__ import annotations

from typing import Literal

from bot.engine.decide import Decided
from bot.engine.deps import Deps
from bot.engine.step import complete_if_done
from bot.errors import NotAllowed
from graphs.models import ActionDecision
from persistence import audit, requests, runs


async def close_request(
    deps: Deps,
    request_id: int,
    *,
    status: Literal["expired", "cancelled"],
    actor: str | None,
    reason: str,
) -> Decided | None:
    """Reject every pending action with ``reason``; None if the request was not pending
    (or, for ``expired``, not yet overdue). Raises :class:`NotAllowed` when ``actor`` is
    not the requester of a request they try to cancel."""
    now = deps.clock()
    async with deps.pool.connection() as conn, conn.transaction():
        request = await requests.lock_request(conn, request_id)
        if request is None or request["status"] != "pending":
            return None
        if status == "expired" and not (request["expires_at"] and request["expires_at"] <= now):
            return None
        if status == "cancelled":
            run = await runs.get_run(conn, request["thread_id"])
            if actor is None or run is None or actor != run["requested_by"]:
                raise NotAllowed("Only the person who requested this can cancel it.")
        for approval in await requests.approvals_of(conn, request_id):
            if approval["status"] != "pending":
                continue
            decision = ActionDecision(
                kind="reject",
                args=approval["args"],
                reason=reason,
                decided_by=[actor] if actor else [],
                decided_at=now,
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
            conn,
            status,
            thread_id=request["thread_id"],
            request_id=request_id,
            actor=actor,
            reason=reason,
        )
        complete = await complete_if_done(conn, request)
    return Decided(request_id, request["thread_id"], complete)
