"""The threaded reply that gathers the second (and further) approvals."""

from __future__ import annotations

from typing import Any

from bot.blocks.compact import compact_action_blocks
from bot.blocks.format import clip, escape
from bot.blocks.parts import MAX_BLOCKS, args_blocks, buttons, context, outcome_line, progress_line
from bot.blocks.view import ActionView, RequestView


def _needed(view: RequestView, action: ActionView | None) -> str:
    required = view.required_approvals
    more = required - len(action.votes) if action else required
    what = f"{more} more approval{'s' if more > 1 else ''}" if action else "More approvals"
    return (
        f"🔐 *{what} needed* for *{escape(clip(view.title, 200))}* — "
        "from someone who has not approved yet."
    )


def _full(view: RequestView) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for action in view.actions:
        if action.pending:
            text = _needed(view, action)
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
            blocks.extend(args_blocks(action))
            if action.votes:
                blocks.append(context(progress_line(action, view.required_approvals)))
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
    state = "needed" if view.pending else "complete"
    return f"Further approval {state}: {clip(escape(view.title), 2900)}", blocks
