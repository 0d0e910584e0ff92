"""Direct messages: each eligible approver gets the request, its reminders and news.

Only with ``notify = "dm"``. A DM is reserved in Postgres before it is sent, so two
instances never send one person the same request twice; a refused DM is released.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.blocks.dm import build_dm_message, where_line
from bot.blocks.view import RequestView
from bot.engine.decide import eligible_users
from bot.engine.deps import Deps
from bot.engine.load import load_view, policy_model
from bot.metrics import METRICS
from bot.slack.client import SLACK_ERRORS
from bot.slack.permalinks import permalinks
from persistence import audit, reach

log = logging.getLogger(__name__)
Row = dict[str, Any]


async def dm_targets(deps: Deps, request_id: int) -> tuple[set[str], bool]:
    """Who gets DMs about a request: every eligible approver (groups expanded; after an
    escalation, ``escalate_to`` too), never the requester who may not approve, and
    nobody when the policy does not DM or anyone may decide. The flag is False when
    Slack cannot list a group right now: only the users known so far are returned."""
    async with deps.pool.connection() as conn:
        loaded = await load_view(conn, request_id)
    if loaded is None:
        return set(), True
    _, row, _ = loaded
    policy = policy_model(row)
    if policy.notify != "dm" or row["status"] != "pending":
        return set(), True
    found = await eligible_users(deps, policy)
    if found is None:
        return set(), True
    if found.unresolved:
        log.warning("some DMs for request %s wait: Slack cannot list %s", request_id,
                    found.unresolved)
    targets = set(found)
    if not policy.allow_self_approval:
        targets.discard(row["requested_by"])
    return targets, not found.unresolved


async def send_dms(deps: Deps, request_id: int) -> int:
    """DM the request to each target (see :func:`dm_targets`) not DMed yet; returns the
    count. The round is then marked done; until it is, the sweeper runs it again (a
    crash after the post, a group Slack could not list)."""
    targets, complete = await dm_targets(deps, request_id)
    sent = await _send_each(deps, request_id, targets) if targets else 0
    async with deps.pool.connection() as conn:
        # A DM another sender claimed and has not sent yet keeps the round open.
        if complete and not await reach.unsent_dms(conn, request_id):
            await reach.set_dms_sent(conn, request_id, now=deps.clock())
    return sent


async def send_to(deps: Deps, request_id: int, targets: set[str]) -> int:
    """DM the request, with its buttons, to each of ``targets`` not DMed it yet."""
    return await _send_each(deps, request_id, targets) if targets else 0


async def _send_each(deps: Deps, request_id: int, targets: set[str]) -> int:
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
        METRICS.inc("approvals_dms_sent_total")
    return sent


async def update_dms(
    deps: Deps,
    request_id: int,
    *,
    dms: list[Row] | None = None,
    drawn: tuple[RequestView, Row] | None = None,
) -> None:
    """Rewrite every DM of a request from its stored state (a failure is only logged).

    A caller that has just read the DMs (``dms``) or drawn the view and its row
    (``drawn``) passes them in, and they are not read again.
    """
    if dms is None:
        async with deps.pool.connection() as conn:
            dms = await reach.dms_of(conn, request_id)
    if not dms:
        return
    if drawn is None:
        async with deps.pool.connection() as conn:
            loaded = await load_view(conn, request_id)
        if loaded is None:
            return
        drawn = loaded[0], loaded[1]
    view, row = drawn
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
