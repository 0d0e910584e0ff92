"""A request whose channel stopped working (deleted, archived, the bot removed) after it
was posted: it is marked once, audited, and the requester and the people who may decide
it are told by DM, with the request and its buttons, so it never waits unseen."""

from __future__ import annotations

import logging

from bot.blocks.format import escape
from bot.engine.decide import eligible_users
from bot.engine.deps import Deps
from bot.engine.load import load_view, policy_model
from bot.engine.notify import send_to
from bot.metrics import METRICS
from bot.slack.client import SLACK_ERRORS, permanent_error
from persistence import audit, reach

log = logging.getLogger(__name__)
CHANNEL_ERRORS = frozenset({"channel_not_found", "not_in_channel", "is_archived"})


async def channel_failed(deps: Deps, request_id: int, exc: BaseException) -> bool:
    """If ``exc`` says the request's channel is gone, mark it and tell people; True if so."""
    permanent = permanent_error(exc)
    if permanent is None or permanent[0] not in CHANNEL_ERRORS:
        return False
    code, advice = permanent
    async with deps.pool.connection() as conn:
        row = await reach.mark_channel_failed(
            conn, request_id, now=deps.clock(), error=f"Slack answered {code}: {advice}"
        )
        if row is None:
            return True  # already marked and told
        await audit.record(conn, "channel_failed", thread_id=row["thread_id"],
                           request_id=request_id, reason=code)
    METRICS.inc("approvals_post_failures_total", error=code)
    log.error("request %s: its channel %s stopped working (%s)", request_id, row["channel"],
              code)
    await _tell(deps, request_id, code)
    return True


async def _tell(deps: Deps, request_id: int, code: str) -> None:
    async with deps.pool.connection() as conn:
        loaded = await load_view(conn, request_id)
    if loaded is None:
        return
    _, row, _ = loaded
    found = await eligible_users(deps, policy_model(row))
    approvers = set(found or ())
    note = (
        f"⚠️ A request could not be shown in <#{escape(row['channel'])}>: Slack answered "
        f"`{code}`. It is still open; it can be decided from this message."
    )
    for user in sorted(approvers | {row["requested_by"]} - {None}):
        try:
            await deps.slack.chat_postMessage(channel=user, text=note)
        except SLACK_ERRORS as exc:
            log.warning("could not tell %s about request %s: %s", user, request_id, exc)
    await send_to(deps, request_id, approvers)
