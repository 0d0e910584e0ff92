"""Graphs the tests plug in through APPROVALS_GRAPHS; their side effects land in Postgres.

``build_counting`` is the "callable taking the checkpointer" form: it records each
executed action in ``side_effects`` through the checkpointer's own pool, so a test can
count how many times an action really ran, across processes.
"""

from __future__ import annotations

import asyncio
from typing import Any, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt
from psycopg.types.json import Jsonb

CREATE = """CREATE TABLE IF NOT EXISTS side_effects (
    id bigserial PRIMARY KEY, thread_id text, action text, args jsonb)"""


class State(TypedDict, total=False):
    amount: float
    recipient: str
    delay_s: float
    decision: dict[str, Any]
    status: str


def ask(state: State) -> dict[str, Any]:
    answer = interrupt({
        "title": f"Pay {state['amount']} to {state['recipient']}",
        "description": "A test payment",
        "action": "pay",
        "args": {"amount": state["amount"], "recipient": state["recipient"]},
    })
    return {"decision": answer}


def build_counting(checkpointer: BaseCheckpointSaver) -> Any:
    """A one-interrupt payment graph whose execute node writes a ``side_effects`` row."""
    pool: Any = checkpointer.conn  # type: ignore[attr-defined]

    async def execute(state: State, config: RunnableConfig) -> dict[str, Any]:
        decision = state["decision"]
        if state.get("delay_s"):
            await asyncio.sleep(state["delay_s"])
        if decision["action"] == "reject":
            return {"status": "rejected"}
        if state["recipient"] == "unreachable":
            raise RuntimeError("payment provider unreachable")
        async with pool.connection() as conn:
            await conn.execute(CREATE)
            await conn.execute(
                "INSERT INTO side_effects (thread_id, action, args) VALUES (%s, %s, %s)",
                (config.get("configurable", {})["thread_id"], "pay", Jsonb(decision["args"])),
            )
        return {"status": "paid"}

    graph = StateGraph(State)
    graph.add_node("ask", ask)
    graph.add_node("execute", execute)
    graph.add_edge(START, "ask")
    graph.add_edge("ask", "execute")
    graph.add_edge("execute", END)
    return graph.compile(checkpointer=checkpointer)

