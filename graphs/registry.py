"""The graphs the bot can run: built-ins plus ``APPROVALS_GRAPHS`` extras.

An extra is ``name=module:attr`` where ``attr`` is an uncompiled ``StateGraph`` (compiled
here with the checkpointer), a callable taking the checkpointer and returning a
compiled graph, or an OpenAI Agents SDK ``Agent`` (run by ``graphs.agents_sdk``).
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Mapping
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import StateGraph
from langgraph.graph.state import CompiledStateGraph

BUILTIN_GRAPHS: dict[str, str] = {
    "payments": "graphs.payments:build",
    "email": "graphs.email_review:build",
    "agent": "graphs.agent:build",
    "agent_per_call": "graphs.agent:build_per_call",
    "inbox": "graphs.inbox:build",
    "parallel": "graphs.examples:build_parallel_graph",
    "chain": "graphs.examples:build_chain_graph",
}

_NAME = re.compile(r"[A-Za-z0-9][\w.-]*")
_TARGET = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")

Compiled = CompiledStateGraph[Any, Any, Any, Any]


def parse_graph_specs(text: str | None) -> dict[str, str]:
    """Parse ``name=module:attr,name2=module:attr`` into ``{name: "module:attr"}``.

    Blank text gives ``{}``; empty items (a trailing comma) are skipped. Raises
    ``ValueError`` on a malformed item or a repeated name.
    """
    specs: dict[str, str] = {}
    for raw in (text or "").split(","):
        item = raw.strip()
        if not item:
            continue
        name, sep, target = (part.strip() for part in item.partition("="))
        if not sep or not _NAME.fullmatch(name) or not _TARGET.fullmatch(target):
            msg = f"bad graph spec {item!r}: expected name=module:attr, e.g. mine=my_pkg.app:graph"
            raise ValueError(msg)
        if name in specs:
            msg = f"graph {name!r} is given twice in {text!r}"
            raise ValueError(msg)
        specs[name] = target
    return specs


class GraphRegistry:
    """Names → graphs; built graphs are cached per name and checkpointer."""

    def __init__(self, extra: Mapping[str, str] | None = None) -> None:
        """Built-ins plus ``extra`` (``{name: "module:attr"}``), which may override them."""
        self._specs: dict[str, str] = {**BUILTIN_GRAPHS, **(extra or {})}
        # Keyed by the checkpointer's id: the cached graph holds the checkpointer, so
        # the id cannot be reused while the entry lives.
        self._cache: dict[tuple[str, int], Compiled] = {}
        self._agents: dict[str, Any | None] = {}

    def names(self) -> list[str]:
        """The known graph names, sorted."""
        return sorted(self._specs)

    def agent(self, name: str) -> Any | None:
        """The OpenAI Agents SDK ``Agent`` registered as ``name``, or None for a graph.

        Raises ``ValueError`` when the spec cannot be loaded.
        """
        if name not in self._specs:
            return None
        if name not in self._agents:
            target = load_target(self._specs[name])
            self._agents[name] = target if is_agent(target) else None
        return self._agents[name]

    def build(self, name: str, checkpointer: BaseCheckpointSaver[Any]) -> Compiled:
        """The compiled graph ``name`` using ``checkpointer``.

        Raises ``KeyError`` for an unknown name and ``ValueError`` when its spec cannot be
        loaded or does not give a graph.
        """
        if name not in self._specs:
            msg = f"unknown graph {name!r}; known graphs: {', '.join(self.names())}"
            raise KeyError(msg)
        key = (name, id(checkpointer))
        if key not in self._cache:
            self._cache[key] = _compile(name, self._specs[name], checkpointer)
        return self._cache[key]


def load_target(spec: str) -> Any:
    """Import ``module:attr`` (``attr`` may be dotted); ``ValueError`` naming the spec."""
    module_name, _, attr_path = spec.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        msg = f"cannot import module {module_name!r} for graph spec {spec!r}: {exc}"
        raise ValueError(msg) from exc
    for attr in attr_path.split("."):
        try:
            target = getattr(target, attr)
        except AttributeError as exc:
            msg = f"graph spec {spec!r}: {module_name!r} has no attribute {attr_path!r}"
            raise ValueError(msg) from exc
    return target


def is_agent(target: Any) -> bool:
    """Whether ``target`` is an ``agents.Agent``. The SDK is an optional extra: a module that
    built an Agent has imported it, so it is looked up, never imported, here."""
    sdk = sys.modules.get("agents")
    agent_type = getattr(sdk, "Agent", None)
    return isinstance(agent_type, type) and isinstance(target, agent_type)


def _compile(name: str, spec: str, checkpointer: BaseCheckpointSaver[Any]) -> Compiled:
    target = load_target(spec)
    if isinstance(target, StateGraph):
        return target.compile(checkpointer=checkpointer, name=name)
    if not callable(target):
        msg = f"graph spec {name}={spec}: expected a StateGraph or a callable, got {target!r}"
        raise ValueError(msg)
    built = target(checkpointer)
    if isinstance(built, StateGraph):
        built = built.compile(checkpointer=checkpointer, name=name)
    if not isinstance(built, CompiledStateGraph):
        msg = f"graph spec {name}={spec}: the callable returned {type(built).__name__}, not a graph"
        raise ValueError(msg)
    return built
