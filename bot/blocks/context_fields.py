"""The read-only context of a request (``reasoning``, a generic dict's extra keys…)."""

from __future__ import annotations

from typing import Any

from bot.blocks.fields import title_or
from bot.blocks.format import clip, escape, show_value


def context_blocks(context: dict[str, Any]) -> list[dict[str, Any]]:
    """The context as section fields (ten to a section), each marked read-only."""
    fields = [
        {
            "type": "mrkdwn",
            "text": clip(f"*{escape(title_or({}, name))}* _(context)_\n"
                         f"{show_value(value, limit=900)}", 2000),
        }
        for name, value in context.items()
    ]
    return [{"type": "section", "fields": fields[i : i + 10]} for i in range(0, len(fields), 10)]
