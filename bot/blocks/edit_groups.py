"""The edit form of an action with many arguments, grouped by kind under small titles."""

from __future__ import annotations

from typing import Any

from bot.blocks.fields import FieldSpec

GROUP_PAST = 10  # more inputs than this are grouped
MAX_BLOCKS = 100  # a modal's limit
GROUPS = (
    ("Text", ("text", "multiline")),
    ("Numbers", ("integer", "number")),
    ("Choices", ("enum", "boolean")),
    ("Lists and objects (JSON)", ("json",)),
)


def grouped(specs: list[FieldSpec], inputs: list[dict[str, Any]], *, room: int
            ) -> list[dict[str, Any]]:
    """``inputs`` (one per spec, each typed as before) under a title per kind, in the
    graph's order within each group; as they are when few, or when ``room`` (blocks left
    in the modal) cannot hold the headers."""
    if len(inputs) <= GROUP_PAST:
        return inputs
    groups = [
        (title, [block for spec, block in zip(specs, inputs, strict=True) if spec.kind in kinds])
        for title, kinds in GROUPS
    ]
    groups = [(title, blocks) for title, blocks in groups if blocks]
    if len(groups) < 2 or len(inputs) + len(groups) > room:
        return inputs
    out: list[dict[str, Any]] = []
    for title, blocks in groups:
        out.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"*{title}*"}]})
        out.extend(blocks)
    return out
