"""Approve (and "Approve for this run"): record the decision, ack once it is committed,
then render and resume.

An acked click is a committed decision. Slack waits 3 s for the ack: a commit still
running after ``ACK_WITHIN_S`` is acked anyway with a visible "still recording…", keeps
running as tracked work (a graceful shutdown waits for it), and its outcome is told.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.blocks.parts import RUN_ID
from bot.engine.decide import Decided
from bot.engine.deps import Deps
from bot.engine.standing import Grant
from bot.listeners.common import (
    NO_VERSION,
    decide_or_explain,
    follow_up,
    org_of,
    ref_of,
    tell,
    user_of,
)

T = TypeVar("T")
ACK_WITHIN_S = 2.0
STILL_RECORDING = "⏳ Still recording your decision… you will be told here once it is saved."
RECORDED = "✅ Your decision is recorded."
FOR_RUN = ("✅ Approved. Later calls of this action in this run are approved too, each "
           "where its own policy allows it, unless revoked (`/approvals standing`).")


async def ack_when_recorded(
    deps: Deps, ack: AsyncAck, body: dict[str, Any], work: Coroutine[Any, Any, T]
) -> tuple[T, bool]:
    """Ack once ``work`` is done, or after ``ACK_WITHIN_S`` saying it still runs.

    Returns ``work``'s result and whether the clicker was told it was still recording.
    """
    task = deps.inflight.spawn(work)
    done, _ = await asyncio.wait({task}, timeout=ACK_WITHIN_S)
    await ack()
    if not done:
        await tell(deps, body, STILL_RECORDING)
    return await asyncio.shield(task), not done


async def settle(
    deps: Deps, body: dict[str, Any], result: Decided | str, *, slow: bool
) -> None:
    """After the ack: say why nothing changed, or render and resume what was recorded
    (telling the clicker it is saved when the ack had said "still recording")."""
    if isinstance(result, str):
        await tell(deps, body, result)
        return
    if slow:
        await tell(deps, body, RECORDED)
    await follow_up(deps, result)


def register(app: AsyncApp, deps: Deps) -> None:
    """Approve, and "Approve for this run", are decided straight from the click."""

    async def handle_approve(ack: AsyncAck, body: dict[str, Any]) -> None:
        await _approve(deps, ack, body, for_run=False)

    async def handle_approve_run(ack: AsyncAck, body: dict[str, Any]) -> None:
        await _approve(deps, ack, body, for_run=True)

    app.action("approve")(handle_approve)
    app.action(RUN_ID)(handle_approve_run)


async def _approve(deps: Deps, ack: AsyncAck, body: dict[str, Any], *, for_run: bool) -> None:
    """Approve the version shown; ``for_run`` also grants the rest of the run (a standing
    approval scoped to it, which the decision checks against the policy)."""
    ref = ref_of(body)
    if ref is None:
        await ack()
        await tell(deps, body, NO_VERSION)
        return
    hook = Grant(None, user_of(body), *org_of(body)) if for_run else None
    deciding = decide_or_explain(deps, body, ref, kind="approve", hook=hook)
    result, slow = await ack_when_recorded(deps, ack, body, deciding)
    if for_run and not isinstance(result, str):
        await tell(deps, body, FOR_RUN)
    await settle(deps, body, result, slow=slow)
