"""Block Kit validation with slack_sdk's models, plus the limits slack_sdk does not check."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MESSAGE_BLOCKS = 50  # Slack refuses a message with more (slack_sdk does not check it)
VIEW_BLOCKS = 100
TEXT_MAX = 40000  # chat.postMessage truncates ``text`` beyond this


def problems_of_blocks(blocks: Any, *, limit: int) -> list[str]:
    """What Slack would refuse in ``blocks``: unknown types, limits, duplicate block ids."""
    if not isinstance(blocks, list):
        return [f"blocks is a {type(blocks).__name__}, not a list"]
    found = [] if len(blocks) <= limit else [f"{len(blocks)} blocks (at most {limit})"]
    ids = [b.get("block_id") for b in blocks if isinstance(b, dict) and "block_id" in b]
    if len(ids) != len(set(ids)):
        found.append(f"duplicate block ids: {ids}")
    for raw in blocks:
        block = Block.parse(raw)
        if block is None:
            found.append(f"not a known block: {raw!r:.200}")
            continue
        try:
            block.validate_json()
        except Exception as exc:  # slack_sdk's SlackObjectFormationError and friends
            found.append(f"{type(exc).__name__}: {exc} in {raw!r:.300}")
    return found


def problems_of_message(params: dict[str, Any]) -> list[str]:
    """What Slack would refuse in a chat.postMessage / chat.update / postEphemeral."""
    found = []
    text = params.get("text")
    if text is not None and (not isinstance(text, str) or len(text) > TEXT_MAX):
        found.append(f"text is not a string of at most {TEXT_MAX} characters")
    if "blocks" in params and params["blocks"] is not None:
        found += problems_of_blocks(params["blocks"], limit=MESSAGE_BLOCKS)
    if not text and not params.get("blocks"):
        found.append("no_text: neither text nor blocks")
    return found


def problems_of_view(view: Any) -> list[str]:
    """What Slack would refuse in a modal or Home tab view."""
    if not isinstance(view, dict):
        return [f"view is a {type(view).__name__}, not an object"]
    found = problems_of_blocks(view.get("blocks"), limit=VIEW_BLOCKS)
    try:
        View(**view).validate_json()
    except Exception as exc:  # slack_sdk's SlackObjectFormationError and friends
        found.append(f"{type(exc).__name__}: {exc}")
    return found


def check_message(text: str | None, blocks: list[dict[str, Any]]) -> None:
    """Assert that a built message is one Slack accepts."""
    problems = problems_of_message({"text": text, "blocks": blocks})
    assert not problems, problems


def check_view(view: dict[str, Any]) -> None:
    """Assert that a built view is one Slack accepts."""
    problems = problems_of_view(view)
    assert not problems, problems
