"""Rewrite a request's Slack message (and its quorum thread reply) from stored state."""

from __future__ import annotations

import logging
from typing import Any

from bot.blocks.quorum import build_quorum_reply
from bot.blocks.request import build_request_message
from bot.blocks.view import RequestView
from bot.engine.deps import Deps
from bot.engine.load import load_view
from bot.engine.notify import update_dms
from bot.engine.stalled import channel_failed
from bot.slack.client import SLACK_ERRORS, permanent_error
from persistence import reach, requests

log = logging.getLogger(__name__)
MAX_PASSES = 3


async def render_request(deps: Deps, request_id: int) -> bool:
    """Bring the message up to date; on a Slack failure leave it flagged for the sweeper.

    Two renders of one request can race, and Slack keeps whichever update lands last. So
    after its update each render reads the state again, and draws again if what it sent
    is already stale: the last update to land is always followed by such a check.
    """
    sent: tuple[str, list[dict[str, Any]]] | None = None
    quorum_done = True
    for _ in range(MAX_PASSES):
        async with deps.pool.connection() as conn:
            loaded = await load_view(conn, request_id)
        if loaded is None or not loaded[1]["message_ts"]:
            return False  # not posted yet: the post will show the current state
        view, row, _ = loaded
        message = build_request_message(view)
        if message == sent:
            break
        try:
            await deps.slack.chat_update(
                channel=row["channel"], ts=row["message_ts"], text=message[0], blocks=message[1]
            )
            quorum_done = await _render_quorum(deps, view, row)
        except SLACK_ERRORS as exc:
            # A permanent error (the channel was archived, the token revoked) is not retried.
            again = permanent_error(exc) is None
            log.warning("rewriting request %s failed (%s): %s", request_id,
                        "the sweeper retries" if again else "not retried", exc)
            async with deps.pool.connection() as conn:
                await requests.set_render_needed(conn, request_id, again)
            await channel_failed(deps, request_id, exc)
            return False
        sent = message
    async with deps.pool.connection() as conn, conn.pipeline():
        await requests.set_render_needed(conn, request_id, not quorum_done)
        dms = await reach.dms_of(conn, request_id)
    await update_dms(deps, request_id, dms=dms, drawn=(view, row))
    return True


async def _render_quorum(deps: Deps, view: RequestView, row: dict[str, Any]) -> bool:
    """Post or update the threaded reply that gathers further approvals.

    False when another render is posting it right now: its content may already be stale,
    so the request stays flagged and the sweeper draws it once more.
    """
    if view.required_approvals < 2:
        return True
    gathering = any(a.approvals for a in view.actions)  # a rejection is no approval
    if not gathering and not row["quorum_ts"]:
        return True
    if row["quorum_ts"] == "posting":
        return False
    text, blocks = build_quorum_reply(view)
    if row["quorum_ts"]:
        await deps.slack.chat_update(
            channel=row["channel"], ts=row["quorum_ts"], text=text, blocks=blocks
        )
        return True
    async with deps.pool.connection() as conn:
        if not await requests.claim_quorum_post(conn, int(row["id"])):
            return False
    in_run_thread = row["slack_thread_ts"] and row["channel"] == row["run_channel"]
    thread_ts = row["slack_thread_ts"] if in_run_thread else row["message_ts"]
    try:
        resp = await deps.slack.chat_postMessage(
            channel=row["channel"], thread_ts=thread_ts, text=text, blocks=blocks
        )
    except SLACK_ERRORS:
        async with deps.pool.connection() as conn:
            await requests.set_quorum_ts(conn, int(row["id"]), None)
        raise
    async with deps.pool.connection() as conn:
        await requests.set_quorum_ts(conn, int(row["id"]), resp["ts"])
    return True
