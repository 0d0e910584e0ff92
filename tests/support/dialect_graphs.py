"""Tiny user graphs for the dialect tests: interrupts whose payload the bot does not know."""

from __future__ import annotations

from typing import Any, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt
from psycopg.types.json import Jsonb

CREATE = """CREATE TABLE IF NOT EXISTS side_effects (
    id bigserial PRIMARY KEY, thread_id text, action text, args jsonb)"""


class State(TypedDict, total=False):
    payload: Any
    answer: Any


def ask(state: State) -> dict[str, Any]:
    """Interrupt with whatever the input's ``payload`` is (a string, a list...)."""
    return {"answer": interrupt(state["payload"])}


def build_raw() -> StateGraph[State]:
    """An uncompiled graph (the registry compiles it) that interrupts once."""
    graph = StateGraph(State)
    graph.add_node("ask", ask)
    graph.add_edge(START, "ask")
    graph.add_edge("ask", END)
    return graph


raw = build_raw()


class PayState(TypedDict, total=False):
    amount: float
    recipient: str
    decision: dict[str, Any]
    status: str


def ask_pay(state: PayState) -> dict[str, Any]:
    """A generic payment request; the decision is kept in the state."""
    args = {"amount": state["amount"], "recipient": state["recipient"]}
    answer = interrupt({"title": f"Pay {state['amount']}", "action": "pay", "args": args})
    return {"decision": answer}


def build_counted(checkpointer: BaseCheckpointSaver[Any]) -> Any:
    """Like ``support.graphs:build_counting``: each executed payment is a ``side_effects`` row."""
    pool: Any = checkpointer.conn  # type: ignore[attr-defined]

    async def execute(state: PayState, config: RunnableConfig) -> dict[str, Any]:
        decision = state["decision"]
        if decision["action"] == "reject":
            return {"status": "rejected"}
        async with pool.connection() as conn:
            await conn.execute(CREATE)
            await conn.execute(
                "INSERT INTO side_effects (thread_id, action, args) VALUES (%s, %s, %s)",
                (config["configurable"]["thread_id"], "pay", Jsonb(decision["args"])),
            )
        return {"status": "paid"}

    graph = StateGraph(PayState)
    graph.add_node("ask", ask_pay)
    graph.add_node("execute", execute)
    graph.add_edge(START, "ask")
    graph.add_edge("ask", "execute")
    graph.add_edge("execute", END)
    return graph.compile(checkpointer=checkpointer)
