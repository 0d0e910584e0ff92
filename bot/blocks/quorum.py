"""The threaded reply that gathers the second (and further) approvals."""

from __future__ import annotations

from typing import Any

from bot.blocks.compact import compact_action_blocks
from bot.blocks.format import clip, escape, plural
from bot.blocks.headline import current_title
from bot.blocks.parts import (
    MAX_BLOCKS,
    STATUS_WORDS,
    args_blocks,
    buttons,
    context,
    outcome_line,
    progress_line,
)
from bot.blocks.view import ActionView, RequestView


def _needed(view: RequestView, action: ActionView | None) -> str:
    more = action.needs(view.required_approvals) - len(action.approvals) if action else 0
    what = f"{plural(more, 'more approval')}" if more > 0 else "More approvals"
    return (
        f"🔐 *{what} needed* for *{escape(clip(current_title(view), 200))}* — "
        "from someone who has not approved yet."
    )


def _full(view: RequestView) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for action in view.actions:
        if action.pending:
            text = _needed(view, action)
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
            blocks.extend(args_blocks(action))
            if action.approvals:
                blocks.append(context(progress_line(action, action.needs(view.required_approvals))))
            blocks.append(buttons(action))
        else:
            blocks.append(context(outcome_line(action)))
    return blocks


def build_quorum_reply(view: RequestView) -> tuple[str, list[dict[str, Any]]]:
    """Ask for the next approval of the arguments as approved so far, or show the outcome.

    A batch too large for one message falls back to the compact layout of the request
    message, so every pending action keeps its buttons (≤ 50 blocks).
    """
    blocks = _full(view)
    if len(blocks) > MAX_BLOCKS:
        head = {"type": "section", "text": {"type": "mrkdwn", "text": _needed(view, None)}}
        compact = compact_action_blocks(
            view.actions, required=view.required_approvals, budget=MAX_BLOCKS - 1
        )
        blocks = [head, *compact]
    return _text(view), blocks


def _text(view: RequestView) -> str:
    """The notification: still needed, or how it ended ("complete" only when approved)."""
    title = escape(clip(current_title(view), 2900))
    if view.pending:
        return f"Further approval needed: {title}"
    statuses = {a.status for a in view.actions}
    if statuses <= {"approved", "edited"}:
        return f"Further approval complete: {title}"
    ended = STATUS_WORDS[statuses.pop()] if len(statuses) == 1 else "Decided"
    return f"{ended}: {title}"
