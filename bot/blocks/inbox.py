"""What waits for one person: a text for ``/approvals pending``, a view for the App Home."""

from __future__ import annotations

from typing import Any

from bot.blocks.inbox_item import item_blocks, item_details, item_line
from bot.blocks.view import InboxPage

HOME_PAGE_ACTION = "home_page"
COUNT_CAP = 10_000  # past this many open requests the total is said as "more than"
HELP = (
    "*Approvals* — LangGraph runs ask here before they act.\n"
    "• Click *Approve*, *Reject* or *Edit* on a request; edits are validated before the run "
    "resumes.\n"
    "• Some requests need two different people: the first approval asks for a second one "
    "in the message's thread.\n"
    "• `/approvals pending` lists the open requests you may decide; `/approvals pending 2` "
    "shows the next page.\n"
    "• `/approvals standing` lists the standing approvals (\"Approve & allow for …\") you "
    "can revoke.\n"
    "• `/approvals help` shows this."
)
NOTHING = "Nothing is waiting for you. 🎉"
BUTTONED = 20


def _heading(page: InboxPage) -> str:
    if page.page == 1 and not page.more:
        n = len(page.items)
        return f"*{n} request{'s' if n > 1 else ''} you may decide:*"
    return f"*Requests you may decide, {page.first}–{page.first + len(page.items) - 1}:*"


def _footer(page: InboxPage, *, next_hint: str) -> str:
    n = page.total_open
    if n > COUNT_CAP:
        text = f"_More than {COUNT_CAP:,} open requests in all._"
    else:
        text = f"_{n:,} open request{'s' if n != 1 else ''} in all._"
    return f"{next_hint} {text}" if page.more else text


def build_pending_text(page: InboxPage) -> str:
    """One linked line per request of the page, then where the next page is."""
    if not page.items:
        return NOTHING if page.page == 1 else f"Nothing more on page {page.page}."
    lines = [_heading(page)] + [
        f"{item_line(item)}\n      {item_details(item)}" for item in page.items
    ]
    lines.append(_footer(page, next_hint=f"More: `/approvals pending {page.page + 1}`."))
    return "\n".join(lines)


def build_pending_blocks(page: InboxPage) -> list[dict[str, Any]] | None:
    """The same page as blocks, with Approve and Reject beside each single-action
    request (the first :data:`BUTTONED` of them: a message holds 50 blocks)."""
    if not page.items:
        return None
    blocks: list[dict[str, Any]] = [_section(_heading(page))]
    for item in page.items[:BUTTONED]:
        blocks += item_blocks(item)
    rest = page.items[BUTTONED:]
    if rest:
        blocks.append(_section("\n".join(item_line(i) for i in rest)[:3000]))
    footer = _footer(page, next_hint=f"More: `/approvals pending {page.page + 1}`.")
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": footer}]})
    return blocks


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def build_home_view(page: InboxPage) -> dict[str, Any]:
    """The App Home tab: one page of what waits for this person, with buttons to page."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Waiting for you"}},
    ]
    if not page.items:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": NOTHING}})
    else:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _heading(page)}})
    for item in page.items:
        blocks += item_blocks(item)
    footer = _footer(page, next_hint="")
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": footer}]})
    buttons = [_page_button("← Newer", page.page - 1)] if page.page > 1 else []
    buttons += [_page_button("Older →", page.page + 1)] if page.more else []
    if buttons:
        blocks.append({"type": "actions", "block_id": "home_pages", "elements": buttons})
    blocks += [{"type": "divider"}, {"type": "section", "text": {"type": "mrkdwn", "text": HELP}}]
    return {"type": "home", "blocks": blocks}


def _page_button(label: str, page: int) -> dict[str, Any]:
    return {
        "type": "button", "action_id": HOME_PAGE_ACTION, "value": str(page),
        "text": {"type": "plain_text", "text": label},
    }
