"""Escalation: when nobody has decided after ``escalate_after_s``, widen who may decide.

The request's stored policy gains the ``escalate_to`` people as approvers, in the same
transaction that marks it escalated; a policy re-resolved for an edit is escalated again
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
from bot.policy import Policy, describe_approvers
from bot.policy.floor import escalated
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
        await audit.record(
            conn, "escalated", thread_id=row["thread_id"], request_id=request_id,
            detail={"escalate_to": list(before.escalate_to),
                    "approvers_before": list(before.approvers),
                    "approvers_after": list(after.approvers)},
        )
    METRICS.inc("approvals_escalations_total")
    await _announce(deps, row, before)
    return True


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
