"""The headline of a request (its header and notification text), true to its arguments."""

from __future__ import annotations

from collections.abc import Sequence

from bot.blocks.edit_modal import changed_args
from bot.blocks.fields import label_of
from bot.blocks.values import arg_plain
from bot.blocks.view import ActionView, RequestView
from graphs.adapters.common import humanize


def is_edited(action: ActionView) -> bool:
    """The arguments as they stand differ from the ones the graph proposed."""
    return bool(changed_args(action.action.args, action.args))


def current_title(view: RequestView) -> str:
    """The headline of a request's message (see :func:`headline`)."""
    return headline(view.title, view.actions)


def headline(title: str, actions: Sequence[ActionView]) -> str:
    """The graph's title, or, once arguments were edited, one made of the edited ones:
    a title written from the proposed arguments ("Pay $2,500.00 to …") would mislead."""
    edited = [a for a in actions if is_edited(a)]
    if not edited:
        return title
    return "; ".join(_summary(a) for a in edited)


def _summary(action: ActionView) -> str:
    """``Pay — Amount (USD) 1,800``: the action and the arguments the edit changed."""
    args = ", ".join(
        f"{label_of(action.action, k)} {arg_plain(action.action, k, v)}"
        for k, _, v in changed_args(action.action.args, action.args)
    )
    name = humanize(action.action.name)
    return f"{name} — {args}" if args else name
