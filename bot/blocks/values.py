"""An argument's value as a person writes it, with the unit its schema gives it."""

from __future__ import annotations

import re
from typing import Any

from bot.blocks.fields import label_of
from bot.blocks.format import escape, money, plain_value, show_value
from graphs.models import Action

# A currency named in an argument's title ("Amount (USD)") makes its numbers money.
_CURRENCY = re.compile(r"\b(USD|EUR|GBP|JPY|CHF|CAD|AUD|INR|CNY)\b|[$€£¥]")
_MONEY_FORMATS = {"money", "currency", "decimal-currency"}


def is_money(action: Action, name: str) -> bool:
    """The schema says this argument is money: a ``format`` of money or currency, an
    ``x-currency``, or a currency in its title. Otherwise a number is just a number."""
    schema = action.args_schema if isinstance(action.args_schema, dict) else {}
    props = schema.get("properties")
    prop = props.get(name) if isinstance(props, dict) else None
    if isinstance(prop, dict) and (prop.get("format") in _MONEY_FORMATS or prop.get("x-currency")):
        return True
    return bool(_CURRENCY.search(label_of(action, name)))


def _amount(action: Action, name: str, value: Any) -> str | None:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return money(value) if number and is_money(action, name) else None


def arg_value(action: Action, name: str, value: Any, *, limit: int, inline: bool = False) -> str:
    """mrkdwn for one argument's value (see :func:`bot.blocks.format.show_value`)."""
    amount = _amount(action, name, value)
    return f"`{amount}`" if amount else show_value(value, limit=limit, inline=inline)


def arg_plain(action: Action, name: str, value: Any) -> str:
    """Plain text for one argument's value, on one line (headers, notifications)."""
    return _amount(action, name, value) or plain_value(value)


def key_args(action: Action, args: dict[str, Any], *, count: int = 3) -> str | None:
    """``*Amount (USD)* `2,500.00` · *Recipient* acme`` : the first ``count`` arguments
    (in the graph's order) on one line, and how many more there are."""
    parts = [
        f"*{escape(label_of(action, k))}* {arg_value(action, k, v, limit=80, inline=True)}"
        for k, v in list(args.items())[:count]
    ]
    if len(args) > count:
        parts.append(f"+{len(args) - count} more")
    return " · ".join(parts) or None
