"""Approve all: one approval of each call of a batch, each through the decision path."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.blocks.approve_all import ACTION_ID, parse_refs
from bot.engine.deps import Deps
from bot.listeners.common import NO_VERSION, decide_or_explain, follow_up, tell


def register(app: AsyncApp, deps: Deps) -> None:
    """Each call is decided (and audited) on its own, version-checked, in batch order."""

    async def handle_approve_all(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        refs = parse_refs((body.get("actions") or [{}])[0].get("value"))
        if refs is None:
            await tell(deps, body, NO_VERSION)
            return
        refused: list[str] = []
        for ref in refs:
            result = await decide_or_explain(deps, body, ref, kind="approve")
            if isinstance(result, str):
                refused.append(result)
                continue
            await follow_up(deps, result)
        if refused:
            done = len(refs) - len(refused)
            reasons = " ".join(dict.fromkeys(refused))
            await tell(deps, body, f"Approved {done} of {len(refs)} calls. {reasons}")

    app.action(ACTION_ID)(handle_approve_all)
