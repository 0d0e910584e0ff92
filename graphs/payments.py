"""``payments``: pay a recipient; amounts above a threshold need a person's approval.

Input ``{"amount": number, "recipient": str, "memo": str?}``. The ``review`` node only
asks (it is replayed on resume); the ``execute`` node pays.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import interrupt

from graphs.adapters.generic import generic_response_schema
from graphs.outcome import read_outcome

APPROVAL_THRESHOLD = 1000.0

PAYMENT_ARGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "amount": {"type": "number", "exclusiveMinimum": 0, "title": "Amount (USD)"},
        "recipient": {"type": "string", "minLength": 1, "title": "Recipient"},
        "memo": {"type": "string", "maxLength": 500, "title": "Memo"},
    },
    "required": ["amount", "recipient"],
}
PAYMENT_RESPONSE_SCHEMA = generic_response_schema(PAYMENT_ARGS_SCHEMA)


class PaymentState(TypedDict, total=False):
    """Input fields, the decision, and the result."""

    amount: float
    recipient: str
    memo: str
    decision: dict[str, Any]
    status: Literal["paid", "rejected"]
    paid_amount: float | None
    reason: str | None
    decided_by: list[str]


def money(amount: float) -> str:
    """``1250`` → ``$1,250.00``."""
    return f"${amount:,.2f}"


def payment_args(state: PaymentState) -> dict[str, Any]:
    """The payment's arguments from the input, with the amount as a float."""
    args: dict[str, Any] = {"amount": float(state["amount"]), "recipient": state["recipient"]}
    if state.get("memo"):
        args["memo"] = state["memo"]
    return args


def payment_request(args: dict[str, Any]) -> dict[str, Any]:
    """The generic interrupt payload asking to approve one payment."""
    lines = [f"*{money(args['amount'])}* to *{args['recipient']}*"]
    if args.get("memo"):
        lines.append(f"Memo: {args['memo']}")
    lines.append(f"Payments over {money(APPROVAL_THRESHOLD)} need approval.")
    return {
        "title": f"Pay {money(args['amount'])} to {args['recipient']}",
        "description": "\n".join(lines),
        "action": "pay",
        "args": args,
    }


def review(state: PaymentState) -> dict[str, Any]:
    """Approve small payments; interrupt for larger ones. No side effects before asking."""
    args = payment_args(state)
    if args["amount"] <= APPROVAL_THRESHOLD:
        return {"decision": {"action": "approve", "args": args, "reason": None}}
    answer = interrupt(payment_request(args), response_schema=PAYMENT_RESPONSE_SCHEMA)
    return {"decision": answer if isinstance(answer, dict) else {"action": "reject"}}


def execute(state: PaymentState) -> dict[str, Any]:
    """Pay the approved (or edited) arguments, or record the rejection."""
    outcome = read_outcome(state.get("decision"), payment_args(state))
    if outcome.action == "reject":
        return {
            "status": "rejected",
            "paid_amount": None,
            "recipient": state["recipient"],
            "reason": outcome.reason,
            "decided_by": outcome.decided_by,
        }
    return {
        "status": "paid",
        "paid_amount": float(outcome.args["amount"]),
        "recipient": str(outcome.args["recipient"]),
        "reason": None,
        "decided_by": outcome.decided_by,
    }


def build_graph() -> StateGraph[PaymentState]:
    """The uncompiled payments graph."""
    graph = StateGraph(PaymentState)
    graph.add_node("review", review)
    graph.add_node("execute", execute)
    graph.add_edge(START, "review")
    graph.add_edge("review", "execute")
    graph.add_edge("execute", END)
    return graph


def build(checkpointer: BaseCheckpointSaver[Any]) -> CompiledStateGraph[Any, Any, Any, Any]:
    """The ``payments`` graph compiled with ``checkpointer``."""
    return build_graph().compile(checkpointer=checkpointer, name="payments")
