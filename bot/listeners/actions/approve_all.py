"""Approve all: one approval of each call of a batch, each through the decision path."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.blocks.approve_all import ACTION_ID, parse_refs
from bot.blocks.version import Ref
from bot.engine.decide import Decided
from bot.engine.deps import Deps
from bot.listeners.actions.decide import RECORDED, ack_when_recorded
from bot.listeners.common import NO_VERSION, decide_or_explain, follow_up, tell


async def _approve_each(
    deps: Deps, body: dict[str, Any], refs: list[Ref]
) -> tuple[list[Decided], list[str]]:
    """Decide each call in batch order (each by its own policy); what was recorded, and
    which calls were left, with why."""
    decided: list[Decided] = []
    refused: list[str] = []
    for number, ref in enumerate(refs, start=1):
        result = await decide_or_explain(deps, body, ref, kind="approve")
        if isinstance(result, str):
            refused.append(f"Call {number}: {result}")
        else:
            decided.append(result)
    return decided, refused


def register(app: AsyncApp, deps: Deps) -> None:
    """Each call is decided (and audited) on its own, version-checked, in batch order;
    the click is acked once they are all recorded, as for Approve."""

    async def handle_approve_all(ack: AsyncAck, body: dict[str, Any]) -> None:
        refs = parse_refs((body.get("actions") or [{}])[0].get("value"))
        if refs is None:
            await ack()
            await tell(deps, body, NO_VERSION)
            return
        work = _approve_each(deps, body, refs)
        (decided, refused), slow = await ack_when_recorded(deps, ack, body, work)
        for result in decided:
            await follow_up(deps, result)
        if refused:
            reasons = "\n".join(refused)
            await tell(
                deps, body,
                f"Approved {len(decided)} of {len(refs)} calls; left the others for the "
                f"people who may decide them.\n{reasons}",
            )
        elif slow:
            await tell(deps, body, RECORDED)

    app.action(ACTION_ID)(handle_approve_all)
