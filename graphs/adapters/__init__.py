"""Turn any interrupt value into an :class:`ApprovalRequest`, and decisions back into resume values.

Dialects, tried in this order: LangChain HITL batched, OpenAI Agents SDK tool approvals,
LangChain HITL per-call, Agent Inbox, generic, and finally "unknown" for anything else.
"""

from __future__ import annotations

from typing import Any

from graphs.adapters.agent_inbox import normalize_agent_inbox, resume_agent_inbox, unwrap_inbox
from graphs.adapters.breakpoint import (
    is_stop,
    normalize_breakpoint,
    resume_breakpoint,
    stop_value,
)
from graphs.adapters.common import check_decisions
from graphs.adapters.flat import is_flat, normalize_flat, resume_flat
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
from graphs.adapters.shaped import from_schema, schema_decisions
from graphs.adapters.templates import (
    SHAPED,
    TemplateFailed,
    check_against_schema,
    failed_value,
    failure_of,
    render_template,
    template_context,
)
from graphs.models import ActionDecision, ApprovalRequest

__all__ = [
    "TemplateFailed",
    "failed_value",
    "failure_of",
    "generic_response_schema",
    "is_stop",
    "normalize",
    "resume_value",
    "sent_value",
    "stop_value",
    "with_decision_id",
]


def normalize(
    value: Any,
    *,
    response_schema: dict[str, Any] | None = None,
    breakpoint: str | None = None,
) -> ApprovalRequest:
    """Detect the dialect of an interrupt value and normalize it.

    ``response_schema`` is the interrupt's JSON Schema for its resume value
    (``Interrupt.response_schema``), used for the edit form's argument schema.
    ``breakpoint`` names the node a run paused before (``value`` is then its state).
    """
    schema = response_schema if isinstance(response_schema, dict) else None
    if breakpoint is not None:
        return normalize_breakpoint(value, node=breakpoint)
    request = _detect(value, schema)
    allowed = schema_decisions(schema) if request.dialect in SHAPED else None
    if allowed is not None and len(request.actions) == 1:
        actions = [request.actions[0].model_copy(update={"allowed": allowed})]
        request = request.model_copy(update={"actions": actions})
    return request.model_copy(update={"value": value, "response_schema": schema})


def _detect(value: Any, schema: dict[str, Any] | None) -> ApprovalRequest:
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
    if is_flat(value):
        return normalize_flat(value)
    return normalize_unknown(value)


def resume_value(
    request: ApprovalRequest, decisions: list[ActionDecision], *, decision_id: str | None = None
) -> Any:
    """The value to resume the interrupt with, given one decision per action, in order.

    The four known dialects keep their own contracts; any other request is answered by
    the operator's template for the decision when it has one (``decision_id`` is in its
    context), else with the generic value. Raises ``ValueError`` if the count is wrong or
    a decision is not allowed, and :class:`TemplateFailed` if a template cannot render.
    """
    check_decisions(request, decisions)
    if request.dialect == "breakpoint":
        return resume_breakpoint(request.actions[0], decisions[0])
    if request.dialect in SHAPED:
        return _shaped(request, decisions[0], decision_id=decision_id)
    if request.dialect == "hitl_batch":
        return resume_hitl_batch(request, decisions)
    if request.dialect == "hitl_call":
        return resume_hitl_call(request, decisions)
    if request.dialect == "agent_inbox":
        return resume_agent_inbox(request, decisions)
    if request.dialect == "openai_agents":
        return resume_openai_agents(request, decisions)
    return resume_generic(request.actions[0], decisions[0])


def _shaped(request: ApprovalRequest, decision: ActionDecision, *, decision_id: str | None) -> Any:
    """A template's value, else the generic one (mirrored for a flat dict), then checked
    against the interrupt's ``response_schema``."""
    action, kind = request.actions[0], decision.kind
    if request.resume is not None:
        if kind not in request.resume:
            return stop_value(decision.reason)  # never a value that could read as yes
        context = template_context(request, decision, decision_id=decision_id)
        value = render_template(request.resume[kind], context, name=f"resume.{kind}")
        name = f"the resume template for {kind!r}"
    else:
        value = from_schema(request, decision)
        name = f"the {kind} value derived from the response_schema"
        if value is None:
            flat = request.dialect == "flat"
            value = resume_flat(action, decision) if flat else resume_generic(action, decision)
            name = f"the default {kind} value"
    if request.dialect != "generic" or request.resume is not None:  # generic: as before
        check_against_schema(value, request.response_schema, name=name)
    return value


def sent_value(request: ApprovalRequest, stored: Any, decision_id: str) -> Any:
    """The stored resume value as sent: an operator's template is sent exactly as it
    rendered (its context has ``decision_id``); any other value carries the key."""
    shaped = request.resume is not None or schema_decisions(request.response_schema) is not None
    if request.dialect in SHAPED and shaped:
        return stored  # exactly the value checked against the graph's schema
    return with_decision_id(stored, decision_id)


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
