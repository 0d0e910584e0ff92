"""The open requests one person may decide: for ``/approvals pending`` and the App Home."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.format import clip, escape
from bot.blocks.headline import headline
from bot.blocks.inbox import COUNT_CAP
from bot.blocks.values import key_args
from bot.blocks.version import encode_ref
from bot.blocks.view import ActionView, InboxPage, Waiting
from bot.engine.decide import eligible_users
from bot.engine.deps import Deps
from bot.engine.load import current_args, policy_model, proposed_action
from bot.errors import ApprovalError, NotFound
from bot.policy import check_can_decide
from bot.slack.permalinks import permalinks
from persistence import inbox

log = logging.getLogger(__name__)
LINK_BUDGET_S = 1.0  # /approvals answers inside Slack's 3 s: a slow link is left out
PAGE = 30  # items per page: a Slack answer and the App Home stay short
CHUNK = 100  # rows read per round trip while looking for a page's items
WINDOW = 500  # open requests walked in age order before the deciders index takes over
MAX_PAGE = 10_000


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


def page_number(text: str | None) -> int:
    """The page a person asked for (``/approvals pending 2``); 1 when none is given."""
    if not text:
        return 1
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise NotFound(f"There is no page {escape(clip(text, 20))}: ask for a page from 1 "
                       f"to {MAX_PAGE}, such as `/approvals pending 2`.")
    return int(text)


async def waiting_for(deps: Deps, user: str, *, page: int = 1) -> InboxPage:
    """Open, posted requests ``user`` may approve now, oldest first, one page of them.

    Every open request is considered, so nothing that waits for the user is missed
    however many wait for others, and the cost stays flat: the next ``WINDOW`` open
    requests are walked in age order (enough where many wait for the user), the rest are
    found through the deciders index (where few do), and the scan stops once the page and
    one more item are known.
    """
    skip = (page - 1) * PAGE
    need = skip + PAGE + 1
    async with deps.pool.connection() as conn:
        total = await inbox.count_open(conn, cap=COUNT_CAP + 1)
        rows = await inbox.open_in_window(
            conn, user, after=inbox.START, window=WINDOW, limit=need
        )
    found = [r for r in rows if await _may_decide(deps, r, user)]
    after: inbox.Cursor | None = _cursor(rows[-1]) if len(rows) == need else None
    if len(found) < need and after is None:
        async with deps.pool.connection() as conn:
            after = await inbox.window_end(conn, after=inbox.START, window=WINDOW)
    while len(found) < need and after is not None:
        async with deps.pool.connection() as conn:
            rows = await inbox.open_after(conn, user, after=after, limit=CHUNK)
        found += [r for r in rows if await _may_decide(deps, r, user)]
        after = _cursor(rows[-1]) if len(rows) == CHUNK else None
    shown = sorted((waiting_item(r) for r in found[skip : skip + PAGE]), key=_urgency)
    items = await with_links(deps.slack, shown)
    return InboxPage(items, page, skip + 1, len(found) > skip + PAGE, total)


def _cursor(row: dict[str, Any]) -> inbox.Cursor:
    return (row["created_at"], int(row["id"]))


def _urgency(item: Waiting) -> tuple[bool, Any]:
    """The soonest to expire first (the page is already the oldest ones)."""
    return (item.expires_at is None, item.expires_at)


def waiting_item(row: dict[str, Any]) -> Waiting:
    """One open request as a person's list shows it: who asks, key arguments, progress,
    and for a single waiting action the versioned value of its Approve and Reject."""
    waiting = [a for a in row["actions"] or [] if a["status"] == "pending"]
    decide = None
    args_line = None
    if len(waiting) == 1:
        one = waiting[0]
        action, args = proposed_action(one), current_args(one)
        args_line = key_args(action, args)
        if "approve" in action.allowed:
            decide = (int(one["id"]), encode_ref(int(one["id"]), int(one["round"]), args))
    required = policy_model(row).required_approvals
    voters = len(set(row["voters"] or []))
    return Waiting(
        int(row["id"]), headline_of(row), row["channel"], row["message_ts"], row["expires_at"],
        requested_by=row["requested_by"],
        args_line=args_line,
        progress=f"{voters} of {required} approvals" if voters else None,
        decide=decide,
    )


def headline_of(row: dict[str, Any]) -> str:
    """The request's title, or the edited arguments' headline, as its message shows it
    (``row`` has the request's ``title`` and its ``actions`` as they stand)."""
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
