"""The pieces every approval message is made of: argument fields, buttons, outcome lines."""

from __future__ import annotations

from typing import Any

from bot.blocks.approve_all import cancel_menu
from bot.blocks.edit_modal import changed_args
from bot.blocks.fields import label_of
from bot.blocks.format import clip, date_token, escape, mention, plural
from bot.blocks.values import arg_value
from bot.blocks.version import encode_ref
from bot.blocks.view import DECIDED_ICONS, ActionView

MAX_BLOCKS = 50
FIELD_SHOWN = 300  # of one value: about eight lines on a phone (the rest: Show all)
MANY_ARGS = 10  # more than this many arguments: the first ARGS_SHOWN, then Show all
ARGS_SHOWN = 8
BUTTON_TEXT = {"approve": "Approve", "reject": "Reject", "edit": "Edit", "respond": "Answer"}
RUN_ID = "approve_run"
RUN_TEXT = "Approve for this run"
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
        shown = arg_value(view.action, name, value, limit=FIELD_SHOWN)
        if name in changed:
            old = arg_value(view.action, name, view.action.args.get(name), limit=400)
            shown = f"{old} → {shown}"
        label = escape(label_of(view.action, name))
        fields.append({"type": "mrkdwn", "text": clip(f"*{label}*\n{shown}", 2000)})
    return fields


def args_blocks(view: ActionView) -> list[dict[str, Any]]:
    """The arguments as section fields (ten to a section), edits shown as old → new.

    Past :data:`MANY_ARGS` only the first :data:`ARGS_SHOWN` are (the rest: Show all)."""
    fields = _arg_fields(view)
    if len(fields) > MANY_ARGS:
        fields = fields[:ARGS_SHOWN]
    return [{"type": "section", "fields": fields[i : i + 10]} for i in range(0, len(fields), 10)]


def buttons(
    view: ActionView, *, kinds: tuple[str, ...] | None = None, cancel: bool = True
) -> dict[str, Any]:
    """Approve / Reject / Edit (as allowed), "Approve for this run" where the action's
    policy offers it, and a "⋯" Cancel (a batch has one Cancel, in its batch row:
    ``cancel=False``).

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
        if kind == "approve" and view.for_run:
            elements.append({"type": "button", "action_id": RUN_ID, "value": value,
                             "text": {"type": "plain_text", "text": RUN_TEXT}})
    if cancel:
        elements.append(cancel_menu(view.approval_id))
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

