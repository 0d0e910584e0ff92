"""Tiny user graphs for the dialect tests: interrupts whose payload the bot does not know."""

from __future__ import annotations

from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt


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

