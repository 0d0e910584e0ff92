"""One request in a person's list (App Home, ``/approvals pending``): who asks, where,
its key arguments, progress and expiry, with Approve and Reject right there."""

from __future__ import annotations

from typing import Any

from bot.blocks.format import clip, date_token, escape, link, mention
from bot.blocks.view import Waiting


def item_line(item: Waiting) -> str:
    """``• <link|Pay $2,500.00 to acme>`` (or its channel when there is no link)."""
    title = escape(clip(item.title, 150))
    if linked := link(item.link, title):
        return f"• {linked}"
    return f"• {title} (in <#{escape(item.channel)}>)"  # no link from Slack: say where


def item_details(item: Waiting) -> str:
    """``by <@U> in <#C> · 1 of 2 approvals · expires …`` and the key arguments."""
    parts = [f"by {mention(item.requested_by)} in <#{escape(item.channel)}>"]
    if item.progress:
        parts.append(item.progress)
    if item.expires_at:
        parts.append(f"expires {date_token(item.expires_at)}")
    text = " · ".join(parts)
    return f"{text}\n{item.args_line}" if item.args_line else text


def item_blocks(item: Waiting) -> list[dict[str, Any]]:
    """A section with the request and, for a single action, its Approve and Reject
    buttons (the same action ids and versioned values as in the request message)."""
    text = clip(f"{item_line(item)}\n{item_details(item)}", 3000)
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    if item.decide is not None:
        approval_id, value = item.decide
        blocks.append({
            "type": "actions",
            "block_id": f"decide:{approval_id}",
            "elements": [
                _button("approve", "Approve", "primary", value),
                _button("reject", "Reject", "danger", value),
            ],
        })
    return blocks


def _button(action_id: str, text: str, style: str, value: str) -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "style": style, "value": value,
            "text": {"type": "plain_text", "text": text}}
