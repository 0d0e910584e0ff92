"""The generic dialect (a dict with title/description/action/args/approval) and unknown values.

Both resume with the generic contract::

    {"action": "approve" | "reject" | "edit", "args": {...full args...},
     "reason": str | None, "decided_by": ["U…"], "decided_at": ISO-8601}
"""

from __future__ import annotations

from typing import Any

from graphs.adapters.common import allowed_kinds, humanize
from graphs.adapters.schema import property_schema
from graphs.models import ALL_DECISIONS, Action, ActionDecision, ApprovalRequest, DecisionKind

GENERIC_KEYS = frozenset({"title", "description", "action", "args", "approval"})
DEFAULT_ACTION = "action"
UNKNOWN_TITLE = "Approval requested"
UNKNOWN_ACTION = "review"


def is_generic(value: Any) -> bool:
    """Whether ``value`` is a dict using at least one of the generic keys."""
    return isinstance(value, dict) and not GENERIC_KEYS.isdisjoint(value)


def normalize_generic(
    value: dict[str, Any], *, response_schema: dict[str, Any] | None = None
) -> ApprovalRequest:
    """Normalize a generic payload; ``args`` of the response schema becomes the args schema."""
    name = value.get("action")
    name = name if isinstance(name, str) and name.strip() else DEFAULT_ACTION
    # No key is ever dropped from view: without ``args`` the other keys are the
    # arguments; with ``args`` they are shown as context.
    extra = {key: item for key, item in value.items() if key not in GENERIC_KEYS}
    args = value.get("args")
    context: dict[str, Any] = {}
    if args is None:
        args = extra
    else:
        args = args if isinstance(args, dict) else {"value": args}
        context = extra
    approval = value.get("approval")
    approval = approval if isinstance(approval, dict) else {}
    for key in ("title", "description", "action"):  # a value that is no text is still shown
        if value.get(key) is not None and not isinstance(value[key], str):
            context[key] = value[key]
    description = value.get("description")
    description = description if isinstance(description, str) else None
    title = value.get("title")
    if not (isinstance(title, str) and title.strip()):
        title = humanize(name) if name != DEFAULT_ACTION else UNKNOWN_TITLE
    action = Action(
        name=name,
        args=args,
        description=description,
        allowed=_narrow(approval.get("allowed_decisions")),
        args_schema=property_schema(response_schema, "args"),
    )
    return ApprovalRequest(
        dialect="generic",
        title=title,
        description=description,
        actions=[action],
        approval=approval,
        context=context,
    )


def _narrow(allowed: Any) -> tuple[DecisionKind, ...]:
    """``approval.allowed_decisions`` ∩ approve/edit/reject; only reject if that is empty."""
    if allowed is None:
        return ALL_DECISIONS
    kinds = tuple(kind for kind in allowed_kinds(allowed) if kind in ALL_DECISIONS)
    # A list naming nothing we know must not widen to everything; rejecting is always safe.
    return kinds or ("reject",)


def normalize_unknown(value: Any) -> ApprovalRequest:
    """Wrap any other value as one ``review`` action that can be approved or rejected."""
    action = Action(name=UNKNOWN_ACTION, args={"value": value}, allowed=("approve", "reject"))
    return ApprovalRequest(dialect="unknown", title=UNKNOWN_TITLE, actions=[action])


def resume_generic(action: Action, decision: ActionDecision) -> dict[str, Any]:
    """The generic resume value for one decided action."""
    if decision.kind == "respond":
        msg = "the generic contract has no 'respond' decision"
        raise ValueError(msg)
    args = decision.args if decision.kind == "edit" else (decision.args or action.args)
    return {
        "action": decision.kind,
        "args": dict(args),
        "reason": decision.reason,
        "decided_by": list(decision.decided_by),
        "decided_at": decision.decided_at.isoformat(),
    }


def generic_response_schema(args_schema: dict[str, Any]) -> dict[str, Any]:
    """JSON Schema of the generic resume value whose ``args`` follow ``args_schema``.

    Graphs pass it as ``interrupt(..., response_schema=...)`` so the edit modal is typed.
    """
    return {
        "type": "object",
        "properties": {
            "action": {"type": "string", "enum": ["approve", "reject", "edit"]},
            "args": args_schema,
            "reason": {"type": ["string", "null"]},
            "decided_by": {"type": "array", "items": {"type": "string"}},
            "decided_at": {"type": "string", "format": "date-time"},
        },
        "required": ["action", "args"],
    }
