"""The reply when a run finishes: its outcome, and what ran with which arguments."""

from __future__ import annotations

import json
from typing import Any

from bot.blocks.fields import label_of
from bot.blocks.format import clip, escape
from bot.blocks.values import arg_value
from bot.blocks.view import DECIDED_ICONS
from graphs.adapters.common import humanize
from graphs.models import Action

MAX_LINES = 12
ARGS_SHOWN = 6
RAN = {"approved": "ran", "edited": "ran as edited"}
NOT_RAN = {"rejected": "rejected", "expired": "expired", "cancelled": "cancelled",
           "responded": "answered"}


def action_line(action: Action, args: dict[str, Any], status: str) -> str:
    """``✅ *Pay* ran as edited: *Amount* `1,800` · *Recipient* acme`` or ``❌ *Send
    email* rejected``: an approved action with the arguments it ran with."""
    icon = DECIDED_ICONS.get(status, "•")
    name = f"*{escape(humanize(action.name))}*"
    if status not in RAN:
        return f"{icon} {name} {NOT_RAN.get(status, escape(status))}"
    shown = [
        f"*{escape(label_of(action, k))}* {arg_value(action, k, v, limit=120, inline=True)}"
        for k, v in list(args.items())[:ARGS_SHOWN]
    ]
    if len(args) > ARGS_SHOWN:
        shown.append(f"+{len(args) - ARGS_SHOWN} more")
    return f"✅ {name} {RAN[status]}" + (f": {' · '.join(shown)}" if shown else "")


def finished_text(outcome: Any, lines: list[str]) -> str:
    """``🏁 Run finished: *paid*`` and one line per decided action (at most a dozen)."""
    text = f"🏁 Run finished: {summarize(outcome)}"
    if len(lines) > MAX_LINES:
        lines = lines[: MAX_LINES - 1] + [f"… and {len(lines) - MAX_LINES + 1} more"]
    return clip("\n".join([text, *lines]), 3000)


def summarize(outcome: Any) -> str:
    """A one-line outcome: the state's ``status`` (and ``reason``) when it has one, or an
    agent's ``final_output``."""
    if isinstance(outcome, dict) and outcome.get("final_output") is not None:
        final = outcome["final_output"]
        text = final if isinstance(final, str) else json.dumps(final, ensure_ascii=False)
        return clip(escape(text), 2900)
    if isinstance(outcome, dict) and "status" in outcome:
        text = f"*{escape(str(outcome['status']))}*"
        if outcome.get("reason"):
            text += f" — {escape(str(outcome['reason']))}"
        return text
    return "done"
