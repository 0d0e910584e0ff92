"""``/approvals pending`` lists what the caller may decide; ``/approvals help`` explains."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck

from bot.blocks.inbox import HELP, build_pending_blocks, build_pending_text
from bot.engine.deps import Deps
from bot.engine.inbox import page_number, waiting_for
from bot.errors import ApprovalError
from bot.listeners.commands.standing import standing_answer
from bot.listeners.common import DB_DOWN, DB_DOWN_TEXT


def handle_factory(deps: Deps) -> Any:
    """The ``/approvals`` handler bound to ``deps``."""

    async def handle_approvals(ack: AsyncAck, command: dict[str, Any]) -> None:
        words = (command.get("text") or "").split()
        if words and words[0].lower() == "standing":  # list, with Revoke buttons
            await ack(response_type="ephemeral", **await standing_answer(deps, command))
            return
        blocks: list[dict[str, Any]] | None = None
        if not words or words[0].lower() != "pending":
            await ack(response_type="ephemeral", text=HELP)
            return
        try:
            page = page_number(words[1] if len(words) > 1 else None)
            waiting = await waiting_for(deps, command.get("user_id", ""), page=page)
            text = build_pending_text(waiting)
            blocks = build_pending_blocks(waiting)
        except DB_DOWN:
            text = DB_DOWN_TEXT
        except ApprovalError as exc:
            text = exc.message
        # A JSON answer (not a bare string) so Slack renders the mrkdwn links.
        await ack(response_type="ephemeral", text=text, blocks=blocks)

    return handle_approvals
