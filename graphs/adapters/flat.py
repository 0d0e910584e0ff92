"""Flat dicts, as LangGraph tutorials write them: ``interrupt({"question": …, "amount": …})``.

``question``, ``message`` or ``prompt`` (text) is the headline; ``context``,
``reasoning``, ``rationale`` and ``explanation`` are read-only context; every other key
is an argument, shown as a field and editable. Nothing is dropped from view.

The default resume value is the generic contract with the arguments mirrored at the top
level, as the payload had them, so ``decision["amount"]`` reads the edited amount. The
decision's own keys (``action``, ``args``, ``reason``, ``decided_by``, ``decided_at``)
win a clash.
"""

from __future__ import annotations

from typing import Any

from graphs.adapters.generic import UNKNOWN_ACTION, UNKNOWN_TITLE, resume_generic
from graphs.models import Action, ActionDecision, ApprovalRequest

HEADLINE_KEYS = ("question", "message", "prompt")
CONTEXT_KEYS = ("context", "reasoning", "rationale", "explanation")
MAX_TITLE = 150  # a Slack header's limit; a longer headline is shown as the description


def is_flat(value: Any) -> bool:
    """Whether ``value`` is a non-empty dict (tried after every known dialect)."""
    return isinstance(value, dict) and bool(value)


def normalize_flat(value: dict[str, Any]) -> ApprovalRequest:
    """Headline, context and editable arguments of a flat dict."""
    headline_key = next(
        (k for k in HEADLINE_KEYS if isinstance(value.get(k), str) and value[k].strip()), None
    )
    headline = str(value[headline_key]) if headline_key else None
    shown_as_context = (*CONTEXT_KEYS, *HEADLINE_KEYS)  # a second headline is context too
    context = {k: v for k, v in value.items() if k != headline_key and k in shown_as_context}
    args = {k: v for k, v in value.items() if k != headline_key and k not in context}
    short = headline is not None and len(headline) <= MAX_TITLE and "\n" not in headline
    title = headline if short and headline else UNKNOWN_TITLE
    description = None if short else headline
    action = Action(
        name=UNKNOWN_ACTION,
        args=args,
        description=description,
        allowed=("approve", "edit", "reject") if args else ("approve", "reject"),
    )
    return ApprovalRequest(
        dialect="flat", title=title, description=description, actions=[action], context=context
    )


def resume_flat(action: Action, decision: ActionDecision) -> dict[str, Any]:
    """The generic value with the arguments also at the top level (its own keys win)."""
    generic = resume_generic(action, decision)
    return {**generic["args"], **generic}
