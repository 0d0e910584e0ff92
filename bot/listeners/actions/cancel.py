"""Cancel: the requester withdraws a pending request (see ``close_request`` for the outcome)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.engine.close import close_request
from bot.engine.decide import Decided
from bot.engine.deps import Deps
from bot.errors import NotAllowed
from bot.listeners.actions.decide import ack_when_recorded, settle
from bot.listeners.common import (
    DB_DOWN,
    DB_DOWN_TEXT,
    approval_id_of,
    tell,
    user_of,
)
from persistence import requests

NOT_YOURS = "Only the person who requested this can cancel it; nothing was changed."
NOT_OPEN = "This request is no longer open: it was already answered. Nothing was changed."


async def handle_cancel(deps: Deps, ack: AsyncAck, body: dict[str, Any]) -> None:
    """Close the request as cancelled when the clicker is its requester; ack once recorded."""
    approval_id = approval_id_of(body)
    if approval_id is None:
        await ack()
        await tell(deps, body, "This option carries no approval id; nothing was changed.")
        return
    result, slow = await ack_when_recorded(deps, ack, body, _cancel(deps, body, approval_id))
    await settle(deps, body, result, slow=slow)


async def _cancel(deps: Deps, body: dict[str, Any], approval_id: int) -> Decided | str:
    """Cancel, or the sentence explaining why not."""
    user = user_of(body)
    try:
        async with deps.pool.connection() as conn:
            context = await requests.approval_context(conn, approval_id)
        if context is None:
            return "This approval request does not exist (any more)."
        if not user or user != context["requested_by"]:
            return NOT_YOURS
        decided = await close_request(
            deps,
            int(context["request_id"]),
            status="cancelled",
            actor=user,
            reason="cancelled by the requester",  # the outcome line names them
        )
    except NotAllowed:  # close_request checks the requester again, under the lock
        return NOT_YOURS
    except DB_DOWN:
        return DB_DOWN_TEXT
    return NOT_OPEN if decided is None else decided


def register(app: AsyncApp, deps: Deps) -> None:
    """The "⋯" menu's "Cancel request" option."""

    async def on_cancel(ack: AsyncAck, body: dict[str, Any]) -> None:
        await handle_cancel(deps, ack, body)

    app.action("cancel")(on_cancel)
