"""The runners of this process: local graphs always, a LangGraph Server when configured."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphs.remote import RemoteRunner
from graphs.runner import LocalRunner, Runner, RunRef


class Runners:
    """Picks the runner of a new run by its graph name, and of a stored run by its kind."""

    def __init__(self, local: LocalRunner, remote: RemoteRunner | None = None) -> None:
        """``remote`` is None when ``LANGGRAPH_API_URL`` is unset (in-process only)."""
        self.local = local
        self.remote = remote

    async def resolve(self, graph: str) -> tuple[Runner, RunRef] | None:
        """The runner for a new run of ``graph``: a local graph first, else a server one.

        The ref's thread id is empty; the caller fills it in.
        """
        if self.local.has(graph):
            return self.local, RunRef("", graph)
        if self.remote is not None:
            found = await self.remote.find_assistant(graph)
            if found is not None:
                return self.remote, found
        return None

    def of(self, run: Mapping[str, Any]) -> tuple[Runner, RunRef]:
        """The runner and ref of a stored run row (``runner``, ``graph``, ``assistant_id``)."""
        ref = RunRef(str(run["thread_id"]), str(run["graph"]), run.get("assistant_id"))
        if run.get("runner", "local") == "remote":
            if self.remote is None:
                raise LookupError(
                    f"run {ref.thread_id} lives on a LangGraph Server, but LANGGRAPH_API_URL "
                    "is not set"
                )
            return self.remote, ref
        return self.local, ref

    def names(self) -> list[str]:
        """The local graph names (server graphs are looked up when asked for)."""
        return self.local.graphs.names()
