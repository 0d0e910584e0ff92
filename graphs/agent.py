"""``agent`` and ``agent_per_call``: a LangChain agent whose tools need approval.

``create_agent`` with ``HumanInTheLoopMiddleware`` gating ``pay`` and ``send_email``,
driven by :class:`ScriptedChatModel`. Input ``{"task": str}``.
"""

from __future__ import annotations

from typing import Any, NotRequired

from langchain.agents import AgentState, create_agent
from langchain.agents.middleware import AgentMiddleware, HumanInTheLoopMiddleware
from langchain.agents.middleware.human_in_the_loop import InterruptMode, InterruptOnConfig
from langchain_core.messages import HumanMessage
from langchain_core.tools import tool
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from graphs.scripted_model import ScriptedChatModel


@tool
def pay(amount: float, recipient: str) -> str:
    """Pay ``amount`` US dollars to ``recipient``."""
    return f"Paid ${amount:,.2f} to {recipient}"


@tool
def send_email(to: str, subject: str, body: str) -> str:
    """Send an email."""
    return f"Sent '{subject}' to {to}"


class TaskState(AgentState[Any]):
    """Agent state plus the ``task`` the run was started with."""

    task: NotRequired[str]


class TaskToMessage(AgentMiddleware[TaskState, Any, Any]):
    """Turn the ``task`` input into the first user message."""

    state_schema = TaskState

    def before_agent(self, state: TaskState, runtime: Runtime[Any]) -> dict[str, Any] | None:
        """Add ``task`` as a user message when the conversation is empty."""
        task = state.get("task")
        if task and not state.get("messages"):
            return {"messages": [HumanMessage(content=task)]}
        return None


def _gate(description: str) -> InterruptOnConfig:
    return {"allowed_decisions": ["approve", "edit", "reject"], "description": description}


def build_agent(
    checkpointer: BaseCheckpointSaver[Any] | None, *, mode: InterruptMode = "batched"
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """The compiled agent; ``mode`` is the middleware's ``interrupt_mode``."""
    hitl = HumanInTheLoopMiddleware(
        interrupt_on={
            "pay": _gate("The agent wants to make a payment."),
            "send_email": _gate("The agent wants to send an email."),
        },
        interrupt_mode=mode,
    )
    middleware: list[AgentMiddleware[Any, Any, Any]] = [TaskToMessage(), hitl]
    return create_agent(
        ScriptedChatModel(),
        tools=[pay, send_email],
        middleware=middleware,
        checkpointer=checkpointer,
        name=f"agent_{mode}",
    )


def build(checkpointer: BaseCheckpointSaver[Any]) -> CompiledStateGraph[Any, Any, Any, Any]:
    """The ``agent`` graph: batched approvals, one interrupt per model turn."""
    return build_agent(checkpointer, mode="batched")


def build_per_call(
    checkpointer: BaseCheckpointSaver[Any],
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """The ``agent_per_call`` graph: one interrupt per gated tool call."""
    return build_agent(checkpointer, mode="per_call")
