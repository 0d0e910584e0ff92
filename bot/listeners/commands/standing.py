"""``/approvals standing``: the standing approvals the caller may revoke."""

from __future__ import annotations

from typing import Any

from bot.blocks.standing import build_standing_list
from bot.engine.deps import Deps
from bot.engine.standing_admin import revocable_by
from bot.errors import ApprovalError
from bot.listeners.common import DB_DOWN, DB_DOWN_TEXT


async def standing_answer(deps: Deps, command: dict[str, Any]) -> dict[str, Any]:
    """The ephemeral answer: text and blocks, each grant with its Revoke button."""
    try:
        grants = await revocable_by(deps, command.get("user_id", ""))
    except DB_DOWN:
        return {"text": DB_DOWN_TEXT}
    except ApprovalError as exc:
        return {"text": exc.message}
    text, blocks = build_standing_list(grants)
    return {"text": text, "blocks": blocks}
