"""Helpers for driving real graphs through the adapters: start, read interrupts, resume."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command, Interrupt

from graphs.adapters import normalize, resume_value
from graphs.models import ActionDecision, ApprovalRequest, DecisionKind
from graphs.registry import GraphRegistry

DECIDED_AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
_threads = itertools.count(1)


def decision(
    kind: DecisionKind, args: dict[str, Any] | None = None, *, reason: str | None = None
) -> ActionDecision:
    """A decision by U1 at a fixed time."""
    return ActionDecision(
        kind=kind,
        args=args or {},
        edited=kind == "edit",
        reason=reason,
        decided_by=["U1"],
        decided_at=DECIDED_AT,
    )


class Driver:
    """Runs one graph on one thread of an in-memory checkpointer."""

    def __init__(self, graph: CompiledStateGraph[Any, Any, Any, Any]) -> None:
        self.graph = graph
        self.config: Any = {"configurable": {"thread_id": f"t{next(_threads)}"}}

    async def start(self, graph_input: dict[str, Any]) -> list[Interrupt]:
        await self.graph.ainvoke(graph_input, self.config)
        return await self.pending()

    async def pending(self) -> list[Interrupt]:
        return list((await self.graph.aget_state(self.config)).interrupts)

    async def values(self) -> dict[str, Any]:
        return dict((await self.graph.aget_state(self.config)).values)

    async def answer(
        self, interrupt: Interrupt, decisions: list[ActionDecision]
    ) -> tuple[ApprovalRequest, Any]:
        """Normalize ``interrupt``, resume it by id with the adapter's value."""
        request = normalize_interrupt(interrupt)
        value = resume_value(request, decisions)
        await self.graph.ainvoke(Command(resume={interrupt.id: value}), self.config)
        return request, value


def normalize_interrupt(interrupt: Interrupt) -> ApprovalRequest:
    schema = interrupt.response_schema if isinstance(interrupt.response_schema, dict) else None
    return normalize(interrupt.value, response_schema=schema)


@pytest.fixture
def registry() -> GraphRegistry:
    return GraphRegistry()


@pytest.fixture
def saver() -> InMemorySaver:
    return InMemorySaver()


@pytest.fixture
def drive(registry: GraphRegistry, saver: InMemorySaver) -> Any:
    """``drive("payments")`` → a :class:`Driver` on a fresh thread.

    ``drive("echo", extra={...})`` builds from a registry with those extra graphs.
    """

    def make(name: str, *, extra: dict[str, str] | None = None) -> Driver:
        source = GraphRegistry(extra) if extra else registry
        return Driver(source.build(name, saver))

    return make


@pytest.fixture
def decide() -> Any:
    """The :func:`decision` factory."""
    return decision


@pytest.fixture
def as_request() -> Any:
    """The :func:`normalize_interrupt` function."""
    return normalize_interrupt


@pytest.fixture
def rebuild(saver: InMemorySaver) -> Any:
    """``rebuild(driver, name)``: the same thread on a graph from a brand-new registry."""

    def make(driver: Driver, name: str) -> Driver:
        fresh = Driver(GraphRegistry().build(name, saver))
        fresh.config = driver.config
        return fresh

    return make
