"""LangChain ``HumanInTheLoopMiddleware``, batched mode (``HITLRequest`` / ``HITLResponse``)."""

from __future__ import annotations

from typing import Any

from graphs.adapters.common import allowed_kinds, humanize
from graphs.models import ALL_DECISIONS, Action, ActionDecision, ApprovalRequest


def is_hitl_batch(value: Any) -> bool:
    """Whether ``value`` looks like ``{"action_requests": [...], "review_configs": [...]}``."""
    return (
        isinstance(value, dict)
        and isinstance(value.get("action_requests"), list)
        and isinstance(value.get("review_configs"), list)
        and bool(value["action_requests"])
    )


def tool_calls_title(names: list[str]) -> str:
    """A readable title for a review of one or more tool calls."""
    shown = ", ".join(humanize(name) for name in names)
    if len(names) == 1:
        return f"Approve tool call: {shown}"
    return f"Approve {len(names)} tool calls: {shown}"


def normalize_hitl_batch(value: dict[str, Any]) -> ApprovalRequest:
    """One :class:`Action` per action request, allowed decisions from its review config."""
    requests = [r for r in value["action_requests"] if isinstance(r, dict)]
    configs = [c for c in value["review_configs"] if isinstance(c, dict)]
    actions = []
    for index, request in enumerate(requests):
        name = str(request.get("name") or f"action_{index + 1}")
        args = request.get("args")
        description = request.get("description")
        actions.append(
            Action(
                name=name,
                args=args if isinstance(args, dict) else {},
                description=description if isinstance(description, str) else None,
                allowed=_allowed_for(configs, index, name),
            )
        )
    return ApprovalRequest(
        dialect="hitl_batch",
        title=tool_calls_title([a.name for a in actions]),
        actions=actions,
    )


def _allowed_for(configs: list[dict[str, Any]], index: int, name: str) -> Any:
    """The review config's decisions: configs line up with requests, else match by name."""
    config: dict[str, Any] | None = None
    if len(configs) > index and configs[index].get("action_name") in (None, name):
        config = configs[index]
    else:
        config = next((c for c in configs if c.get("action_name") == name), None)
    if config is None:
        return ALL_DECISIONS
    return allowed_kinds(config.get("allowed_decisions")) or ("reject",)


def middleware_decision(action: Action, decision: ActionDecision) -> dict[str, Any]:
    """One decision exactly as the middleware accepts it (approve/edit/reject/respond)."""
    if decision.kind == "approve":
        return {"type": "approve"}
    if decision.kind == "edit":
        return {"type": "edit", "edited_action": {"name": action.name, "args": decision.args}}
    if decision.kind == "respond":
        return {"type": "respond", "message": decision.reason or ""}
    # Without a reason the middleware tells the model not to retry the call.
    return {"type": "reject", "message": decision.reason} if decision.reason else {"type": "reject"}


def resume_hitl_batch(request: ApprovalRequest, decisions: list[ActionDecision]) -> Any:
    """``{"decisions": [...]}``, one per action request, in order."""
    return {
        "decisions": [
            middleware_decision(action, decision)
            for action, decision in zip(request.actions, decisions, strict=True)
        ]
    }
