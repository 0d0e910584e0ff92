"""The compact layout: a batch too large for one section and buttons per action."""

from __future__ import annotations

from typing import Any

from bot.blocks.fields import label_of
from bot.blocks.format import clip, escape, show_value
from bot.blocks.parts import buttons, context, outcome_line, progress_line
from bot.blocks.view import ActionView

COMPACT_VALUE = 150
DECIDED_BLOCKS = 5  # at most 50 decided lines, ten to a context block


def _compact_section(index: int, view: ActionView, required: int) -> dict[str, Any]:
    lines = [f"*{index}. {escape(view.action.name)}*"]
    lines += [
        f"*{escape(label_of(view.action, k))}*: {show_value(v, limit=COMPACT_VALUE, inline=True)}"
        for k, v in view.args.items()
    ]
    if view.approvals:
        lines.append(progress_line(view, view.needs(required)))
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip("\n".join(lines), 3000)}}


def _decided_summary(decided: list[tuple[int, ActionView]]) -> list[dict[str, Any]]:
    lines = [f"{i}. {escape(clip(a.action.name, 80))} — {outcome_line(a)}" for i, a in decided]
    cap = DECIDED_BLOCKS * 10
    if len(lines) > cap:
        lines = lines[: cap - 1] + [f"… and {len(lines) - cap + 1} more decided"]
    return [
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": clip(t, 3000)} for t in lines[i : i + 10]],
        }
        for i in range(0, len(lines), 10)
    ]


def compact_action_blocks(
    actions: list[ActionView], *, required: int, budget: int
) -> list[dict[str, Any]]:
    """The actions in at most ``budget`` blocks, every one still decidable in turn.

    Decided actions shrink to one line each; pending ones get a section (arguments
    inline) and their buttons, as many as fit. The rest are named, and appear with
    their buttons as soon as the ones shown are decided (the message is redrawn).
    """
    numbered = list(enumerate(actions, start=1))
    blocks = _decided_summary([(i, a) for i, a in numbered if not a.pending])
    pending = [(i, a) for i, a in numbered if a.pending]
    room = budget - len(blocks)
    fit = room // 2 if 2 * len(pending) <= room else max(room - 1, 0) // 2
    for i, action in pending[:fit]:
        blocks += [_compact_section(i, action, required), buttons(action)]
    rest = pending[fit:]
    if rest:
        names = ", ".join(f"{i}. {escape(a.action.name)}" for i, a in rest)
        text = f"⏳ *{len(rest)} more waiting*, shown here as the ones above are decided: {names}"
        blocks.append(context(text))
    return blocks
