"""LangChain ``HumanInTheLoopMiddleware``, ``interrupt_mode="per_call"`` (``ToolApprovalRequest``).

The interrupt's ``response_schema`` is a discriminated union of the allowed decisions;
its ``edit`` branch pins the tool name and carries the tool's argument schema.
"""

from __future__ import annotations

from typing import Any

from graphs.adapters.common import allowed_kinds
from graphs.adapters.hitl_batch import middleware_decision, tool_calls_title
from graphs.adapters.schema import const_of, property_schema, union_members
from graphs.models import ALL_DECISIONS, Action, ActionDecision, ApprovalRequest, DecisionKind


def is_hitl_call(value: Any) -> bool:
    """Whether ``value`` is a per-call ``{"type": "tool_approval", ...}`` request."""
    return isinstance(value, dict) and value.get("type") == "tool_approval" and "name" in value


def normalize_hitl_call(
    value: dict[str, Any], *, response_schema: dict[str, Any] | None = None
) -> ApprovalRequest:
    """One action for the gated tool call; decisions and args schema from the schema."""
    name = str(value.get("name") or "tool")
    args = value.get("args")
    description = value.get("description")
    description = description if isinstance(description, str) and description else None
    action = Action(
        name=name,
        args=args if isinstance(args, dict) else {},
        description=description,
        allowed=decisions_in_schema(response_schema),
        args_schema=edit_args_schema(response_schema),
    )
    return ApprovalRequest(
        dialect="hitl_call",
        title=tool_calls_title([name]),
        description=description,
        actions=[action],
    )


def decisions_in_schema(schema: dict[str, Any] | None) -> tuple[DecisionKind, ...]:
    """The decision types the response schema accepts; approve/edit/reject without one."""
    if not isinstance(schema, dict):
        return ALL_DECISIONS
    kinds = [const_of(member, "type") for member in union_members(schema)]
    return allowed_kinds(kinds) or ALL_DECISIONS


def edit_args_schema(schema: dict[str, Any] | None) -> dict[str, Any] | None:
    """The tool's args schema from the ``edit`` branch, if it declares any properties."""
    if not isinstance(schema, dict):
        return None
    edit = next((m for m in union_members(schema) if const_of(m, "type") == "edit"), None)
    edited_action = property_schema(edit, "edited_action")
    args = property_schema(edited_action, "args")
    if not args or not isinstance(args.get("properties"), dict):
        return None
    return args


def resume_hitl_call(request: ApprovalRequest, decisions: list[ActionDecision]) -> Any:
    """The single decision dict the middleware reads for this tool call."""
    return middleware_decision(request.actions[0], decisions[0])
