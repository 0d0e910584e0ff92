"""The audit trail as text a person reads in a terminal."""

from __future__ import annotations

import json
from datetime import UTC, datetime, tzinfo
from typing import Any


def _short(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def when(at: datetime, tz: tzinfo = UTC) -> str:
    """``2026-01-02 03:04:05 UTC``: a time always says its zone (a naive one is UTC)."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return f"{aware.astimezone(tz):%Y-%m-%d %H:%M:%S %Z}"


def format_trail(events: list[dict[str, Any]], *, tz: tzinfo = UTC) -> str:
    """One line per event: time (in ``tz``, named), event, actor, what changed and why."""
    lines = []
    for e in events:
        line = f"{when(e['at'], tz)}  {e['event']:<14} {e['actor'] or '-':<12}"
        if e["request_id"]:
            line += f" request {e['request_id']}"
        if e["args_after"] is not None:
            line += f"  {_short(e['args_before'])} → {_short(e['args_after'])}"
        elif e["args_before"] is not None:
            line += f"  {_short(e['args_before'])}"
        if e["reason"]:
            line += f"  reason: {e['reason']}"
        lines.append(line.rstrip())
    return "\n".join(lines)
