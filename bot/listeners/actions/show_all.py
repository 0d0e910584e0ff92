"""Show all: open a modal holding every value of a request whole."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.errors import SlackApiError

from bot.blocks.show_all import build_show_all_modal
from bot.engine.deps import Deps
from bot.engine.load import load_view
from bot.listeners.common import DB_DOWN, DB_DOWN_TEXT, tell


def _request_id(body: dict[str, Any]) -> int | None:
    actions = body.get("actions") or [{}]
    value = str(actions[0].get("value") or "")
    return int(value) if value.isdigit() else None


async def handle_show_all(deps: Deps, ack: AsyncAck, body: dict[str, Any]) -> None:
    """Ack, then open the whole request in a modal (or say why not)."""
    await ack()
    request_id = _request_id(body)
    if request_id is None:
        await tell(deps, body, "This button names no request.")
        return
    try:
        async with deps.pool.connection() as conn:
            loaded = await load_view(conn, request_id)
    except DB_DOWN:
        await tell(deps, body, DB_DOWN_TEXT)
        return
    if loaded is None:
        await tell(deps, body, "This approval request does not exist (any more).")
        return
    view, row, _ = loaded
    modal = build_show_all_modal(view, thread_id=str(row["thread_id"]))
    try:
        await deps.slack.views_open(trigger_id=body.get("trigger_id", ""), view=modal)
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else None
        await tell(deps, body, f"Could not open the whole text ({error}). Please try again.")


def register(app: AsyncApp, deps: Deps) -> None:
    """The "Show all" button of a message whose values are longer than Slack shows."""

    async def on_show_all(ack: AsyncAck, body: dict[str, Any]) -> None:
        await handle_show_all(deps, ack, body)

    app.action("show_all")(on_show_all)
