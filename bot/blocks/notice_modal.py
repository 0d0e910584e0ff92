"""A one-paragraph modal, shown when a submission outlives Slack's 3-second window."""

from __future__ import annotations

from typing import Any

from bot.blocks.format import clip


def build_notice_modal(*, title: str, text: str) -> dict[str, Any]:
    """A modal with a title (≤ 24 chars), a Close button and one mrkdwn section."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": clip(title, 24)},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": clip(text, 3000)}}],
    }
