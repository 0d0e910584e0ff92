"""Events: the App Home tab shows what waits for the person opening it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.blocks.inbox import build_home_view
from bot.engine.deps import Deps
from bot.engine.inbox import waiting_for
from bot.errors import ApprovalError
from bot.slack.client import SLACK_ERRORS
from persistence.pool import DB_DOWN

log = logging.getLogger(__name__)


def register(app: AsyncApp, deps: Deps) -> None:
    """Wire ``app_home_opened``."""

    async def handle_home_opened(event: dict[str, Any]) -> None:
        if event.get("tab") not in (None, "home"):
            return
        user = event.get("user")
        if not isinstance(user, str) or not user:
            return
        try:
            items = await waiting_for(deps, user)
            view = build_home_view(items)
            await deps.slack.views_publish(user_id=user, view=view)
        except (*DB_DOWN, *SLACK_ERRORS, ApprovalError) as exc:
            log.warning("could not draw the App Home for %s: %s", user, exc)

    app.event("app_home_opened")(handle_home_opened)
