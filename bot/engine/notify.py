"""Direct messages: each eligible approver gets the request, its reminders and news.

Only with ``notify = "dm"``. A DM is reserved in Postgres before it is sent, so two
instances never send one person the same request twice; a refused DM is released.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bot.blocks.dm import build_dm_message, where_line
from bot.engine.deps import Deps
from bot.engine.inbox import permalinks
from bot.engine.load import load_view, policy_model
from bot.slack.client import SLACK_ERRORS
from persistence import audit, reach

log = logging.getLogger(__name__)


async def dm_targets(deps: Deps, request_id: int, users: Iterable[str] | None = None) -> set[str]:
    """Who gets DMs about a request: ``users``, or every eligible approver (groups
    expanded); never the requester who may not approve, and nobody when the policy
    does not DM or anyone may decide."""
    async with deps.pool.connection() as conn:
        loaded = await load_view(conn, request_id)
    if loaded is None:
        return set()
    _, row, _ = loaded
    policy = policy_model(row)
    if policy.notify != "dm":
        return set()
    try:
        found = await deps.approvers.expand(policy.approvers if users is None else users)
    except SLACK_ERRORS as exc:
        log.warning("no DMs for request %s: listing its approvers failed: %s", request_id, exc)
        return set()
    targets = set(found or ())
    if not policy.allow_self_approval:
        targets.discard(row["requested_by"])
    return targets


async def send_dms(deps: Deps, request_id: int, users: Iterable[str] | None = None) -> int:
    """DM the request to its targets (see :func:`dm_targets`) once each; returns the count."""
    targets = await dm_targets(deps, request_id, users)
    if not targets:
        return 0
    async with deps.pool.connection() as conn:
        loaded = await load_view(conn, request_id)
    assert loaded is not None
    view, row, _ = loaded
    link = await permalinks(deps.slack).get(row["channel"], row["message_ts"])
    text, blocks = build_dm_message(view, channel=row["channel"], link=link)
    sent = 0
    for user in sorted(targets):
        async with deps.pool.connection() as conn:
            if not await reach.claim_dm(conn, request_id, user):
                continue
        try:
            resp = await deps.slack.chat_postMessage(channel=user, text=text, blocks=blocks)
        except SLACK_ERRORS as exc:
            log.warning("DM of request %s to %s failed: %s", request_id, user, exc)
            async with deps.pool.connection() as conn:
                await reach.forget_dm(conn, request_id, user)
            continue
        async with deps.pool.connection() as conn:
            await reach.set_dm(conn, request_id, user, channel=resp["channel"], ts=resp["ts"])
            await audit.record(
                conn, "notified", thread_id=row["thread_id"], request_id=request_id,
                detail={"user": user, "channel": resp["channel"], "ts": resp["ts"]},
            )
        sent += 1
    return sent


async def update_dms(deps: Deps, request_id: int) -> None:
    """Rewrite every DM of a request from its stored state (a failure is only logged)."""
    async with deps.pool.connection() as conn:
        dms = await reach.dms_of(conn, request_id)
        loaded = await load_view(conn, request_id) if dms else None
    if loaded is None:
        return
    view, row, _ = loaded
    link = await permalinks(deps.slack).get(row["channel"], row["message_ts"])
    text, blocks = build_dm_message(view, channel=row["channel"], link=link)
    for dm in dms:
        try:
            await deps.slack.chat_update(
                channel=dm["channel"], ts=dm["ts"], text=text, blocks=blocks
            )
        except SLACK_ERRORS as exc:
            log.warning("rewriting the DM of request %s to %s failed: %s", request_id,
                        dm["user_id"], exc)


async def dm_text(deps: Deps, request_id: int, text: str) -> None:
    """Send ``text`` to each person DMed about a request, with the request's link.

    A new message rather than a thread reply, so that the phone rings again.
    """
    async with deps.pool.connection() as conn:
        dms = await reach.dms_of(conn, request_id)
        loaded = await load_view(conn, request_id) if dms else None
    if loaded is None:
        return
    row = loaded[1]
    link = await permalinks(deps.slack).get(row["channel"], row["message_ts"])
    body = f"{text}\n{where_line(channel=row['channel'], link=link)}"
    for dm in dms:
        try:
            await deps.slack.chat_postMessage(channel=dm["channel"], text=body)
        except SLACK_ERRORS as exc:
            log.warning("DM note on request %s to %s failed: %s", request_id, dm["user_id"], exc)
