"""Resume values declared by the operator: JSON-e templates per decision.

``[graphs.G.resume]`` (and ``[graphs.G.actions.A.resume]``) in the policy file map a
decision (``approve``, ``reject``, ``edit``, ``respond``) to a JSON-e template. The
template is rendered with the context below into the value the graph's ``interrupt()``
returns. Templates come only from the operator's file: nothing in an interrupt's payload
can set or change them.

Context: ``decision``, ``args`` (approved, edited or not), ``value`` (the interrupt value
as sent), ``reason``, ``text`` (an answer), ``decided_by``, ``decided_at``,
``decision_id`` and ``cause`` (``person``, ``timeout`` or ``cancel``).
"""

from __future__ import annotations

from typing import Any

import jsone
import jsonschema
from jsone.shared import JSONTemplateError

from graphs.models import ALL_DECISIONS, ActionDecision, ApprovalRequest, DecisionKind

SHAPED = ("generic", "flat", "unknown")  # dialects an operator's template may answer
TEMPLATE_KEYS: tuple[DecisionKind, ...] = ("approve", "edit", "reject", "respond")
CONTEXT_KEYS = (
    "decision", "args", "value", "reason", "text", "decided_by", "decided_at", "decision_id",
    "cause",
)
# Errors that depend on the data a run sends (a missing key), not on the template itself.
_DATA_ERRORS = ("has no property", "index out of bounds", "should only use integers")


class TemplateFailed(ValueError):
    """A template could not be rendered for this decision: the request fails, naming it."""


def template_context(
    request: ApprovalRequest, decision: ActionDecision, *, decision_id: str | None
) -> dict[str, Any]:
    """The names a template may use, for one decided action."""
    text = decision.reason if decision.kind == "respond" else None
    return {
        "decision": decision.kind,
        "args": dict(decision.args or request.actions[0].args),
        "value": request.value,
        "reason": decision.reason if decision.kind != "respond" else None,
        "text": text,
        "decided_by": list(decision.decided_by),
        "decided_at": decision.decided_at.isoformat(),
        "decision_id": decision_id,
        "cause": decision.cause,
    }


def render_template(template: Any, context: dict[str, Any], *, name: str) -> Any:
    """``template`` rendered with ``context``; ``TemplateFailed`` naming ``name`` if it fails."""
    try:
        return jsone.render(template, context)
    except JSONTemplateError as exc:
        raise TemplateFailed(f"resume template {name}: {exc}") from None


def check_template(template: Any) -> str | None:
    """What is wrong with ``template`` (a syntax error, an unknown name), else None.

    It is rendered with a sample context; errors that only the data of a real run can
    settle (``value.draft`` on a payload without ``draft``) are not reported here.
    """
    sample = {key: None for key in CONTEXT_KEYS} | {
        "decision": "approve", "args": {}, "value": {}, "decided_by": [], "cause": "person",
        "reason": "", "text": "", "decided_at": "2026-01-01T00:00:00+00:00", "decision_id": "",
    }
    try:
        jsone.render(template, sample)
    except JSONTemplateError as exc:
        message = str(exc)
        if any(data in message for data in _DATA_ERRORS):
            return None
        return message.removeprefix(f"{type(exc).__name__}: ")
    return None


def with_templates(request: ApprovalRequest, templates: dict[str, Any] | None) -> ApprovalRequest:
    """``request`` answered by ``templates``: only the decisions that have one are offered.

    The known dialects (LangChain middleware, Agent Inbox) and breakpoints keep their own
    contracts, so templates never apply to them.
    """
    if templates is None or request.dialect not in SHAPED or len(request.actions) != 1:
        return request
    allowed = tuple(kind for kind in TEMPLATE_KEYS if kind in templates)
    action = request.actions[0].model_copy(update={"allowed": allowed})
    return request.model_copy(update={"resume": dict(templates), "actions": [action]})


def shaped_decisions(request: ApprovalRequest) -> tuple[DecisionKind, ...]:
    """The settings' default decisions, plus ``respond`` when a template answers with text."""
    answers = request.dialect in SHAPED and "respond" in request.actions[0].allowed
    extra: tuple[DecisionKind, ...] = ("respond",) if answers else ()
    return (*ALL_DECISIONS, *extra)


FAILED_KEY = "__approvals_unsendable__"


def failed_value(message: str) -> dict[str, Any]:
    """The stored stand-in for a resume value that could not be made: never sent."""
    return {FAILED_KEY: message}


def failure_of(value: Any) -> str | None:
    """Why the stored resume value could not be made, or None for a real value."""
    if isinstance(value, dict) and isinstance(value.get(FAILED_KEY), str):
        return str(value[FAILED_KEY])
    return None


def check_against_schema(value: Any, schema: dict[str, Any] | None, *, name: str) -> None:
    """Raise :class:`TemplateFailed` naming ``name`` unless ``value`` fits ``schema``."""
    if schema is None:
        return
    try:
        jsonschema.validate(value, schema)
    except jsonschema.ValidationError as exc:
        raise TemplateFailed(
            f"{name}: the value {value!r} does not fit the interrupt's response_schema: "
            f"{exc.message}"
        ) from None
    except jsonschema.SchemaError as exc:
        raise TemplateFailed(f"{name}: the interrupt's response_schema is invalid: "
                             f"{exc.message}") from None
