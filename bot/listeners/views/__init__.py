"""Modal submissions: an edit, a reject reason, a response.

A submission is decided *before* it is acked: the answer goes back in the modal
(``response_action: "errors"``) when the edit is invalid or someone else decided first.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.blocks.edit_modal import parse_edit_submission
from bot.blocks.reason_modal import parse_reason
from bot.engine.deps import Deps
from bot.engine.load import action_as_it_stands
from bot.errors import InvalidEdit
from bot.listeners.common import DB_DOWN, DB_DOWN_TEXT, decide_or_explain, follow_up
from graphs.models import DecisionKind
from persistence import requests


def _first_input(view: dict[str, Any]) -> str:
    for block in view.get("blocks", []):
        if block.get("type") == "input" and block.get("block_id"):
            return str(block["block_id"])
    return "reason"


async def _submit(deps: Deps, ack: AsyncAck, body: dict[str, Any], kind: DecisionKind) -> None:
    view = body.get("view") or {}
    where = _first_input(view)
    try:
        approval_id = int(view.get("private_metadata", ""))
    except ValueError:
        await ack(response_action="errors", errors={where: "This form is not linked to a request."})
        return
    values = (view.get("state") or {}).get("values") or {}
    args, reason = None, None
    try:
        if kind == "edit":
            async with deps.pool.connection() as conn:
                approval = await requests.get_approval(conn, approval_id)
            if approval is None:
                await ack(
                    response_action="errors", errors={where: "This request no longer exists."}
                )
                return
            args = parse_edit_submission(action=action_as_it_stands(approval), state_values=values)
        else:
            reason = parse_reason(values)
    except InvalidEdit as exc:
        await ack(response_action="errors", errors=exc.errors)
        return
    except DB_DOWN:
        await ack(response_action="errors", errors={where: DB_DOWN_TEXT})
        return
    result = await decide_or_explain(deps, body, approval_id, kind=kind, args=args, reason=reason)
    if isinstance(result, str):
        await ack(response_action="errors", errors={where: result[:150]})
        return
    await ack()
    await follow_up(deps, result)


def _submitter(deps: Deps, kind: DecisionKind) -> Any:
    async def handle_submit(ack: AsyncAck, body: dict[str, Any]) -> None:
        await _submit(deps, ack, body, kind)

    return handle_submit


def register(app: AsyncApp, deps: Deps) -> None:
    """Wire the three modal callbacks."""
    app.view("edit_submit")(_submitter(deps, "edit"))
    app.view("reject_submit")(_submitter(deps, "reject"))
    app.view("respond_submit")(_submitter(deps, "respond"))
