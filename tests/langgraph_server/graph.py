"""The graph ``langgraph dev`` serves in the tests: a payment that asks before paying.

``rounds`` asks that many times in a row (each ask is a new interrupt); every answer is
appended to ``answers``, so a test reads from the server's own state how many resume
values arrived and which.
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
    answers: Annotated[list[Any], operator.add]
    status: str


def ask(state: State) -> dict[str, Any]:
    answer = interrupt({
        "title": f"Pay {state['amount']} to {state['recipient']}",
        "description": "A payment on the server",
        "action": "pay",
        "args": {"amount": state["amount"], "recipient": state["recipient"]},
    })
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
