"""The normalized approval request and decision, shared by every interrupt dialect.

An adapter turns whatever a graph passed to ``interrupt()`` into an
:class:`ApprovalRequest` (one or more :class:`Action` to decide), and turns the
people's :class:`ActionDecision` list back into the resume value that graph expects.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

DecisionKind = Literal["approve", "edit", "reject", "respond"]
Dialect = Literal[
    "generic", "hitl_batch", "hitl_call", "agent_inbox", "openai_agents", "flat",
    "breakpoint", "unknown",
]
Cause = Literal["person", "timeout", "cancel"]
ALL_DECISIONS: tuple[DecisionKind, ...] = ("approve", "edit", "reject")


class Action(BaseModel):
    """One decidable action: a tool call, a payment, an email."""

    name: str
    args: dict[str, Any] = Field(default_factory=dict)
    description: str | None = None
    allowed: tuple[DecisionKind, ...] = ALL_DECISIONS
    # JSON Schema of ``args`` for the edit modal; None means "infer from the values".
    args_schema: dict[str, Any] | None = None


class ApprovalRequest(BaseModel):
    """What one interrupt asks of people, whatever its dialect."""

    dialect: Dialect
    title: str
    description: str | None = None
    actions: list[Action] = Field(min_length=1)
    # The generic dialect's ``approval`` block, unvalidated: the bot's policy reads it.
    approval: dict[str, Any] = Field(default_factory=dict)
    # Read-only keys of the payload shown beside the arguments (never dropped from view).
    context: dict[str, Any] = Field(default_factory=dict)
    # The interrupt value as the graph sent it, and its ``response_schema`` (if any).
    value: Any = None
    response_schema: dict[str, Any] | None = None
    # The operator's resume templates (``[graphs.G.resume]``), set by the bot from its
    # policy file after normalizing; no adapter ever fills it from a payload.
    resume: dict[str, Any] | None = None


class ActionDecision(BaseModel):
    """What people decided about one action."""

    kind: DecisionKind
    args: dict[str, Any] = Field(default_factory=dict)  # full args, edited or not
    edited: bool = False
    reason: str | None = None  # reject reason, or the text of a ``respond``
    decided_by: list[str] = Field(default_factory=list)
    decided_at: datetime
    cause: Cause = "person"  # who ended it: a person, the timeout, or a cancel
