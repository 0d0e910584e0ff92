"""The pieces every approval message is made of: argument fields, buttons, outcome lines."""

from __future__ import annotations

from typing import Any

from bot.blocks.edit_modal import changed_args
from bot.blocks.fields import label_of
from bot.blocks.format import clip, date_token, escape, mention, plural, show_value
from bot.blocks.version import encode_ref
from bot.blocks.view import DECIDED_ICONS, ActionView

MAX_BLOCKS = 50
BUTTON_TEXT = {"approve": "Approve", "reject": "Reject", "edit": "Edit", "respond": "Answer"}
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
    changed = {name for name, _, _ in changed_args(view.action.args, view.args)}
    for name, value in view.args.items():
        shown = show_value(value, limit=900)
        if name in changed:
            shown = f"{show_value(view.action.args.get(name), limit=400)} → {shown}"
        label = escape(label_of(view.action, name))
        fields.append({"type": "mrkdwn", "text": clip(f"*{label}*\n{shown}", 2000)})
    return fields


def args_blocks(view: ActionView) -> list[dict[str, Any]]:
    """The arguments as section fields (ten to a section), edits shown as old → new."""
    fields = _arg_fields(view)
    return [{"type": "section", "fields": fields[i : i + 10]} for i in range(0, len(fields), 10)]


def buttons(view: ActionView, *, kinds: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Approve / Reject / Edit (as allowed) and a "⋯" Cancel.

    A decision button's value names the exact version shown (approval id, round, argument
    digest); Cancel withdraws the whole request, whatever its version, so it carries the id.
    """
    elements = []
    value = encode_ref(view.approval_id, view.round, view.args)
    allowed = kinds or view.action.allowed
    for kind in sorted(allowed, key=list(BUTTON_TEXT).index):
        button: dict[str, Any] = {
            "type": "button",
            "action_id": kind,
            "text": {"type": "plain_text", "text": BUTTON_TEXT[kind]},
            "value": value,
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
    line = f"{DECIDED_ICONS[view.status]} *{STATUS_WORDS[view.status]}*"
    if view.votes:  # an expiry has nobody to name
        line += " by " + ", ".join(f"{mention(v.user)} {date_token(v.at)}" for v in view.votes)
    if view.reason:
        line += f"\n> {clip(escape(view.reason), 1500)}"
    return line


def progress_line(view: ActionView, required: int) -> str:
    """``1 of 2 approvals — ✅ <@A> at …`` while a quorum is being gathered."""
    done = ", ".join(f"✅ {mention(v.user)} {date_token(v.at)}" for v in view.approvals)
    return f"*{len(view.approvals)} of {plural(required, 'approval')}* — {done}"


def context(text: str) -> dict[str, Any]:
    """A one-line context block."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, 3000)}]}


def header_text(title: str) -> str:
    """A header's text: Slack refuses an empty one and cuts at 150 characters."""
    return clip(title.strip() or "Approval requested", 150)

