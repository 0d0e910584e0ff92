"""What waits for one person: a text for ``/approvals pending``, a view for the App Home."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.blocks.format import clip, date_token, escape, link
from bot.blocks.view import Waiting

SHOWN = 30
HELP = (
    "*Approvals* — LangGraph runs ask here before they act.\n"
    "• Click *Approve*, *Reject* or *Edit* on a request; edits are validated before the run "
    "resumes.\n"
    "• Some requests need two different people: the first approval asks for a second one "
    "in the message's thread.\n"
    "• `/approvals pending` lists the open requests you may decide.\n"
    "• `/approvals help` shows this."
)
NOTHING = "Nothing is waiting for you. 🎉"


def _line(item: Waiting) -> str:
    title = escape(clip(item.title, 150))
    if linked := link(item.link, title):
        return f"• {linked}"
    return f"• {title} (in <#{escape(item.channel)}>)"  # no link from Slack: say where


def build_pending_text(items: Sequence[Waiting]) -> str:
    """One linked line per request (at most 30, then a count)."""
    if not items:
        return NOTHING
    lines = [f"*{len(items)} request{'s' if len(items) > 1 else ''} you may decide:*"]
    lines += [_line(item) for item in items[:SHOWN]]
    if len(items) > SHOWN:
        lines.append(f"… and {len(items) - SHOWN} more.")
    return "\n".join(lines)


def build_home_view(items: Sequence[Waiting]) -> dict[str, Any]:
    """The App Home tab: what waits for this person, newest state each time it opens."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Waiting for you"}},
    ]
    if not items:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": NOTHING}})
    for item in items[:SHOWN]:
        text = _line(item)
        if item.expires_at:
            text += f"\n_expires {date_token(item.expires_at)}_"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    if len(items) > SHOWN:
        more = f"… and {len(items) - SHOWN} more, oldest first above."
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]})
    blocks += [{"type": "divider"}, {"type": "section", "text": {"type": "mrkdwn", "text": HELP}}]
    return {"type": "home", "blocks": blocks}
