"""``email``: draft an email deterministically, have a person review it, then send it.

Input ``{"to": str, "subject": str?, "body": str?, "topic": str?}``.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import interrupt

from graphs.adapters.generic import generic_response_schema
from graphs.outcome import read_outcome

EMAIL_ARGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "to": {"type": "string", "minLength": 3, "title": "To"},
        # maxLength ≤ 150 keeps the subject a one-line field in the edit modal
        "subject": {"type": "string", "minLength": 1, "maxLength": 150, "title": "Subject"},
        "body": {"type": "string", "maxLength": 5000, "x-multiline": True, "title": "Body"},
    },
    "required": ["to", "subject", "body"],
}
EMAIL_RESPONSE_SCHEMA = generic_response_schema(EMAIL_ARGS_SCHEMA)


class EmailState(TypedDict, total=False):
    """Input fields, the draft, the decision and the result."""

    to: str
    subject: str
    body: str
    topic: str
    decision: dict[str, Any]
    status: Literal["sent", "rejected"]
    sent: dict[str, str] | None
    reason: str | None


def draft(state: EmailState) -> dict[str, Any]:
    """Fill in a subject and body from the topic when the input lacks them."""
    topic = state.get("topic") or "your request"
    subject = state.get("subject") or f"About {topic}"
    body = state.get("body") or (
        f"Hello,\n\nA short note about {topic}. Let me know if you have questions.\n\nBest regards"
    )
    return {"subject": subject, "body": body}


def email_args(state: EmailState) -> dict[str, Any]:
    """The email as the reviewer sees it."""
    return {"to": state["to"], "subject": state["subject"], "body": state["body"]}


def review(state: EmailState) -> dict[str, Any]:
    """Ask a person to approve, edit or reject the draft (no side effects before asking)."""
    args = email_args(state)
    request = {
        "title": f"Send email to {args['to']}: {args['subject']}",
        "description": f"*To:* {args['to']}\n*Subject:* {args['subject']}\n\n{args['body']}",
        "action": "send_email",
        "args": args,
    }
    answer = interrupt(request, response_schema=EMAIL_RESPONSE_SCHEMA)
    return {"decision": answer if isinstance(answer, dict) else {"action": "reject"}}


def send(state: EmailState) -> dict[str, Any]:
    """Send the approved (or edited) email, or record the rejection."""
    outcome = read_outcome(state.get("decision"), email_args(state))
    if outcome.action == "reject":
        return {"status": "rejected", "sent": None, "reason": outcome.reason}
    sent = {key: str(outcome.args[key]) for key in ("to", "subject", "body")}
    return {"status": "sent", "sent": sent, "reason": None}


def build_graph() -> StateGraph[EmailState]:
    """The uncompiled email review graph."""
    graph = StateGraph(EmailState)
    graph.add_node("draft", draft)
    graph.add_node("review", review)
    graph.add_node("send", send)
    graph.add_edge(START, "draft")
    graph.add_edge("draft", "review")
    graph.add_edge("review", "send")
    graph.add_edge("send", END)
    return graph


def build(checkpointer: BaseCheckpointSaver[Any]) -> CompiledStateGraph[Any, Any, Any, Any]:
    """The ``email`` graph compiled with ``checkpointer``."""
    return build_graph().compile(checkpointer=checkpointer, name="email")
