"""Reminders that repeat (``reminder_s`` apart, at most ``reminders``) and overdue marks.

With ``on_timeout = "wait"`` a request past its timeout is never rejected: it is marked
overdue once (the message says so) and its reminders go on.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from bot.blocks.format import date_token
from bot.engine.deps import Deps
from bot.engine.notify import dm_text
from bot.engine.stalled import channel_failed
from bot.metrics import METRICS
from bot.policy import Policy
from bot.slack.client import SLACK_ERRORS
from persistence import audit, reach, sweeps

log = logging.getLogger(__name__)
WAITING = "⏰ Still waiting for a decision"


def first_reminder(policy: Policy, *, now: datetime) -> datetime | None:
    """When the first reminder is due: one period in, or at three quarters of the timeout."""
    if policy.reminders < 1:
        return None
    return now + timedelta(seconds=policy.reminder_s or policy.timeout_s * 3 / 4)


def reminder_text(row: dict[str, Any], *, now: Any) -> str:
    """``⏰ Still waiting…``: when it expires, or since when it is overdue."""
    expires = row["expires_at"]
    if expires is None:
        return f"{WAITING}."
    if expires <= now:
        return f"{WAITING}; this request is overdue since {date_token(expires)}."
    return f"{WAITING}; this request expires {date_token(expires)}."


async def due_reminders(deps: Deps) -> list[dict[str, Any]]:
    """Claim the reminders due at the clock's now (each counted and rescheduled)."""
    async with deps.pool.connection() as conn:
        return await sweeps.claim_reminders(conn, now=deps.clock())


async def send_reminder(deps: Deps, row: dict[str, Any]) -> None:
    """One reminder in the request's thread (and by DM), audited with its number."""
    text = reminder_text(row, now=deps.clock())
    try:
        await deps.slack.chat_postMessage(
            channel=row["channel"], thread_ts=row["message_ts"], text=text
        )
    except SLACK_ERRORS as exc:
        log.warning("reminder for request %s failed: %s", row["id"], exc)
        await channel_failed(deps, int(row["id"]), exc)
        return
    METRICS.inc("approvals_reminders_sent_total")
    await dm_text(deps, int(row["id"]), text)
    async with deps.pool.connection() as conn:
        await audit.record(
            conn, "reminded", thread_id=row["thread_id"], request_id=row["id"],
            detail={"reminder": row["reminders_sent"]},
        )


async def due_overdue(deps: Deps) -> list[dict[str, Any]]:
    """Mark waiting requests past their timeout overdue (once each) and audit it."""
    async with deps.pool.connection() as conn:
        due = await reach.claim_overdue(conn, now=deps.clock())
        for row in due:
            await audit.record(conn, "overdue", thread_id=row["thread_id"], request_id=row["id"])
    return due
