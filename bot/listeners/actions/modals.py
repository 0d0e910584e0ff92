"""Edit, Reject and Respond open a modal first: ``views.open`` before any slow work."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.errors import SlackApiError

from bot.blocks.edit_modal import build_edit_modal
from bot.blocks.reason_modal import build_reason_modal
from bot.engine.decide import changed_text, current_version
from bot.engine.deps import Deps
from bot.engine.load import action_as_it_stands
from bot.listeners.common import DB_DOWN, DB_DOWN_TEXT, NO_VERSION, ref_of, tell
from persistence import requests

EXPIRED_TRIGGER = ("expired_trigger_id", "trigger_expired")
EXPIRED_TEXT = "⌛ Slack took too long to open the form. Please click the button again."


async def _open(deps: Deps, body: dict[str, Any], kind: str) -> None:
    ref = ref_of(body)
    if ref is None:
        await tell(deps, body, NO_VERSION)
        return
    approval_id = ref.approval_id
    try:
        async with deps.pool.connection() as conn:
            approval = await requests.get_approval(conn, approval_id)
            if approval is not None and current_version(approval) != ref.version:
                request = await requests.get_request(conn, int(approval["request_id"]))
                assert request is not None
                text = await changed_text(deps, request["channel"], request["message_ts"])
                await tell(deps, body, text)
                return
    except DB_DOWN:
        await tell(deps, body, DB_DOWN_TEXT)
        return
    if approval is None or approval["status"] != "pending":
        await tell(deps, body, "This request was already answered; nothing was changed.")
        return
    action = action_as_it_stands(approval)
    round_ = int(approval["round"])
    if kind == "edit":
        view = build_edit_modal(approval_id=approval_id, action=action, round_=round_)
    else:
        view = build_reason_modal(
            approval_id=approval_id, kind=kind, action=action, round_=round_  # type: ignore[arg-type]
        )
    try:
        await deps.slack.views_open(trigger_id=body.get("trigger_id", ""), view=view)
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else None
        await tell(
            deps,
            body,
            EXPIRED_TEXT
            if error in EXPIRED_TRIGGER
            else f"Could not open the form ({error}). Please try again.",
        )


def _opener(deps: Deps, kind: str) -> Any:
    async def handle_open(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        await _open(deps, body, kind)

    return handle_open


def register(app: AsyncApp, deps: Deps) -> None:
    """Edit, Reject and Respond each open their form."""
    for kind in ("edit", "reject", "respond"):
        app.action(kind)(_opener(deps, kind))
