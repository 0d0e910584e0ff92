"""The agent's reasoning: the model's own text before the tool calls it asks to run.

LangChain's ``HumanInTheLoopMiddleware`` (and an Agents SDK run) pause after a model
turn that calls tools; that turn's text content is what the model said about why. It
is the model's words, possibly steered by whatever it read, so it is shown as such.
"""

from __future__ import annotations

from typing import Any

MAX_REASONING = 20_000


def _field(message: Any, name: str) -> Any:
    return message.get(name) if isinstance(message, dict) else getattr(message, name, None)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content blocks: keep the text ones
        parts = [b if isinstance(b, str) else b.get("text") for b in content
                 if isinstance(b, str) or (isinstance(b, dict) and b.get("type") == "text")]
        return "\n".join(p for p in parts if isinstance(p, str))
    return ""


def reasoning_of(values: Any) -> str | None:
    """The text of the last model message in ``values["messages"]`` when it calls tools
    (an object or its dict form, as a server sends it); None when there is none."""
    messages = values.get("messages") if isinstance(values, dict) else None
    if not isinstance(messages, list) or not messages:
        return None
    last = messages[-1]
    if _field(last, "type") != "ai" or not _field(last, "tool_calls"):
        return None
    text = _text(_field(last, "content")).strip()
    return text[:MAX_REASONING] or None
