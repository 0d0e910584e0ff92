"""The request message: what is asked, by whom, and the buttons or the outcome."""

from __future__ import annotations

from typing import Any

from bot.blocks.approve_all import approve_all_block
from bot.blocks.compact import compact_action_blocks
from bot.blocks.context_fields import context_blocks
from bot.blocks.format import clip, date_token, escape, mention
from bot.blocks.headline import current_title
from bot.blocks.parts import (
    MAX_BLOCKS,
    args_blocks,
    buttons,
    context,
    header_text,
    outcome_line,
    progress_line,
)
from bot.blocks.show_all import show_all_block
from bot.blocks.standing import standing_block
from bot.blocks.view import ActionView, RequestView


def _action_blocks(
    view: ActionView, *, required: int, numbered: int | None
) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if numbered is not None:
        head = f"*{numbered}. {escape(view.action.name)}*"
        if view.action.description:
            head += f"\n{clip(escape(view.action.description), 2500)}"
        if view.pending and view.deciders:  # each call of a batch has its own deciders
            head += f"\n_Decided by {view.deciders}_"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": head}})
    blocks.extend(args_blocks(view))
    if view.pending:
        if view.approvals:
            blocks.append(context(progress_line(view, view.needs(required))))
        blocks.append(buttons(view))
    else:
        blocks.append(context(outcome_line(view)))
    return blocks


def build_request_message(view: RequestView) -> tuple[str, list[dict[str, Any]]]:
    """The fallback text and blocks of a request message (≤ 50 blocks).

    A batch too large for one section and one row of buttons per action (about 15+
    actions) is drawn compactly instead: see :func:`compact_action_blocks`.
    """
    title = current_title(view)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header_text(title)}}
    ]
    if title != view.title:  # edited: what the graph wrote describes the proposal, in grey
        blocks.append(context(_as_proposed(view)))
    elif view.description:
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": clip(escape(view.description), 3000)},
            }
        )
    blocks.extend(context_blocks(view.context))
    head = len(blocks)
    many = len(view.actions) > 1
    for i, action in enumerate(view.actions, start=1):
        blocks.extend(
            _action_blocks(action, required=view.required_approvals, numbered=i if many else None)
        )
    tail: list[dict[str, Any]] = []
    if (cut := show_all_block(view)) is not None:
        tail.append(cut)
    everything = approve_all_block(view)
    if everything is not None:
        tail.append(everything)
    standing = standing_block(view)
    if standing is not None:
        tail.append(standing)
    meta = f"{_requester(view)} · graph `{escape(view.graph)}`"
    if not many:
        meta += f" · action `{escape(view.actions[0].action.name)}`"
    if view.required_approvals > 1:
        meta += f" · needs {view.required_approvals} different approvers"
    if view.deciders and view.pending:
        meta += f" · after the edit, decided by {view.deciders}"
    meta += due_text(view)
    tail.append(context(meta))
    if view.note:
        tail.append(context(f"⚠️ {escape(view.note)}"))  # errors quote untrusted values
    if len(blocks) + len(tail) > MAX_BLOCKS:
        budget = MAX_BLOCKS - head - len(tail)
        blocks = blocks[:head] + compact_action_blocks(
            view.actions, required=view.required_approvals, budget=budget
        )
    blocks.extend(tail)
    state = "pending" if view.pending else "decided"
    return f"Approval {state}: {clip(escape(title), 2900)}", blocks


def _requester(view: RequestView) -> str:
    if view.requested_by is None and view.claimed_by:
        return f"Requested by {mention(view.claimed_by)} _(claimed by the run, not verified)_"
    return f"Requested by {mention(view.requested_by)}"


def due_text(view: RequestView) -> str:
    """`` · expires …``, `` · ⏰ overdue since …`` and `` · ⤴️ escalated to …`` as they apply."""
    if not view.pending:
        return ""
    text = ""
    if view.expires_at and view.waits and view.overdue:
        text += f" · ⏰ *overdue* since {date_token(view.expires_at)}"
    elif view.expires_at:
        verb = "due" if view.waits else "expires"
        text += f" · {verb} {date_token(view.expires_at)}"
    if view.escalated:
        who = ", ".join(mention(u) for u in view.escalated_to)
        text += f" · ⤴️ escalated{f' to {who}' if who else ''}"
    return text


def _as_proposed(view: RequestView) -> str:
    proposed = f"✏️ _Edited. As first proposed:_ *{escape(clip(view.title, 200))}*"
    return f"{proposed}\n{escape(view.description)}" if view.description else proposed
