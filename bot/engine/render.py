"""Rewrite a request's Slack message (and its quorum thread reply) from stored state."""

from __future__ import annotations

import logging
from typing import Any

from bot.blocks.quorum import build_quorum_reply
from bot.blocks.request import build_request_message
from bot.blocks.view import RequestView
from bot.engine.deps import Deps
from bot.engine.load import load_view
from bot.engine.post import SLACK_ERRORS
from persistence import requests

log = logging.getLogger(__name__)


async def render_request(deps: Deps, request_id: int) -> bool:
    """Bring the message up to date; on a Slack failure leave it flagged for the sweeper."""
    async with deps.pool.connection() as conn:
        loaded = await load_view(conn, request_id)
    if loaded is None:
        return False
    view, row, _ = loaded
    if not row["message_ts"]:
        return False  # not posted yet: the post will show the current state
    text, blocks = build_request_message(view)
    try:
        await deps.slack.chat_update(
            channel=row["channel"], ts=row["message_ts"], text=text, blocks=blocks
        )
        await _render_quorum(deps, view, row)
    except SLACK_ERRORS as exc:
        log.warning("rewriting request %s failed (the sweeper retries): %s", request_id, exc)
        async with deps.pool.connection() as conn:
            await requests.set_render_needed(conn, request_id, True)
        return False
    async with deps.pool.connection() as conn:
        await requests.set_render_needed(conn, request_id, False)
    return True


async def _render_quorum(deps: Deps, view: RequestView, row: dict[str, Any]) -> None:
    """Post or update the threaded reply that gathers further approvals."""
    if view.required_approvals < 2:
        return
    gathering = any(a.votes for a in view.actions)
    if not gathering and not row["quorum_ts"]:
        return
    if row["quorum_ts"] == "posting":
        return  # being posted by another render, which shows the state it read
    text, blocks = build_quorum_reply(view)
    if row["quorum_ts"]:
        await deps.slack.chat_update(
            channel=row["channel"], ts=row["quorum_ts"], text=text, blocks=blocks
        )
        return
    async with deps.pool.connection() as conn:
        if not await requests.claim_quorum_post(conn, int(row["id"])):
            return  # another render is posting it
    thread_ts = row["slack_thread_ts"] or row["message_ts"]
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
