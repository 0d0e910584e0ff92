"""The request message: what is asked, by whom, and the buttons or the outcome."""

from __future__ import annotations

from typing import Any

from bot.blocks.format import clip, date_token, escape, mention, show_value
from bot.blocks.view import DECIDED_ICONS, ActionView, RequestView

MAX_BLOCKS = 50
BUTTON_TEXT = {"approve": "Approve", "reject": "Reject", "edit": "Edit", "respond": "Respond"}
STATUS_WORDS = {
    "approved": "Approved",
    "edited": "Edited and approved",
    "rejected": "Rejected",
    "responded": "Answered",
    "expired": "Expired",
    "cancelled": "Cancelled",
}


def _arg_fields(view: ActionView) -> list[dict[str, Any]]:
    fields = []
    for name, value in view.args.items():
        before = view.action.args.get(name, None)
        shown = show_value(value, limit=900)
        if name not in view.action.args or before != value:
            shown = f"{show_value(before, limit=400)} → {shown}"
        fields.append({"type": "mrkdwn", "text": clip(f"*{escape(name)}*\n{shown}", 2000)})
    return fields


def _args_blocks(view: ActionView) -> list[dict[str, Any]]:
    fields = _arg_fields(view)
    return [{"type": "section", "fields": fields[i : i + 10]} for i in range(0, len(fields), 10)]


def buttons(view: ActionView, *, kinds: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Approve / Reject / Edit (as allowed) and a "⋯" Cancel; values carry only the id."""
    elements = []
    allowed = kinds or view.action.allowed
    for kind in sorted(allowed, key=list(BUTTON_TEXT).index):
        button: dict[str, Any] = {
            "type": "button",
            "action_id": kind,
            "text": {"type": "plain_text", "text": BUTTON_TEXT[kind]},
            "value": str(view.approval_id),
        }
        if kind == "approve":
            button["style"] = "primary"
        elif kind == "reject":
            button["style"] = "danger"
        elements.append(button)
    elements.append(
        {
            "type": "overflow",
            "action_id": "cancel",
            "options": [
                {
                    "text": {"type": "plain_text", "text": "Cancel request"},
                    "value": str(view.approval_id),
                }
            ],
        }
    )
    return {"type": "actions", "block_id": f"decide:{view.approval_id}", "elements": elements}


def outcome_line(view: ActionView) -> str:
    """``✅ Approved by <@U…> at …`` naming every decider with their time."""
    who = ", ".join(f"{mention(v.user)} {date_token(v.at)}" for v in view.votes) or "the bot"
    line = f"{DECIDED_ICONS[view.status]} *{STATUS_WORDS[view.status]}* by {who}"
    if view.reason:
        line += f"\n> {clip(escape(view.reason), 1500)}"
    return line


def progress_line(view: ActionView, required: int) -> str:
    """``1 of 2 approvals — ✅ <@A> at …`` while a quorum is being gathered."""
    done = ", ".join(f"✅ {mention(v.user)} {date_token(v.at)}" for v in view.votes)
    return f"*{len(view.votes)} of {required} approvals* — {done}"


def _action_blocks(
    view: ActionView, *, required: int, numbered: int | None
) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if numbered is not None:
        head = f"*{numbered}. {escape(view.action.name)}*"
        if view.action.description:
            head += f"\n{clip(view.action.description, 2500)}"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": head}})
    blocks.extend(_args_blocks(view))
    if view.pending:
        if view.votes:
            blocks.append(_context(progress_line(view, required)))
        blocks.append(buttons(view))
    else:
        blocks.append(_context(outcome_line(view)))
    return blocks


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, 3000)}]}


def build_request_message(view: RequestView) -> tuple[str, list[dict[str, Any]]]:
    """The fallback text and blocks of a request message (≤ 50 blocks)."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": clip(view.title, 150)}}
    ]
    if view.description:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": clip(view.description, 3000)}}
        )
    many = len(view.actions) > 1
    for i, action in enumerate(view.actions, start=1):
        blocks.extend(
            _action_blocks(action, required=view.required_approvals, numbered=i if many else None)
        )
    meta = f"Requested by {mention(view.requested_by)} · graph `{view.graph}`"
    if view.required_approvals > 1:
        meta += f" · needs {view.required_approvals} different approvers"
    if view.expires_at and view.pending:
        meta += f" · expires {date_token(view.expires_at)}"
    blocks.append(_context(meta))
    if view.note:
        blocks.append(_context(f"⚠️ {view.note}"))
    if len(blocks) > MAX_BLOCKS:
        blocks = blocks[: MAX_BLOCKS - 1] + [_context("… more in the audit log")]
    state = "pending" if view.pending else "decided"
    return f"Approval {state}: {view.title}", blocks
