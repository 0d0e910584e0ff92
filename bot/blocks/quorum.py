"""The threaded reply that gathers the second (and further) approvals."""

from __future__ import annotations

from typing import Any

from bot.blocks.format import clip, escape
from bot.blocks.request import _args_blocks, _context, buttons, outcome_line, progress_line
from bot.blocks.view import RequestView

MAX_BLOCKS = 50


def build_quorum_reply(view: RequestView) -> tuple[str, list[dict[str, Any]]]:
    """Ask for the next approval of the arguments as approved so far, or show the outcome."""
    required = view.required_approvals
    blocks: list[dict[str, Any]] = []
    for action in view.actions:
        if action.pending:
            head = (
                f"🔐 *{required - len(action.votes)} more approval"
                f"{'s' if required - len(action.votes) > 1 else ''} needed* for "
                f"*{escape(clip(view.title, 200))}* — from someone who has not approved yet."
            )
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": head}})
            blocks.extend(_args_blocks(action))
            if action.votes:
                blocks.append(_context(progress_line(action, required)))
            blocks.append(buttons(action))
        else:
            blocks.append(_context(outcome_line(action)))
    blocks = blocks[:MAX_BLOCKS]
    state = "needed" if view.pending else "complete"
    return f"Further approval {state}: {view.title}", blocks
