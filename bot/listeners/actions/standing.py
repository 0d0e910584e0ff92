""""Approve & allow for …" (approve, and grant a standing approval) and Revoke."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.blocks.standing import ACTION_ID, REVOKE_ID, parse_choice, window_text
from bot.engine.decide import Decided
from bot.engine.deps import Deps
from bot.engine.standing import Grant
from bot.engine.standing_admin import revoke
from bot.errors import ApprovalError
from bot.listeners.actions.decide import ack_when_recorded, settle
from bot.listeners.common import (
    DB_DOWN,
    DB_DOWN_TEXT,
    NO_VERSION,
    org_of,
    tell,
    timed_decide,
    user_of,
)
from bot.metrics import METRICS


async def _approve_for(deps: Deps, body: dict[str, Any], raw: object) -> Decided | str:
    """Approve the version shown and grant the window chosen, or say why not."""
    choice = parse_choice(raw)
    if choice is None:
        return NO_VERSION
    ref, seconds = choice
    user = user_of(body)
    team, enterprise = org_of(body)
    try:
        decided = await timed_decide(
            deps, ref.approval_id, user=user, kind="approve", version=ref.version,
            team=team, enterprise=enterprise, hook=Grant(seconds, user, team, enterprise),
        )
    except ApprovalError as exc:
        METRICS.inc("approvals_refusals_total", kind="approve")
        return exc.message
    except DB_DOWN:
        return DB_DOWN_TEXT
    METRICS.inc("approvals_decisions_total", kind="approve")
    await tell(deps, body, f"✅ Approved. Requests just like it are approved for "
                           f"{window_text(seconds)} unless revoked (`/approvals standing`).")
    return decided


async def _revoke(deps: Deps, body: dict[str, Any]) -> str:
    raw = (body.get("actions") or [{}])[0].get("value")
    if not isinstance(raw, str) or not raw.isdigit() or len(raw) > 18:
        return "This button names no standing approval; nothing was changed."
    try:
        await revoke(deps, int(raw), user=user_of(body))
    except ApprovalError as exc:
        return exc.message
    except DB_DOWN:
        return DB_DOWN_TEXT
    return "🚫 Revoked: requests decided from now on need a person again."


def register(app: AsyncApp, deps: Deps) -> None:
    """The menu under a request, and the Revoke buttons of the standing list."""

    async def on_choice(ack: AsyncAck, body: dict[str, Any]) -> None:
        actions = body.get("actions") or [{}]
        raw = (actions[0].get("selected_option") or {}).get("value")
        result, slow = await ack_when_recorded(deps, ack, body, _approve_for(deps, body, raw))
        await settle(deps, body, result, slow=slow)

    async def on_revoke(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        said = await _revoke(deps, body)
        if (body.get("view") or {}).get("type") == "home":  # no channel: redraw the tab
            from bot.listeners.events import publish_home

            await publish_home(deps, user_of(body))
            return
        await tell(deps, body, said)

    app.action(ACTION_ID)(on_choice)
    app.action(REVOKE_ID)(on_revoke)
