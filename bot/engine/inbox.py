"""The open requests one person may decide: for ``/approvals pending`` and the App Home."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.headline import headline
from bot.blocks.view import ActionView, Waiting
from bot.engine.decide import eligible_users
from bot.engine.deps import Deps
from bot.engine.load import current_args, policy_model, proposed_action
from bot.errors import ApprovalError
from bot.policy import check_can_decide
from bot.slack.permalinks import permalinks
from persistence import inbox

log = logging.getLogger(__name__)
LINK_BUDGET_S = 1.0  # /approvals answers inside Slack's 3 s: a slow link is left out


async def _may_decide(deps: Deps, row: dict[str, Any], user: str) -> bool:
    policy = policy_model(row)
    try:
        check_can_decide(
            policy,
            user=user,
            requester=row["requested_by"],
            decision="approve",
            eligible_users=await eligible_users(deps, policy),
            already_approved_by=row["voters"],
        )
    except ApprovalError:
        return False
    return True


async def waiting_for(deps: Deps, user: str) -> list[Waiting]:
    """Open, posted requests ``user`` may approve now, oldest first."""
    async with deps.pool.connection() as conn:
        rows = await inbox.open_requests(conn)
    items = [
        Waiting(int(r["id"]), _headline(r), r["channel"], r["message_ts"], r["expires_at"])
        for r in rows
        if await _may_decide(deps, r, user)
    ]
    return await with_links(deps.slack, items)


def _headline(row: dict[str, Any]) -> str:
    """The request's title, or the edited arguments' headline, as its message shows it."""
    actions = [
        ActionView(0, proposed_action(a), current_args(a), a["status"])
        for a in row["actions"] or []
    ]
    return headline(row["title"] or "Approval requested", actions)


async def with_links(
    client: AsyncWebClient, items: list[Waiting], *, budget_s: float = LINK_BUDGET_S
) -> list[Waiting]:
    """``items`` with their permalinks, fetched at once; those not in by ``budget_s``
    (or refused) are left without a link rather than delaying the answer."""
    cache = permalinks(client)
    tasks = [asyncio.ensure_future(cache.get(i.channel, i.message_ts)) for i in items]
    if tasks:
        await asyncio.wait(tasks, timeout=budget_s)
    links = [t.result() if t.done() and t.exception() is None else None for t in tasks]
    for task in tasks:
        if not task.done():
            task.cancel()  # it would only fill the cache; the answer leaves without it
    return [replace(item, link=link) for item, link in zip(items, links, strict=True)]
