"""Long text is never cut silently: the message says so, and **Show all** opens it whole.

A Slack message cuts a header at 150 characters, a section at 3,000 and a field at
2,000; the request message shows values up to those limits. When any value is longer,
the message says so in a section with a **Show all** button, which opens a modal
holding every value whole, in as many sections as it takes (a modal holds 100 blocks,
about 290,000 characters; past that the modal says so).
"""

from __future__ import annotations

from typing import Any

from bot.blocks.format import escape, show_value
from bot.blocks.view import RequestView

FIELD_LIMIT = 900  # what a request message shows of one value (bot.blocks.parts)
CHUNK = 2900
MAX_MODAL_BLOCKS = 100
WHOLE = 10**9
MAX_NAME = 1000  # an action name longer than this may not fit the message's context line
NOTE = ("✂️ Some of what this run sent is longer than a Slack message can show, so it is "
        "cut above. *Show all* opens every value whole.")


def _cut(value: Any, limit: int = FIELD_LIMIT) -> bool:
    return show_value(value, limit=limit) != show_value(value, limit=WHOLE)


def is_cut(view: RequestView) -> bool:
    """Whether the message cannot show some value whole."""
    if len(view.title) > 150 or len(escape(view.description or "")) > 3000:
        return True
    values = [*view.context.values()]
    for action in view.actions:
        values.extend(action.args.values())
        if len(escape(action.action.description or "")) > 2500:
            return True
        if len(escape(action.action.name)) > MAX_NAME:  # the message's context line cuts it
            return True
    return any(_cut(value) for value in values)


def show_all_block(view: RequestView) -> dict[str, Any] | None:
    """The "cut above; Show all" section, or None when everything is shown whole."""
    if not is_cut(view):
        return None
    return {
        "type": "section",
        "block_id": f"show_all:{view.request_id}",
        "text": {"type": "mrkdwn", "text": NOTE},
        "accessory": {
            "type": "button",
            "action_id": "show_all",
            "text": {"type": "plain_text", "text": "Show all"},
            "value": str(view.request_id),
        },
    }


def _pieces(view: RequestView) -> list[str]:
    pieces = [f"*Title*\n{escape(view.title)}"]
    if view.description:
        pieces.append(f"*Description*\n{escape(view.description)}")
    for name, value in view.context.items():
        pieces.append(f"*{escape(name)}* _(context)_\n{show_value(value, limit=WHOLE)}")
    for action in view.actions:
        pieces.append(f"*Action*\n{escape(action.action.name)}")
        if action.action.description:
            pieces.append(f"*Description*\n{escape(action.action.description)}")
        for name, value in action.args.items():
            pieces.append(f"*{escape(name)}*\n{show_value(value, limit=WHOLE)}")
    return pieces


def build_show_all_modal(view: RequestView, *, thread_id: str) -> dict[str, Any]:
    """A modal with every value of the request whole (see the module docstring)."""
    chunks = [piece[i : i + CHUNK] for piece in _pieces(view)
              for i in range(0, max(len(piece), 1), CHUNK)]
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": c}} for c in chunks]
    if len(blocks) > MAX_MODAL_BLOCKS:
        rest = sum(len(c) for c in chunks[MAX_MODAL_BLOCKS - 1 :])
        blocks = blocks[: MAX_MODAL_BLOCKS - 1] + [{"type": "section", "text": {
            "type": "mrkdwn",
            "text": f"⚠️ {rest:,} more characters do not fit in a Slack modal, so they are "
                    f"cut here. Run `{escape(thread_id)}` holds them.",
        }}]
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Everything sent"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": blocks,
    }
