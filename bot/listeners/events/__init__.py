"""Events: the App Home tab shows what waits for the person opening it, page by page."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.blocks.inbox import HOME_PAGE_ACTION, build_home_view
from bot.engine.deps import Deps
from bot.engine.inbox import page_number, waiting_for
from bot.engine.standing_admin import standing_home_blocks
from bot.errors import ApprovalError
from bot.slack.client import SLACK_ERRORS
from persistence.pool import DB_DOWN

log = logging.getLogger(__name__)


async def publish_home(deps: Deps, user: str, page_text: str | None = None) -> None:
    """Draw one page of the user's App Home; a failure is logged, the tab keeps its view."""
    try:
        page = await waiting_for(deps, user, page=page_number(page_text))
        view = build_home_view(page)
        view["blocks"] += await standing_home_blocks(deps, user)  # with Revoke buttons
        await deps.slack.views_publish(user_id=user, view=view)
    except (*DB_DOWN, *SLACK_ERRORS, ApprovalError) as exc:
        log.warning("could not draw the App Home for %s: %s", user, exc)


def register(app: AsyncApp, deps: Deps) -> None:
    """Wire ``app_home_opened`` and the App Home's page buttons."""

    async def handle_home_opened(event: dict[str, Any]) -> None:
        if event.get("tab") not in (None, "home"):
            return
        user = event.get("user")
        if isinstance(user, str) and user:
            await publish_home(deps, user)

    async def handle_home_page(
        ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await ack()
        action = (body.get("actions") or [{}])[0]
        value = action.get("value") if isinstance(action, dict) else None
        if isinstance(context.user_id, str) and context.user_id:
            await publish_home(deps, context.user_id, value if isinstance(value, str) else "")

    app.event("app_home_opened")(handle_home_opened)
    app.action(HOME_PAGE_ACTION)(handle_home_page)
