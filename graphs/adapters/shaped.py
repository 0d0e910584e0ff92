"""Resume values derived from an interrupt's ``response_schema`` (LangGraph ≥ 1.2.12).

Used when the operator's file has no template for the request. The mapping:

- ``{"type": "string", "enum": [...]}``: Approve sends the first value reading as yes
  (``approve``, ``approved``, ``yes``, ``accept``, ``ok``, ``confirm``…), Reject the first
  reading as no (``reject``, ``rejected``, ``no``, ``deny``, ``decline``, ``cancel``…);
  only the decisions that find a value are offered.
- ``{"type": "string"}`` without an enum: free text; only **Answer** is offered and the
  answer is sent as the string.
- ``{"type": "boolean"}``: Approve sends ``true``, Reject ``false``.
- an object with a boolean property (``approved`` preferred) and optionally a string
  one (``reason``, ``feedback``, ``comment``, ``message``, else the first string):
  ``{"approved": true}`` or ``{"approved": false, "reason": "…"}``.

Anything else falls back to the default value, which is then checked against the schema.
"""

from __future__ import annotations

import re
from typing import Any

from graphs.adapters.schema import inline_refs
from graphs.models import ActionDecision, ApprovalRequest, DecisionKind

_YES = re.compile(r"^(approve|approved|yes|y|accept|accepted|ok|okay|confirm|confirmed|go|"
                  r"proceed|continue|allow|allowed|true)$", re.IGNORECASE)
_NO = re.compile(r"^(reject|rejected|no|n|deny|denied|decline|declined|cancel|cancelled|"
                 r"canceled|stop|abort|block|blocked|false)$", re.IGNORECASE)
_REASONS = ("reason", "feedback", "comment", "comments", "message", "note")


def _shape(schema: dict[str, Any] | None) -> tuple[str, dict[str, Any]] | None:
    """Which mapping applies to ``schema``: (kind, the inlined schema), or None."""
    if not isinstance(schema, dict):
        return None
    whole = inline_refs(schema)
    kind = whole.get("type")
    if kind == "string":
        return ("enum" if isinstance(whole.get("enum"), list) else "text"), whole
    if kind == "boolean":
        return "boolean", whole
    props = whole.get("properties")
    if kind == "object" and isinstance(props, dict) and _bool_prop(props) is not None:
        return "object", whole
    return None


def _bool_prop(props: dict[str, Any]) -> str | None:
    names = [n for n, p in props.items() if isinstance(p, dict) and p.get("type") == "boolean"]
    return "approved" if "approved" in names else (names[0] if names else None)


def _reason_prop(props: dict[str, Any]) -> str | None:
    names = [n for n, p in props.items() if isinstance(p, dict) and p.get("type") == "string"]
    return next((n for n in _REASONS if n in names), names[0] if names else None)


def _enum_pick(whole: dict[str, Any], kind: DecisionKind) -> Any:
    pattern = _YES if kind in ("approve", "edit") else _NO
    return next((v for v in whole["enum"] if isinstance(v, str) and pattern.match(v)), None)


def schema_decisions(schema: dict[str, Any] | None) -> tuple[DecisionKind, ...] | None:
    """The decisions a schema can express, or None when it does not decide them."""
    shape = _shape(schema)
    if shape is None:
        return None
    kind, whole = shape
    if kind == "text":
        return ("respond",)
    if kind == "enum":
        kinds: tuple[DecisionKind, ...] = ("approve", "reject")
        return tuple(k for k in kinds if _enum_pick(whole, k) is not None) or ("reject",)
    return ("approve", "reject")


def from_schema(request: ApprovalRequest, decision: ActionDecision) -> Any:
    """The value the schema maps ``decision`` onto, or None when it maps nothing."""
    shape = _shape(request.response_schema)
    if shape is None:
        return None
    kind, whole = shape
    yes = decision.kind in ("approve", "edit")
    if kind == "text":
        return decision.reason if decision.kind == "respond" else None
    if kind == "enum":
        return _enum_pick(whole, decision.kind)
    if kind == "boolean":
        return yes
    props = whole["properties"]
    value: dict[str, Any] = {str(_bool_prop(props)): yes}
    reason = _reason_prop(props)
    if reason is not None and decision.reason:
        value[reason] = decision.reason
    return value
