"""Read a generic resume value inside a graph node (the bot's side is ``graphs.adapters``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

Verdict = Literal["approve", "edit", "reject"]


class Outcome(BaseModel):
    """A generic resume value, read defensively: anything unreadable is a rejection."""

    action: Verdict
    args: dict[str, Any]
    reason: str | None = None
    decided_by: list[str] = []


def read_outcome(answer: Any, original: dict[str, Any]) -> Outcome:
    """Interpret ``answer`` for an action whose arguments were ``original``.

    Approve keeps the original arguments, edit takes the answer's (over the originals),
    and anything else, including a malformed answer, rejects.
    """
    if not isinstance(answer, dict):
        return Outcome(action="reject", args=original, reason="unreadable decision")
    action = answer.get("action")
    reason = answer.get("reason")
    reason = reason if isinstance(reason, str) else None
    by = answer.get("decided_by")
    decided_by = [str(u) for u in by] if isinstance(by, list) else []
    if action == "approve":
        return Outcome(action="approve", args=original, decided_by=decided_by)
    if action == "edit" and isinstance(answer.get("args"), dict):
        edited = {**original, **answer["args"]}
        return Outcome(action="edit", args=edited, decided_by=decided_by)
    return Outcome(action="reject", args=original, reason=reason, decided_by=decided_by)
