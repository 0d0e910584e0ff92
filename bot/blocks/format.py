"""Small text helpers shared by the message builders: dates, values, truncation."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

_SLACK_ID = re.compile(r"[UWBS][A-Z0-9]+")
# What Slack's chat.getPermalink answers; anything else (a "|" or ">" would break the
# link markup) is shown without a link.
_SAFE_LINK = re.compile(r"https?://[A-Za-z0-9.\-]+(:[0-9]+)?/[A-Za-z0-9/_.\-?=&%]*")


def clip(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def date_token(at: datetime) -> str:
    """A Slack date token: each reader sees the time in their own zone."""
    fallback = at.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def mention(user: str | None) -> str:
    """``<@U…>`` for a user id, ``<!subteam^S…>`` for a group, a dash for nobody.

    Anything that is not a Slack id (a requester named by an API caller, say) is shown
    as escaped text, so it can never become a ping or a link.
    """
    if not user:
        return "—"
    if not _SLACK_ID.fullmatch(user):
        return escape(user)
    return f"<!subteam^{user}>" if user.startswith("S") else f"<@{user}>"


def link(url: str | None, label: str) -> str | None:
    """``<url|label>`` for a link shaped like Slack's (``label`` is mrkdwn already
    escaped); None when there is no such link."""
    if url and _SAFE_LINK.fullmatch(url):
        return f"<{escape(url)}|{label}>"
    return None


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn gives meaning to.

    The one place untrusted text (run input, interrupt values, arguments, reasons,
    notes) is made inert: ``<!channel>`` cannot ping and ``<https://x|y>`` cannot
    disguise a link. Builders interpolate nothing they did not write without it.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def show_value(value: Any, *, limit: int = 600, inline: bool = False) -> str:
    """An argument value as readable mrkdwn: scalars inline, structures as JSON code.

    ``inline`` keeps everything on one line (structures as compact JSON in backticks).
    """
    if isinstance(value, str):
        if not value:
            return "_(empty)_"
        return clip(escape(" ".join(value.split()) if inline else value), limit)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if value is None:
        return "_none_"
    if isinstance(value, int | float):
        return f"`{number(value)}`"
    if _scalars(value):
        items = [show_value(v, limit=limit, inline=True) for v in value]
        text = ", ".join(items) if inline else "\n".join(f"• {v}" for v in items)
        return clip(text, limit) if items else "_(empty list)_"
    if inline:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
        return f"`{clip(escape(text).replace('`', chr(39)), limit - 2)}`"
    text = json.dumps(value, ensure_ascii=False, indent=1, default=str)
    return f"```{clip(escape(text), limit - 6)}```"


def _scalars(value: Any) -> bool:
    """A list of one-line strings, numbers, booleans and nulls (shown as a list, not as
    JSON); a string with line breaks or spaces to spare keeps the JSON, which shows them."""
    return isinstance(value, list) and all(
        v is None
        or isinstance(v, int | float | bool)
        or (isinstance(v, str) and v and " ".join(v.split()) == v and len(v) <= 200)
        for v in value
    )


def number(value: int | float) -> str:
    """Grouped digits, with the precision the number has: ``2,500``, ``5.5``, ``0.125``
    (money, two decimals, only where the schema says so: see :func:`money`)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,}"


def money(value: int | float) -> str:
    """An amount of money: grouped, two decimals (``2,500.00``) or more if it has them."""
    return f"{value:,.2f}" if round(value, 2) == value else f"{value:,}"


def plain_value(value: Any, *, limit: int = 80) -> str:
    """An argument value as plain text on one line (headers and notifications)."""
    if isinstance(value, str):
        text = " ".join(value.split()) or '""'
    elif isinstance(value, bool):
        text = "Yes" if value else "No"
    elif value is None:
        text = "none"
    elif isinstance(value, int | float):
        text = number(value)
    elif _scalars(value):
        text = ", ".join(plain_value(v, limit=limit) for v in value)
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return clip(text, limit)


def plural(count: int, word: str) -> str:
    """``1 approval``, ``2 approvals``."""
    return f"{count} {word}{'' if count == 1 else 's'}"
