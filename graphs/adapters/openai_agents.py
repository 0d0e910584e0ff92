"""OpenAI Agents SDK ``ToolApprovalItem``s: one batch per stop, one action per item.

The runner (``graphs.agents_sdk``) turns the items of one stop into a payload tagged
:data:`KIND`; every item becomes an action named after its tool, with its parsed JSON
arguments. The resume value names each call by its ``call_id``; the runner turns it into
``state.approve(item)`` / ``state.reject(item, rejection_message=…)``.
"""

from __future__ import annotations

from typing import Any

from graphs.adapters.hitl_batch import tool_calls_title
from graphs.models import Action, ActionDecision, ApprovalRequest

KIND = "openai_agents.tool_approvals"


def is_openai_agents(value: Any) -> bool:
    """Whether ``value`` is the payload the Agents SDK runner stores for one stop."""
    return (
        isinstance(value, dict)
        and value.get("kind") == KIND
        and isinstance(value.get("items"), list)
        and bool(value["items"])
    )


def _action(item: dict[str, Any], *, many_agents: bool) -> Action:
    args = item.get("args")
    schema = item.get("schema")
    agent = item.get("agent")
    return Action(
        name=str(item.get("tool") or "tool"),
        args=args if isinstance(args, dict) else {"arguments": args},
        description=f"Agent: {agent}" if many_agents and agent else None,
        args_schema=schema if isinstance(schema, dict) and schema.get("properties") else None,
    )


def normalize_openai_agents(value: dict[str, Any]) -> ApprovalRequest:
    """The stop as a batch: the agent's name and its reasoning, one action per item."""
    items = [i for i in value["items"] if isinstance(i, dict)]
    agents = {str(i.get("agent")) for i in items if i.get("agent")}
    actions = [_action(item, many_agents=len(agents) > 1) for item in items]
    lines = [f"Agent: {', '.join(sorted(agents)) or value.get('agent') or 'agent'}"]
    reasoning = value.get("reasoning")
    if isinstance(reasoning, str) and reasoning.strip():
        lines.append(f"Reasoning: {reasoning.strip()}")
    return ApprovalRequest(
        dialect="openai_agents",
        title=tool_calls_title([a.name for a in actions]),
        description="\n".join(lines),
        actions=actions,
    )


def resume_openai_agents(
    request: ApprovalRequest, decisions: list[ActionDecision]
) -> dict[str, Any]:
    """``{"decisions": [...]}``, one per item in order: approve, reject (with the reason
    as the message the model sees) or edit (the arguments the call must be issued with)."""
    out = []
    for action, decision in zip(request.actions, decisions, strict=True):
        kind = "edit" if decision.kind == "edit" or decision.edited else decision.kind
        entry: dict[str, Any] = {"tool": action.name, "type": kind,
                                 "decided_by": list(decision.decided_by)}
        if kind == "edit":
            entry["args"] = decision.args
        if decision.reason:
            entry["message"] = decision.reason
        out.append(entry)
    return {"decisions": out}
