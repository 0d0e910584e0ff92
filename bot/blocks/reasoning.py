"""The agent's reasoning beside its request: briefly, as its words, never as ours."""

from __future__ import annotations

from typing import Any

from bot.blocks.format import clip, escape

SHOWN = 280  # about three lines on a phone; the rest is under Show all
LABEL = "💭 *The agent's words* (not checked)"


def one_line(text: str) -> str:
    """The reasoning on one line (line breaks and runs of spaces as one space)."""
    return " ".join(text.split())


def is_long(text: str | None) -> bool:
    """Whether the message shows only the start of the reasoning."""
    return bool(text) and len(one_line(text or "")) > SHOWN


def reasoning_block(text: str | None) -> dict[str, Any] | None:
    """A context block quoting the reasoning as escaped text, cut at :data:`SHOWN`
    characters (the rest a tap away, under Show all); None when there is none."""
    if not text or not text.strip():
        return None
    shown = escape(clip(one_line(text), SHOWN))
    more = " _(the rest under Show all)_" if is_long(text) else ""
    text = f"{LABEL}: “{shown}”{more}"
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}
