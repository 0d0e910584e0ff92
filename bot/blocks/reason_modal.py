"""The Reject and Respond modals: one multiline text field, and its parser."""

from __future__ import annotations

from typing import Any, Literal

from bot.blocks.fields_io import plain, truncate
from bot.blocks.format import escape
from bot.blocks.values import key_args
from bot.blocks.version import encode_ref
from graphs.adapters.common import humanize
from graphs.models import Action

REASON_BLOCK_ID = "reason"
REASON_ACTION_ID = "value"
_KINDS: dict[str, dict[str, Any]] = {
    "reject": {
        "callback_id": "reject_submit",
        "title": "Reject",
        "label": "Reason (optional)",
        "submit": "Reject",
        "optional": True,
    },
    "respond": {
        "callback_id": "respond_submit",
        "title": "Respond",
        "label": "Your answer",
        "submit": "Send",
        "optional": False,
    },
}


def build_reason_modal(
    *, approval_id: int, kind: Literal["reject", "respond"], action: Action, round_: int = 1
) -> dict[str, Any]:
    """The Reject (optional reason) or Respond (required answer) modal for ``action``;
    ``private_metadata`` names the approval at the version shown (``round_``, its args)."""
    spec = _KINDS[kind]
    verb = "Rejecting" if kind == "reject" else "Answering instead of running"
    said = f"{verb} *{escape(humanize(action.name))}*"
    if args := key_args(action, action.args):
        said += f": {args}"  # which payment, which email: its key arguments
    context = {"type": "mrkdwn", "text": truncate(said, 3000)}
    element = {
        "type": "plain_text_input",
        "action_id": REASON_ACTION_ID,
        "multiline": True,
        "max_length": 3000,
    }
    field = {
        "type": "input",
        "block_id": REASON_BLOCK_ID,
        "label": plain(spec["label"], 2000),
        "element": element,
        "optional": spec["optional"],
    }
    return {
        "type": "modal",
        "callback_id": spec["callback_id"],
        "private_metadata": encode_ref(approval_id, round_, action.args),
        "title": plain(f"{spec['title']} · {humanize(action.name)}", 24),
        "submit": plain(spec["submit"], 24),
        "close": plain("Cancel", 24),
        "blocks": [{"type": "context", "elements": [context]}, field],
    }


def parse_reason(state_values: dict) -> str | None:
    """The submitted reason or answer, stripped; None when left empty."""
    actions = state_values.get(REASON_BLOCK_ID) or {}
    payload = actions.get(REASON_ACTION_ID) or next(iter(actions.values()), None) or {}
    value = payload.get("value") if isinstance(payload, dict) else None
    if not isinstance(value, str):
        return None
    return value.strip() or None
