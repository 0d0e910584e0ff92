"""The request message: what is asked, by whom, and the buttons or the outcome."""

from __future__ import annotations

from typing import Any

from bot.blocks.edit_modal import changed_args
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
    changed = {name for name, _, _ in changed_args(view.action.args, view.args)}
    for name, value in view.args.items():
        shown = show_value(value, limit=900)
        if name in changed:
            shown = f"{show_value(view.action.args.get(name), limit=400)} → {shown}"
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
    line = f"{DECIDED_ICONS[view.status]} *{STATUS_WORDS[view.status]}*"
    if view.votes:  # an expiry has nobody to name
        line += " by " + ", ".join(f"{mention(v.user)} {date_token(v.at)}" for v in view.votes)
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
    """The fallback text and blocks of a request message (≤ 50 blocks).

    A batch too large for one section and one row of buttons per action (about 15+
    actions) is drawn compactly instead: see :func:`compact_action_blocks`.
    """
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header_text(view.title)}}
    ]
    if view.description:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": clip(view.description, 3000)}}
        )
    head = len(blocks)
    many = len(view.actions) > 1
    for i, action in enumerate(view.actions, start=1):
        blocks.extend(
            _action_blocks(action, required=view.required_approvals, numbered=i if many else None)
        )
    tail: list[dict[str, Any]] = []
    meta = f"Requested by {mention(view.requested_by)} · graph `{view.graph}`"
    if view.required_approvals > 1:
        meta += f" · needs {view.required_approvals} different approvers"
    if view.expires_at and view.pending:
        meta += f" · expires {date_token(view.expires_at)}"
    tail.append(_context(meta))
    if view.note:
        tail.append(_context(f"⚠️ {view.note}"))
    if len(blocks) + len(tail) > MAX_BLOCKS:
        budget = MAX_BLOCKS - head - len(tail)
        blocks = blocks[:head] + compact_action_blocks(
            view.actions, required=view.required_approvals, budget=budget
        )
    blocks.extend(tail)
    state = "pending" if view.pending else "decided"
    return f"Approval {state}: {clip(view.title, 2900)}", blocks


def header_text(title: str) -> str:
    """A header's text: Slack refuses an empty one and cuts at 150 characters."""
    return clip(title.strip() or "Approval requested", 150)


COMPACT_VALUE = 150
DECIDED_BLOCKS = 5  # at most 50 decided lines, ten to a context block


def _compact_section(index: int, view: ActionView, required: int) -> dict[str, Any]:
    lines = [f"*{index}. {escape(view.action.name)}*"]
    lines += [
        f"*{escape(k)}*: {show_value(v, limit=COMPACT_VALUE, inline=True)}"
        for k, v in view.args.items()
    ]
    if view.votes:
        lines.append(progress_line(view, required))
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip("\n".join(lines), 3000)}}


def _decided_summary(decided: list[tuple[int, ActionView]]) -> list[dict[str, Any]]:
    lines = [f"{i}. {escape(clip(a.action.name, 80))} — {outcome_line(a)}" for i, a in decided]
    cap = DECIDED_BLOCKS * 10
    if len(lines) > cap:
        lines = lines[: cap - 1] + [f"… and {len(lines) - cap + 1} more decided"]
    return [
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": clip(t, 3000)} for t in lines[i : i + 10]],
        }
        for i in range(0, len(lines), 10)
    ]


def compact_action_blocks(
    actions: list[ActionView], *, required: int, budget: int
) -> list[dict[str, Any]]:
    """The actions in at most ``budget`` blocks, every one still decidable in turn.

    Decided actions shrink to one line each; pending ones get a section (arguments
    inline) and their buttons, as many as fit. The rest are named, and appear with
    their buttons as soon as the ones shown are decided (the message is redrawn).
    """
    numbered = list(enumerate(actions, start=1))
    blocks = _decided_summary([(i, a) for i, a in numbered if not a.pending])
    pending = [(i, a) for i, a in numbered if a.pending]
    room = budget - len(blocks)
    fit = room // 2 if 2 * len(pending) <= room else max(room - 1, 0) // 2
    for i, action in pending[:fit]:
        blocks += [_compact_section(i, action, required), buttons(action)]
    rest = pending[fit:]
    if rest:
        names = ", ".join(f"{i}. {escape(a.action.name)}" for i, a in rest)
        text = f"⏳ *{len(rest)} more waiting*, shown here as the ones above are decided: {names}"
        blocks.append(_context(text))
    return blocks
