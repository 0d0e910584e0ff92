"""The request message: what is asked, by whom, and the buttons or the outcome."""

from __future__ import annotations

from typing import Any

from bot.blocks.approve_all import approve_all_block
from bot.blocks.compact import compact_action_blocks
from bot.blocks.context_fields import context_blocks
from bot.blocks.format import clip, date_token, escape, mention
from bot.blocks.headline import current_title
from bot.blocks.outcome import collapsed_args, headline_text, notification_text, waiting_line
from bot.blocks.parts import (
    MAX_BLOCKS,
    args_blocks,
    buttons,
    context,
    header_text,
    outcome_line,
)
from bot.blocks.reasoning import reasoning_block
from bot.blocks.show_all import DESCRIPTION_SHOWN, repeats_an_argument, show_all_block
from bot.blocks.standing import standing_block
from bot.blocks.view import ActionView, RequestView
from graphs.adapters.common import humanize


def _action_blocks(
    view: ActionView, *, required: int, numbered: int | None
) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if numbered is not None:
        head = f"*{numbered}. {escape(humanize(view.action.name))}*"
        if view.action.description:
            head += f"\n{clip(escape(view.action.description), 2500)}"
        if view.pending and not view.approvals:  # one block less per call of a batch
            head += f"\n{waiting_line(view, view.needs(required))}"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": head}})
    if view.pending:
        blocks.extend(args_blocks(view))
        if numbered is None or view.approvals:
            blocks.append(context(waiting_line(view, view.needs(required))))
        blocks.append(buttons(view, cancel=numbered is None))  # a batch: Cancel in its row
    else:  # once decided, the arguments collapse to what matters
        line = outcome_line(view)
        if (args := collapsed_args(view)) is not None:
            line = f"{args}\n{line}"
        blocks.append(context(line))
    return blocks


def build_request_message(view: RequestView) -> tuple[str, list[dict[str, Any]]]:
    """The fallback text and blocks of a request message (≤ 50 blocks).

    A batch too large for one section and one row of buttons per action (about 15+
    actions) is drawn compactly instead: see :func:`compact_action_blocks`.
    """
    title = current_title(view)
    head_text = header_text(headline_text(view, title))
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": head_text}}
    ]
    if title != view.title:  # edited: what the graph wrote describes the proposal, in grey
        blocks.append(context(_as_proposed(view)))
    elif view.description and not repeats_an_argument(view):
        text = escape(clip(view.description, DESCRIPTION_SHOWN))  # the rest: Show all
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    if (said := reasoning_block(view.reasoning)) is not None:
        blocks.append(said)
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
    if everything is not None:  # apart from the last call's buttons, so no mis-tap
        tail += [{"type": "divider"}, context("*Every call at once:*"), everything]
    standing = standing_block(view)
    if standing is not None:
        tail.append(standing)
    names = ", ".join(f"`{escape(a.action.name)}`" for a in view.actions[:10])
    meta = f"{_requester(view)} · {escape(humanize(view.graph))} · {names}"
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
            view.actions, required=view.required_approvals, budget=budget,
            cancel=everything is None,
        )
    blocks.extend(tail)
    return clip(escape(notification_text(view, title)), 2900), blocks


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
