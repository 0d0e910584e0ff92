"""Turn any interrupt value into an :class:`ApprovalRequest`, and decisions back into resume values.

Dialects, tried in this order: LangChain HITL batched, OpenAI Agents SDK tool approvals,
LangChain HITL per-call, Agent Inbox, generic, and finally "unknown" for anything else.
"""

from __future__ import annotations

from typing import Any

from graphs.adapters.agent_inbox import normalize_agent_inbox, resume_agent_inbox, unwrap_inbox
from graphs.adapters.common import check_decisions
from graphs.adapters.generic import (
    generic_response_schema,
    is_generic,
    normalize_generic,
    normalize_unknown,
    resume_generic,
)
from graphs.adapters.hitl_batch import is_hitl_batch, normalize_hitl_batch, resume_hitl_batch
from graphs.adapters.hitl_call import is_hitl_call, normalize_hitl_call, resume_hitl_call
from graphs.adapters.openai_agents import (
    is_openai_agents,
    normalize_openai_agents,
    resume_openai_agents,
)
from graphs.models import ActionDecision, ApprovalRequest

__all__ = ["generic_response_schema", "normalize", "resume_value", "with_decision_id"]


def normalize(value: Any, *, response_schema: dict[str, Any] | None = None) -> ApprovalRequest:
    """Detect the dialect of an interrupt value and normalize it.

    ``response_schema`` is the interrupt's JSON Schema for its resume value
    (``Interrupt.response_schema``), used for the edit form's argument schema.
    """
    schema = response_schema if isinstance(response_schema, dict) else None
    if is_hitl_batch(value):
        return normalize_hitl_batch(value)
    if is_openai_agents(value):
        return normalize_openai_agents(value)
    if is_hitl_call(value):
        return normalize_hitl_call(value, response_schema=schema)
    if (inbox := unwrap_inbox(value)) is not None:
        return normalize_agent_inbox(inbox)
    if is_generic(value):
        return normalize_generic(value, response_schema=schema)
    return normalize_unknown(value)


def resume_value(request: ApprovalRequest, decisions: list[ActionDecision]) -> Any:
    """The value to resume the interrupt with, given one decision per action, in order.

    Raises ``ValueError`` if the count is wrong or a decision is not allowed.
    """
    check_decisions(request, decisions)
    if request.dialect == "hitl_batch":
        return resume_hitl_batch(request, decisions)
    if request.dialect == "hitl_call":
        return resume_hitl_call(request, decisions)
    if request.dialect == "agent_inbox":
        return resume_agent_inbox(request, decisions)
    if request.dialect == "openai_agents":
        return resume_openai_agents(request, decisions)
    return resume_generic(request.actions[0], decisions[0])


def with_decision_id(value: Any, decision_id: str) -> Any:
    """The resume value carrying ``decision_id``, the idempotency key of this decision.

    It is the same on every retry of one decision, so a node can pass it to an external
    API (say as an ``Idempotency-Key`` header) and a repeated step does not act twice. A
    dict gets a ``decision_id`` key; a list (Agent Inbox) gets it on each response.
    """
    if isinstance(value, dict):
        return {**value, "decision_id": decision_id}
    if isinstance(value, list):
        return [with_decision_id(v, decision_id) if isinstance(v, dict) else v for v in value]
    return value
