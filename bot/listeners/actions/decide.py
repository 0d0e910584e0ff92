"""Approve: ack at once, record the decision, then render and resume in the background."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.engine.deps import Deps
from bot.listeners.common import NO_VERSION, decide_or_explain, follow_up, ref_of, tell


def register(app: AsyncApp, deps: Deps) -> None:
    """Approve is decided straight from the click."""

    async def handle_approve(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        ref = ref_of(body)
        if ref is None:
            await tell(deps, body, NO_VERSION)
            return
        result = await decide_or_explain(deps, body, ref, kind="approve")
        if isinstance(result, str):
            await tell(deps, body, result)
            return
        await follow_up(deps, result)

    app.action("approve")(handle_approve)
