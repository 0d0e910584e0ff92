"""Helpers shared by the dialect adapters: titles, decision checks, timestamps."""

from __future__ import annotations

import re
from typing import Any, get_args

from graphs.models import ActionDecision, ApprovalRequest, DecisionKind

DECISION_KINDS: tuple[DecisionKind, ...] = get_args(DecisionKind)


def humanize(name: str) -> str:
    """Turn a tool or action name (``send_email``, ``sendEmail``) into ``Send email``."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    words = re.sub(r"[_\-\s]+", " ", spaced).strip().lower()
    return words[:1].upper() + words[1:] if words else "Action"


def allowed_kinds(values: Any) -> tuple[DecisionKind, ...]:
    """Keep the known decision kinds from ``values``, in their canonical order."""
    if not isinstance(values, list | tuple):
        return ()
    present = {value for value in values if isinstance(value, str)}
    return tuple(kind for kind in DECISION_KINDS if kind in present)


def check_decisions(request: ApprovalRequest, decisions: list[ActionDecision]) -> None:
    """Raise ``ValueError`` unless there is one allowed decision per action, in order."""
    if len(decisions) != len(request.actions):
        msg = (
            f"{request.dialect} request has {len(request.actions)} action(s) "
            f"but got {len(decisions)} decision(s)"
        )
        raise ValueError(msg)
    for action, decision in zip(request.actions, decisions, strict=True):
        if decision.kind not in action.allowed:
            msg = (
                f"decision {decision.kind!r} is not allowed for action {action.name!r} "
                f"(allowed: {', '.join(action.allowed)})"
            )
            raise ValueError(msg)
        if decision.kind == "respond" and not decision.reason:
            msg = f"a 'respond' decision for {action.name!r} needs its text in 'reason'"
            raise ValueError(msg)
