"""Escalation: when nobody has decided after ``escalate_after_s``, widen who may decide.

Each open action's stored policy gains its own ``escalate_to`` people as approvers, in
the same transaction that marks the request escalated, but only where that action's
policy escalates by now: in a batch, an action that escalates later (or never) is not
widened by another's earlier escalation. A policy re-resolved for an edit is escalated
again only where the new arguments' policy escalates too, no later than this happened
(:func:`bot.engine.load.governing_policy`). So the decision transaction, which reads the
policy, is still the one place that checks eligibility. ``required_approvals`` is
never touched: escalation adds people, it never lowers the bar.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.engine.deps import Deps
from bot.engine.notify import dm_text, send_dms
from bot.engine.render import render_request
from bot.metrics import METRICS
from bot.policy import Policy, describe_approvers, escalated
from bot.slack.client import SLACK_ERRORS
from persistence import audit, reach

log = logging.getLogger(__name__)


async def due_escalations(deps: Deps) -> list[int]:
    """The requests due for escalation at the clock's now."""
    async with deps.pool.connection() as conn:
        return await reach.due_escalations(conn, now=deps.clock())


async def escalate_request(deps: Deps, request_id: int) -> bool:
    """Escalate one request once (False if it is not due, or another instance has it)."""
    now = deps.clock()
    async with deps.pool.connection() as conn, conn.transaction():
        row = await reach.lock_escalation(conn, request_id, now=now)
        if row is None:
            return False
        before = Policy.model_validate(row["policy"])
        after = escalated(before)
        await reach.set_escalated(conn, request_id, now=now, policy=after.model_dump())
        widened = await _escalate_actions(conn, row, now=now)
        await audit.record(
            conn, "escalated", thread_id=row["thread_id"], request_id=request_id,
            detail={"escalate_to": list(before.escalate_to),
                    "approvers_before": list(before.approvers),
                    "approvers_after": list(after.approvers),
                    "approvals_escalated": widened},
        )
    METRICS.inc("approvals_escalations_total")
    await _announce(deps, row, before)
    return True


async def _escalate_actions(conn: Any, row: dict[str, Any], *, now: Any) -> list[int]:
    """Widen each open action's own policy that escalates by ``now``; their ids."""
    elapsed = (now - row["created_at"]).total_seconds()
    widened = []
    for approval in await reach.lock_pending_approvals(conn, int(row["id"])):
        own = Policy.model_validate(approval["policy"] or row["policy"])
        if own.escalate_after_s is None or own.escalate_after_s > elapsed:
            continue
        wide = escalated(own).model_dump()
        await reach.set_approval_policy(conn, int(approval["id"]), policy=wide)
        widened.append(int(approval["id"]))
    return widened


async def _announce(deps: Deps, row: dict[str, Any], policy: Policy) -> None:
    request_id = int(row["id"])
    if policy.escalate_to:
        who = describe_approvers(policy.model_copy(update={"approvers": policy.escalate_to}))
        text = f"⤴️ Nobody has decided yet, so this request is escalated to {who}."
    else:
        text = "⤴️ Nobody has decided yet, so this request is escalated."
    try:
        await deps.slack.chat_postMessage(
            channel=row["channel"], thread_ts=row["message_ts"], text=text
        )
    except SLACK_ERRORS as exc:
        log.warning("escalation note for request %s failed: %s", request_id, exc)
    await dm_text(deps, request_id, text)
    await send_dms(deps, request_id)
    await render_request(deps, request_id)
