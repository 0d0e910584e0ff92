"""The **Approve all** button of a batch: one click, one approval of each call."""

from __future__ import annotations

from typing import Any

from bot.blocks.version import Ref, encode_ref, parse_ref
from bot.blocks.view import RequestView

ACTION_ID = "approve_all"
MAX_VALUE = 2000  # Slack's cap on a button value
MAX_CALLS = 50


def approve_all_block(view: RequestView) -> dict[str, Any] | None:
    """The button, when two or more calls wait and every one of them allows approve.

    Its value names each waiting call at the version shown, so each approval is checked
    by the decision transaction exactly as a click on that call's own button would be.
    """
    waiting = [a for a in view.actions if a.pending]
    if len(waiting) < 2 or any("approve" not in a.action.allowed for a in waiting):
        return None
    value = ",".join(encode_ref(a.approval_id, a.round, a.args) for a in waiting)
    if len(value) > MAX_VALUE:
        return None
    text = "Approve all" if view.required_approvals == 1 else "Approve all (my approval of each)"
    return {
        "type": "actions",
        "block_id": f"approve_all:{view.request_id}",
        "elements": [
            {
                "type": "button",
                "action_id": ACTION_ID,
                "style": "primary",
                "text": {"type": "plain_text", "text": text},
                "value": value,
            }
        ],
    }


def parse_refs(raw: object) -> list[Ref] | None:
    """The calls an Approve all button names; None unless every part is well formed."""
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
