"""Graphs the tests plug in through APPROVALS_GRAPHS; their side effects land in Postgres.

``build_counting`` is the "callable taking the checkpointer" form: it records each
executed action in ``side_effects`` through the checkpointer's own pool, so a test can
count how many times an action really ran, across processes.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
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



class LedgerState(TypedDict, total=False):
    amount: float
    ledger: str  # a file outside Postgres, as a payment provider would be
    delay_s: float
    allowed: list[str]
    timeout_s: int
    approvers: list[str]
    escalate_after_s: int
    decision: dict[str, Any]
    status: str


def ask_ledger(state: LedgerState) -> dict[str, Any]:
    approval: dict[str, Any] = {}
    if state.get("allowed"):
        approval["allowed_decisions"] = state["allowed"]
    if state.get("timeout_s"):
        approval["timeout_s"] = state["timeout_s"]
    if state.get("approvers"):
        approval["approvers"] = state["approvers"]
    if state.get("escalate_after_s"):
        approval["escalate_after_s"] = state["escalate_after_s"]
    answer = interrupt({
        "title": f"Pay {state['amount']}",
        "action": "pay",
        "args": {"amount": state["amount"]},
        **({"approval": approval} if approval else {}),
    })
    return {"decision": answer}


async def pay_to_ledger(state: LedgerState, config: RunnableConfig) -> dict[str, Any]:
    """The side effect: one line appended to a file per execution of this node."""
    decision = state["decision"]
    if state.get("delay_s"):
        await asyncio.sleep(state["delay_s"])
    if decision["action"] == "reject":
        return {"status": "rejected"}
    thread_id = config.get("configurable", {})["thread_id"]
    line = f"{thread_id} {decision.get('decision_id')} {decision['args']['amount']}\n"
    await asyncio.to_thread(_append, state["ledger"], line)
    return {"status": "paid"}


def _append(path: str, line: str) -> None:
    with open(path, "a") as out:
        out.write(line)


def build_ledger(checkpointer: BaseCheckpointSaver) -> Any:
    """A one-interrupt payment graph whose side effect appends to a file."""
    graph = StateGraph(LedgerState)
    graph.add_node("ask", ask_ledger)
    graph.add_node("execute", pay_to_ledger)
    graph.add_edge(START, "ask")
    graph.add_edge("ask", "execute")
    graph.add_edge("execute", END)
    return graph.compile(checkpointer=checkpointer)


class BlobState(TypedDict, total=False):
    odd: bool
    decision: dict[str, Any]


def ask_bytes(state: BlobState) -> dict[str, Any]:
    args: dict[str, Any] = {"blob": b"\x00\xffPNG", "name": "logo.png",
                            "at": datetime(2026, 1, 2, 3, 4, tzinfo=UTC), "tags": {"b", "a"}}
    if state.get("odd"):
        args["match"] = re.compile("^acme-[0-9]+$")  # checkpointable, but no JSON form
    answer = interrupt({"title": "Upload a blob", "action": "upload", "args": args})
    return {"decision": answer}


def build_bytes(checkpointer: BaseCheckpointSaver) -> Any:
    """A graph whose interrupt value holds ``bytes``, a datetime and a set (or a regex)."""
    graph = StateGraph(BlobState)
    graph.add_node("ask", ask_bytes)
    graph.add_edge(START, "ask")
    graph.add_edge("ask", END)
    return graph.compile(checkpointer=checkpointer)
