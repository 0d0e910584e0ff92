"""The graph ``langgraph dev`` serves in the tests: a payment that asks before paying.

``rounds`` asks that many times in a row (each ask is a new interrupt); every answer is
appended to ``answers``, so a test reads from the server's own state how many resume
values arrived and which. ``max_amount`` gives the interrupt a ``response_schema``.
"""

from __future__ import annotations

import asyncio
import operator
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt


class State(TypedDict, total=False):
    amount: float
    recipient: str
    rounds: int
    delay_s: float
    max_amount: float
    answers: Annotated[list[Any], operator.add]
    status: str


def _schema(max_amount: float) -> dict[str, Any]:
    """The resume value's JSON Schema: an edit may not raise the amount past ``max_amount``."""
    args = {
        "type": "object",
        "properties": {
            "amount": {"type": "number", "maximum": max_amount},
            "recipient": {"type": "string"},
        },
    }
    return {"type": "object", "properties": {"args": args}}


def ask(state: State) -> dict[str, Any]:
    limit = state.get("max_amount")
    answer = interrupt(
        {
            "title": f"Pay {state['amount']} to {state['recipient']}",
            "description": "A payment on the server",
            "action": "pay",
            "args": {"amount": state["amount"], "recipient": state["recipient"]},
        },
        response_schema=_schema(limit) if limit is not None else None,
    )
    return {"answers": [answer]}


def again(state: State) -> str:
    return "ask" if len(state.get("answers", [])) < state.get("rounds", 1) else "execute"


async def execute(state: State) -> dict[str, Any]:
    if state.get("delay_s"):
        await asyncio.sleep(state["delay_s"])
    last = state["answers"][-1]
    action = last.get("action") if isinstance(last, dict) else None
    return {"status": "rejected" if action == "reject" else "paid"}


builder = StateGraph(State)
builder.add_node("ask", ask)
builder.add_node("execute", execute)
builder.add_edge(START, "ask")
builder.add_conditional_edges("ask", again, ["ask", "execute"])
builder.add_edge("execute", END)
graph = builder.compile()
