"""Cancel: the requester withdraws a pending request; the run takes the reject branch."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.engine.close import close_request
from bot.engine.deps import Deps
from bot.errors import NotAllowed
from bot.listeners.common import (
    DB_DOWN,
    DB_DOWN_TEXT,
    approval_id_of,
    follow_up,
    tell,
    user_of,
)
from persistence import requests

NOT_YOURS = "Only the person who requested this can cancel it; nothing was changed."
NOT_OPEN = "This request is no longer open: it was already answered. Nothing was changed."


async def handle_cancel(deps: Deps, body: dict[str, Any]) -> None:
    """Close the request as cancelled when the clicker is its requester."""
    approval_id = approval_id_of(body)
    if approval_id is None:
        await tell(deps, body, "This option carries no approval id; nothing was changed.")
        return
    user = user_of(body)
    try:
        async with deps.pool.connection() as conn:
            context = await requests.approval_context(conn, approval_id)
        if context is None:
            await tell(deps, body, "This approval request does not exist (any more).")
            return
        if not user or user != context["requested_by"]:
            await tell(deps, body, NOT_YOURS)
            return
        decided = await close_request(
            deps,
            int(context["request_id"]),
            status="cancelled",
            actor=user,
            reason="cancelled by the requester",  # the outcome line names them
        )
    except NotAllowed:  # close_request checks the requester again, under the lock
        await tell(deps, body, NOT_YOURS)
        return
    except DB_DOWN:
        await tell(deps, body, DB_DOWN_TEXT)
        return
    if decided is None:
        await tell(deps, body, NOT_OPEN)
        return
    await follow_up(deps, decided)


def register(app: AsyncApp, deps: Deps) -> None:
    """The "⋯" menu's "Cancel request" option."""

    async def on_cancel(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        await handle_cancel(deps, body)

    app.action("cancel")(on_cancel)
