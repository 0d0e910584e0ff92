"""A "user" module for registry tests: graphs given as ``module:attr`` extras.

``echo_graph`` interrupts with whatever ``payload`` the input holds and stores the
resume value in ``answer``.
"""

from __future__ import annotations

from typing import Any, TypedDict

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import interrupt


class EchoState(TypedDict, total=False):
    payload: Any
    answer: Any


def ask(state: EchoState) -> dict[str, Any]:
    return {"answer": interrupt(state["payload"])}


echo_graph = StateGraph(EchoState)
echo_graph.add_node("ask", ask)
echo_graph.add_edge(START, "ask")
echo_graph.add_edge("ask", END)


def build_echo(checkpointer: BaseCheckpointSaver[Any]) -> CompiledStateGraph[Any, Any, Any, Any]:
    return echo_graph.compile(checkpointer=checkpointer)


def echo_factory(checkpointer: BaseCheckpointSaver[Any]) -> StateGraph[EchoState]:
    return echo_graph


not_a_graph = 42


def returns_junk(checkpointer: BaseCheckpointSaver[Any]) -> str:
    return "junk"
