"""``parallel`` and ``chain``: small graphs for tests and demos of several interrupts.

``parallel`` (input ``{"subject": str}``) asks legal and finance at once and fans in;
``chain`` (input ``{"subject": str}``) asks three times in a row from one node.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, TypedDict

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import interrupt

from graphs.outcome import read_outcome

CHAIN_STEPS = ("draft", "review", "publish")


def _merge(left: dict[str, str], right: dict[str, str]) -> dict[str, str]:
    return {**left, **right}


class ParallelState(TypedDict, total=False):
    """The subject, each team's verdict, and the overall status."""

    subject: str
    verdicts: Annotated[dict[str, str], _merge]
    status: Literal["approved", "rejected"]


def _sign_off(team: str, state: ParallelState) -> dict[str, Any]:
    args = {"team": team, "subject": state.get("subject", "")}
    answer = interrupt(
        {
            "title": f"{team.title()} sign-off: {args['subject']}",
            "description": f"{team.title()} must sign off before this ships.",
            "action": "sign_off",
            "args": args,
        }
    )
    return {"verdicts": {team: read_outcome(answer, args).action}}


def legal(state: ParallelState) -> dict[str, Any]:
    """Legal's sign-off."""
    return _sign_off("legal", state)


def finance(state: ParallelState) -> dict[str, Any]:
    """Finance's sign-off."""
    return _sign_off("finance", state)


def fan_in(state: ParallelState) -> dict[str, Any]:
    """Approved only if every team approved (or edited)."""
    verdicts = state.get("verdicts", {})
    ok = len(verdicts) == 2 and all(v != "reject" for v in verdicts.values())
    return {"status": "approved" if ok else "rejected"}


def build_parallel() -> StateGraph[ParallelState]:
    """Two branches, each interrupting, joined by ``fan_in``."""
    graph = StateGraph(ParallelState)
    graph.add_node("legal", legal)
    graph.add_node("finance", finance)
    graph.add_node("fan_in", fan_in)
    graph.add_edge(START, "legal")
    graph.add_edge(START, "finance")
    graph.add_edge(["legal", "finance"], "fan_in")
    graph.add_edge("fan_in", END)
    return graph


class ChainState(TypedDict, total=False):
    """The subject, each step's verdict, and the overall status."""

    subject: str
    steps: Annotated[list[str], operator.add]
    status: Literal["published", "stopped"]


def steps(state: ChainState) -> dict[str, Any]:
    """Three interrupts in a row; a rejection stops the chain early."""
    verdicts: list[str] = []
    for step in CHAIN_STEPS:
        args = {"step": step, "subject": state.get("subject", "")}
        answer = interrupt(
            {"title": f"{step.title()}: {args['subject']}", "action": step, "args": args}
        )
        verdicts.append(read_outcome(answer, args).action)
        if verdicts[-1] == "reject":
            return {"steps": verdicts, "status": "stopped"}
    return {"steps": verdicts, "status": "published"}


def build_chain() -> StateGraph[ChainState]:
    """One node that interrupts three times in a row."""
    graph = StateGraph(ChainState)
    graph.add_node("steps", steps)
    graph.add_edge(START, "steps")
    graph.add_edge("steps", END)
    return graph


def build_parallel_graph(
    checkpointer: BaseCheckpointSaver[Any],
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """The ``parallel`` graph compiled with ``checkpointer``."""
    return build_parallel().compile(checkpointer=checkpointer, name="parallel")


def build_chain_graph(
    checkpointer: BaseCheckpointSaver[Any],
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """The ``chain`` graph compiled with ``checkpointer``."""
    return build_chain().compile(checkpointer=checkpointer, name="chain")
