"""``inbox``: an Agent Inbox style graph (``interrupt([HumanInterrupt])[0]``).

Input ``{"path": str}``; asks whether to delete that file, then acts on the
``HumanResponse`` (accept / edit / response / ignore).
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import interrupt


class InboxState(TypedDict, total=False):
    """Input, the human response, and the result."""

    path: str
    response: dict[str, Any]
    status: Literal["deleted", "answered", "ignored"]
    deleted: str | None
    note: str | None


def human_interrupt(path: str) -> dict[str, Any]:
    """The Agent Inbox ``HumanInterrupt`` asking to delete ``path``."""
    return {
        "action_request": {"action": "delete_file", "args": {"path": path}},
        "config": {
            "allow_accept": True,
            "allow_edit": True,
            "allow_respond": True,
            "allow_ignore": True,
        },
        "description": f"The agent wants to delete `{path}`.",
    }


def ask(state: InboxState) -> dict[str, Any]:
    """Interrupt with a one-element list, as Agent Inbox graphs do."""
    answer = interrupt([human_interrupt(state["path"])])
    response = answer[0] if isinstance(answer, list) and answer else answer
    return {"response": response if isinstance(response, dict) else {"type": "ignore"}}


def act(state: InboxState) -> dict[str, Any]:
    """Delete (maybe an edited path), record a text response, or do nothing."""
    response = state.get("response") or {}
    kind, args = response.get("type"), response.get("args")
    if kind == "accept":
        return {"status": "deleted", "deleted": state["path"], "note": None}
    if kind == "edit" and isinstance(args, dict) and isinstance(args.get("args"), dict):
        path = str(args["args"].get("path") or state["path"])
        return {"status": "deleted", "deleted": path, "note": None}
    if kind == "response":
        return {"status": "answered", "deleted": None, "note": str(args)}
    return {"status": "ignored", "deleted": None, "note": None}


def build_graph() -> StateGraph[InboxState]:
    """The uncompiled Agent Inbox example graph."""
    graph = StateGraph(InboxState)
    graph.add_node("ask", ask)
    graph.add_node("act", act)
    graph.add_edge(START, "ask")
    graph.add_edge("ask", "act")
    graph.add_edge("act", END)
    return graph


def build(checkpointer: BaseCheckpointSaver[Any]) -> CompiledStateGraph[Any, Any, Any, Any]:
    """The ``inbox`` graph compiled with ``checkpointer``."""
    return build_graph().compile(checkpointer=checkpointer, name="inbox")
