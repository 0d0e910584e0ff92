"""Graphs written the way the LangGraph docs and tutorials write them, not to our contract.

Each compares or reads the resume value in its own terms (a string, a bool dict, the
edited text itself, a free-text answer), or stops at a static breakpoint. The tests
register them through ``APPROVALS_GRAPHS`` and assert the state they end in.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt


# --- "Approve this plan?" compared with a string -------------------------------------
class PlanState(TypedDict, total=False):
    plan: str
    status: str


def review_plan(state: PlanState) -> dict[str, Any]:
    decision = interrupt({"question": "Approve this plan?", "plan": state["plan"]})
    if decision == "approved":
        return {"status": "approved"}
    return {"status": f"not approved: {decision}"}


plan_review = StateGraph(PlanState)
plan_review.add_node("review_plan", review_plan)
plan_review.add_edge(START, "review_plan")
plan_review.add_edge("review_plan", END)


# --- an email gate reading approval["approved"] and approval["reason"] ---------------
class EmailState(TypedDict, total=False):
    to: str
    body: str
    status: str
    reason: str
    sent: Annotated[list[str], operator.add]


def approval_gate(state: EmailState) -> dict[str, Any]:
    approval = interrupt({"action": "send_email", "to": state["to"], "body": state["body"]})
    if approval["approved"]:
        return {"status": "approved"}
    return {"status": "cancelled", "reason": approval["reason"]}


def send_email(state: EmailState) -> dict[str, Any]:
    if state.get("status") != "approved":
        return {}
    return {"sent": [f"to {state['to']}: {state['body']}"], "status": "sent"}


email_gate = StateGraph(EmailState)
email_gate.add_node("approval_gate", approval_gate)
email_gate.add_node("send_email", send_email)
email_gate.add_edge(START, "approval_gate")
email_gate.add_edge("approval_gate", "send_email")
email_gate.add_edge("send_email", END)


# --- a draft the reviewer may rewrite: edited = interrupt({"draft": ...}) ------------
class DraftState(TypedDict, total=False):
    draft: str
    final: str


def human_edit(state: DraftState) -> dict[str, Any]:
    edited = interrupt({"draft": state["draft"]})
    return {"final": edited}


drafts = StateGraph(DraftState)
drafts.add_node("human_edit", human_edit)
drafts.add_edge(START, "human_edit")
drafts.add_edge("human_edit", END)


# --- a clarifying question answered with free text -----------------------------------
class ClarifyState(TypedDict, total=False):
    request: str
    answer: str
    reply: str


def ask_human(state: ClarifyState) -> dict[str, Any]:
    answer = interrupt({"question": "Which region should I deploy to?",
                        "context": f"The request was: {state['request']}"})
    return {"answer": answer, "reply": "Deploying to " + answer}


clarify = StateGraph(ClarifyState)
clarify.add_node("ask_human", ask_human)
clarify.add_edge(START, "ask_human")
clarify.add_edge("ask_human", END)


# --- a flat payment payload, reading decision["amount"] after an edit ----------------
class PaymentState(TypedDict, total=False):
    amount: int
    recipient: str
    paid: Annotated[list[str], operator.add]
    status: str


def confirm_payment(state: PaymentState) -> dict[str, Any]:
    decision = interrupt({
        "question": "Approve this payment?",
        "amount": state["amount"],
        "recipient": state["recipient"],
        "reasoning": "The invoice is due this week.",
    })
    if decision["action"] == "reject":
        return {"status": "rejected"}
    return {"paid": [f"{decision['amount']} to {decision['recipient']}"], "status": "paid"}


flat_payment = StateGraph(PaymentState)
flat_payment.add_node("confirm_payment", confirm_payment)
flat_payment.add_edge(START, "confirm_payment")
flat_payment.add_edge("confirm_payment", END)


# --- a tool call gated by a response_schema (LangGraph >= 1.2.12) ----------------------
class SchemaState(TypedDict, total=False):
    command: str
    verdict: Any
    ran: Annotated[list[str], operator.add]


def make_gate(schema: dict[str, Any]) -> Any:
    def gate(state: SchemaState) -> dict[str, Any]:
        verdict = interrupt(f"Run `{state['command']}`?", response_schema=schema)
        allowed = verdict in (True, "yes") or (isinstance(verdict, dict) and verdict["ok"])
        return {"verdict": verdict, "ran": [state["command"]] if allowed else []}

    return gate


def _schema_graph(schema: dict[str, Any]) -> StateGraph[SchemaState]:
    graph = StateGraph(SchemaState)
    graph.add_node("gate", make_gate(schema))
    graph.add_edge(START, "gate")
    graph.add_edge("gate", END)
    return graph


yes_no = _schema_graph({"type": "string", "enum": ["yes", "no"]})
boolean_gate = _schema_graph({"type": "boolean"})
free_text = _schema_graph({"type": "string"})
ok_reason = _schema_graph({
    "type": "object",
    "properties": {"ok": {"type": "boolean"}, "why": {"type": "string"}},
    "required": ["ok"],
    "additionalProperties": False,
})


# --- static breakpoints, compiled in -------------------------------------------------
class MailState(TypedDict, total=False):
    to: str
    subject: str
    body: str
    outbox: Annotated[list[str], operator.add]


def write_draft(state: MailState) -> dict[str, Any]:
    return {"body": f"Hello {state['to']}, about {state['subject']}."}


def deliver(state: MailState) -> dict[str, Any]:
    return {"outbox": [f"{state['to']}|{state['subject']}|{state['body']}"]}


def _mail_builder() -> StateGraph[MailState]:
    builder = StateGraph(MailState)
    builder.add_node("write_draft", write_draft)
    builder.add_node("send_email", deliver)
    builder.add_edge(START, "write_draft")
    builder.add_edge("write_draft", "send_email")
    builder.add_edge("send_email", END)
    return builder


def mail_before(checkpointer: BaseCheckpointSaver[Any]) -> Any:
    """``compile(interrupt_before=["send_email"])``, as the breakpoints guide does."""
    return _mail_builder().compile(checkpointer=checkpointer, interrupt_before=["send_email"])


def mail_after(checkpointer: BaseCheckpointSaver[Any]) -> Any:
    """``compile(interrupt_after=["write_draft"])``."""
    return _mail_builder().compile(checkpointer=checkpointer, interrupt_after=["write_draft"])


# --- a graph that stops without asking and without finishing -------------------------
def broken_builder(checkpointer: BaseCheckpointSaver[Any]) -> Any:
    """A graph module whose builder fails (a missing API key, say)."""
    raise RuntimeError("OPENAI_API_KEY is not set")


GRAPHS = ",".join([
    "plan_review=support.tutorial_graphs:plan_review",
    "email_gate=support.tutorial_graphs:email_gate",
    "drafts=support.tutorial_graphs:drafts",
    "clarify=support.tutorial_graphs:clarify",
    "flat_payment=support.tutorial_graphs:flat_payment",
    "yes_no=support.tutorial_graphs:yes_no",
    "boolean_gate=support.tutorial_graphs:boolean_gate",
    "ok_reason=support.tutorial_graphs:ok_reason",
    "free_text=support.tutorial_graphs:free_text",
    "mail_before=support.tutorial_graphs:mail_before",
    "mail_after=support.tutorial_graphs:mail_after",
    "broken=support.tutorial_graphs:broken_builder",
])


def nested_breakpoint(checkpointer: BaseCheckpointSaver[Any]) -> Any:
    """A subgraph compiled with a breakpoint: the parent stops with nothing to ask."""
    inner = _mail_builder().compile(interrupt_before=["send_email"])
    outer = StateGraph(MailState)
    outer.add_node("mailer", inner)
    outer.add_edge(START, "mailer")
    outer.add_edge("mailer", END)
    return outer.compile(checkpointer=checkpointer)


GRAPHS += ",nested=support.tutorial_graphs:nested_breakpoint"


# The same breakpoints as a LangGraph Server loads them (compiled, its own checkpointer).
mail_before_server = _mail_builder().compile(interrupt_before=["send_email"])
mail_server = _mail_builder().compile()
