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
from bot.engine.render import render_request
from bot.policy import Policy
from bot.slack.client import SLACK_ERRORS
from persistence import audit, reach

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


async def send_reminders(deps: Deps) -> int:
    """Each due reminder in the request's thread (and by DM); returns how many were due."""
    now = deps.clock()
    async with deps.pool.connection() as conn:
        due = await reach.claim_reminders(conn, now=now)
    for row in due:
        text = reminder_text(row, now=now)
        try:
            await deps.slack.chat_postMessage(
                channel=row["channel"], thread_ts=row["message_ts"], text=text
            )
        except SLACK_ERRORS as exc:
            log.warning("reminder for request %s failed: %s", row["id"], exc)
            continue
        await dm_text(deps, int(row["id"]), text)
        async with deps.pool.connection() as conn:
            await audit.record(
                conn, "reminded", thread_id=row["thread_id"], request_id=row["id"],
                detail={"reminder": row["reminders_sent"]},
            )
    return len(due)


async def mark_overdue(deps: Deps) -> int:
    """Mark waiting requests past their timeout overdue, audit it, and redraw them."""
    async with deps.pool.connection() as conn:
        due = await reach.claim_overdue(conn, now=deps.clock())
        for row in due:
            await audit.record(conn, "overdue", thread_id=row["thread_id"], request_id=row["id"])
    for row in due:
        await render_request(deps, int(row["id"]))
    return len(due)
