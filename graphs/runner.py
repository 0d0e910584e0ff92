"""One small interface over where a graph runs: in this process, or on a LangGraph Server.

The engine drives a ``Runner`` and never asks which kind it is. A runner starts a run,
reads a thread's pending interrupts, resumes one interrupt with a value, and reads the
final state. ``LocalRunner`` runs registry graphs with the Postgres checkpointer;
``graphs.remote.RemoteRunner`` drives a LangGraph Server through ``langgraph-sdk``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.types import Command

from graphs.adapters.breakpoint import breakpoint_id, is_breakpoint_id
from graphs.registry import GraphRegistry

# Each step's checkpoint is written (and its fence checked) before the next step starts,
# so an in-process owner that lost its lease stops at the next step instead of running on.
DURABILITY: Literal["sync"] = "sync"


class RunnerUnavailable(Exception):  # noqa: N818 - reads as a state, like TimeoutError
    """The server is down, slow or refused for now: keep the decision, try again later."""


class ThreadBusy(RunnerUnavailable):
    """The thread is running something else (HTTP 409): try again when it is idle."""


class ResumeIgnored(RunnerUnavailable):
    """The server ran the resume but did not take the answer: the decision is sent again."""


class GraphBuildFailed(Exception):  # noqa: N818 - reads as what happened
    """The graph itself could not be built (its module, or its builder, raised)."""


class ThreadMissing(LookupError):
    """The server has no such thread (it lost it, or it was deleted): not retried."""


@dataclass(frozen=True)
class RunRef:
    """Which run: its thread, its graph name and (on a server) its assistant."""

    thread_id: str
    graph: str
    assistant_id: str | None = None


@dataclass(frozen=True)
class Pending:
    """One interrupt waiting for an answer."""

    id: str
    value: Any
    response_schema: dict[str, Any] | None = None
    breakpoint: str | None = None  # a static breakpoint before this node (value: the state)


@dataclass(frozen=True)
class Snapshot:
    """A thread as the engine needs it: pending interrupts, what runs next, the values."""

    interrupts: tuple[Pending, ...]
    next: tuple[str, ...]
    values: Any
    failed: tuple[str, ...] = ()  # the nodes whose last attempt raised
    busy: bool = False  # a run is still going on the thread (a server's run in flight)


class Runner(Protocol):
    """Where a graph runs; ``kind`` is stored with each run (``local`` or ``remote``)."""

    kind: str

    async def start(self, ref: RunRef, input: Any, *, metadata: dict[str, Any]) -> None:
        """Start a run on a new thread and wait until it finishes or interrupts."""
        ...

    async def snapshot(self, ref: RunRef) -> Snapshot:
        """The thread's pending interrupts, next steps and values."""
        ...

    async def resume(self, ref: RunRef, *, interrupt_id: str, value: Any) -> None:
        """Answer one pending interrupt with ``value`` (keyed by its id, never bare)."""
        ...

    async def proceed(self, ref: RunRef) -> None:
        """Continue a run whose resume was taken but which did not finish (a crash)."""
        ...


def config_of(thread_id: str) -> RunnableConfig:
    """The LangGraph config addressing one thread."""
    return RunnableConfig(configurable={"thread_id": thread_id})


class LocalRunner:
    """Registry graphs, run in this process with the Postgres checkpointer."""

    kind = "local"

    def __init__(self, graphs: GraphRegistry, checkpointer: BaseCheckpointSaver[Any]) -> None:
        """Run ``graphs`` with ``checkpointer``."""
        self.graphs = graphs
        self.checkpointer = checkpointer

    def has(self, graph: str) -> bool:
        """True when ``graph`` is a local graph name."""
        return graph in self.graphs.names()

    async def start(self, ref: RunRef, input: Any, *, metadata: dict[str, Any]) -> None:
        """Invoke the graph until it finishes or interrupts."""
        try:
            compiled = self.graphs.build(ref.graph, self.checkpointer)
        except Exception as exc:
            raise GraphBuildFailed(f"{type(exc).__name__}: {exc}") from exc
        await compiled.ainvoke(input, config_of(ref.thread_id), durability=DURABILITY)

    async def snapshot(self, ref: RunRef) -> Snapshot:
        """Read the checkpoint (``aget_state``)."""
        compiled = self.graphs.build(ref.graph, self.checkpointer)
        state = await compiled.aget_state(config_of(ref.thread_id))
        pending = tuple(
            Pending(i.id, i.value, _schema(getattr(i, "response_schema", None)))
            for i in state.interrupts
        )
        failed = tuple(t.name for t in state.tasks if t.error is not None)
        if not pending and state.next and not failed and _has_breakpoints(compiled):
            checkpoint = str(state.config["configurable"]["checkpoint_id"])
            pending = (Pending(breakpoint_id(checkpoint), state.values, None, state.next[0]),)
        return Snapshot(pending, tuple(state.next), state.values, failed)

    async def resume(self, ref: RunRef, *, interrupt_id: str, value: Any) -> None:
        """``ainvoke(Command(resume={interrupt_id: value}))``; at a breakpoint,
        ``aupdate_state`` with an edit's changed values, then ``ainvoke(None)``."""
        compiled = self.graphs.build(ref.graph, self.checkpointer)
        config = config_of(ref.thread_id)
        if is_breakpoint_id(interrupt_id):
            update = value.get("update") if isinstance(value, dict) else None
            if update:
                await compiled.aupdate_state(config, update)
            await compiled.ainvoke(None, config, durability=DURABILITY)
            return
        await compiled.ainvoke(
            Command(resume={interrupt_id: value}), config, durability=DURABILITY
        )

    async def proceed(self, ref: RunRef) -> None:
        """``ainvoke(None)``: run on from the last checkpoint."""
        compiled = self.graphs.build(ref.graph, self.checkpointer)
        await compiled.ainvoke(None, config_of(ref.thread_id), durability=DURABILITY)


def _has_breakpoints(compiled: Any) -> bool:
    """Whether the graph was compiled with ``interrupt_before`` or ``interrupt_after``."""
    return bool(compiled.interrupt_before_nodes or compiled.interrupt_after_nodes)


def _schema(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None
