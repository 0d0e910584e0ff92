"""Agent Inbox ``HumanInterrupt`` and its ``HumanResponse``.

Agent Inbox graphs call ``interrupt([request])[0]``, so the value may be the request
itself or a one-element list holding it; either way the resume value is a list holding
one ``HumanResponse``.
"""

from __future__ import annotations

from typing import Any

from graphs.adapters.common import humanize
from graphs.models import Action, ActionDecision, ApprovalRequest, DecisionKind

# HumanInterruptConfig flag → the decision it allows; ignoring a request rejects it.
_FLAGS: tuple[tuple[str, DecisionKind], ...] = (
    ("allow_accept", "approve"),
    ("allow_edit", "edit"),
    ("allow_ignore", "reject"),
    ("allow_respond", "respond"),
)


def _is_human_interrupt(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("action_request"), dict)
        and isinstance(value.get("config"), dict)
    )


def unwrap_inbox(value: Any) -> dict[str, Any] | None:
    """The ``HumanInterrupt`` in ``value`` (bare or in a one-element list), else ``None``."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value if _is_human_interrupt(value) else None


def normalize_agent_inbox(interrupt_value: dict[str, Any]) -> ApprovalRequest:
    """One action from ``action_request``; allowed decisions from the config flags."""
    request = interrupt_value["action_request"]
    config = interrupt_value["config"]
    name = str(request.get("action") or "action")
    args = request.get("args")
    description = interrupt_value.get("description")
    description = description if isinstance(description, str) and description else None
    allowed = tuple(kind for flag, kind in _FLAGS if config.get(flag))
    action = Action(
        name=name,
        args=args if isinstance(args, dict) else {},
        description=description,
        allowed=allowed or ("reject",),
    )
    return ApprovalRequest(
        dialect="agent_inbox", title=humanize(name), description=description, actions=[action]
    )


def resume_agent_inbox(request: ApprovalRequest, decisions: list[ActionDecision]) -> Any:
    """A list holding one ``HumanResponse`` for the single action."""
    action, decision = request.actions[0], decisions[0]
    response: dict[str, Any]
    if decision.kind == "approve":
        response = {"type": "accept", "args": None}
    elif decision.kind == "edit":
        response = {"type": "edit", "args": {"action": action.name, "args": decision.args}}
    elif decision.kind == "respond":
        response = {"type": "response", "args": decision.reason or ""}
    else:
        response = {"type": "ignore", "args": None}
    return [response]
