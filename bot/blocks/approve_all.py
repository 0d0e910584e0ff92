"""The batch row: **Approve all**, **Reject all** and one "⋯" Cancel, apart from the calls.

Each of Approve all and Reject all is one decision of each call, made exactly as a click
on that call's own button would be.
"""

from __future__ import annotations

from typing import Any

from bot.blocks.version import Ref, encode_ref, parse_ref
from bot.blocks.view import RequestView

ACTION_ID = "approve_all"
REJECT_ID = "reject_all"
MAX_VALUE = 2000  # Slack's cap on a button value
MAX_CALLS = 50


def _button(action_id: str, text: str, style: str, value: str) -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "style": style,
            "text": {"type": "plain_text", "text": text}, "value": value}


def cancel_menu(approval_id: int) -> dict[str, Any]:
    """The "⋯" menu whose one option withdraws the whole request."""
    option = {"text": {"type": "plain_text", "text": "Cancel request"}, "value": str(approval_id)}
    return {"type": "overflow", "action_id": "cancel", "options": [option]}


def approve_all_block(view: RequestView) -> dict[str, Any] | None:
    """The batch row, when two or more calls wait: Approve all when every one of them
    allows approve, Reject all when every one allows reject, and Cancel once.

    A button's value names each waiting call at the version shown, so each decision is
    checked by the decision transaction exactly as a click on that call's own button.
    """
    waiting = [a for a in view.actions if a.pending]
    if len(waiting) < 2:
        return None
    value = ",".join(encode_ref(a.approval_id, a.round, a.args) for a in waiting)
    elements = []
    if len(value) <= MAX_VALUE:
        if all("approve" in a.action.allowed for a in waiting):
            mine = "" if view.required_approvals == 1 else " (my approval of each)"
            elements.append(_button(ACTION_ID, f"Approve all{mine}", "primary", value))
        if all("reject" in a.action.allowed for a in waiting):
            elements.append(_button(REJECT_ID, "Reject all", "danger", value))
    elements.append(cancel_menu(waiting[0].approval_id))
    return {"type": "actions", "block_id": f"approve_all:{view.request_id}", "elements": elements}


def parse_refs(raw: object) -> list[Ref] | None:
    """The calls a batch button names; None unless every part is well formed."""
    if not isinstance(raw, str) or not raw or len(raw) > MAX_VALUE:
        return None
    parts = raw.split(",")
    refs = [parse_ref(part) for part in parts]
    if len(refs) > MAX_CALLS or any(ref is None for ref in refs):
        return None
    found = [ref for ref in refs if ref is not None]
    if len({ref.approval_id for ref in found}) != len(found):
        return None  # the same call twice is no button of ours
    return found
