"""The runners of this process: local graphs and registered Agents always, a LangGraph
Server when configured."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from contextlib import aclosing
from dataclasses import replace
from datetime import datetime
from typing import Any

from graphs import discovery
from graphs.agents_sdk import AgentsRunner
from graphs.discovery import Scan
from graphs.external import ExternalRunner
from graphs.remote import RemoteRunner, is_thread_id
from graphs.runner import LocalRunner, Runner, RunRef
from graphs.server_thread import ServerThread, server_thread


class Runners:
    """Picks the runner of a new run by its graph name, and of a stored run by its kind."""

    def __init__(
        self,
        local: LocalRunner,
        remote: RemoteRunner | None = None,
        agents: AgentsRunner | None = None,
        *,
        external: ExternalRunner | None = None,
    ) -> None:
        """``remote`` is None when ``LANGGRAPH_API_URL`` is unset (in-process only);
        ``agents`` runs registered OpenAI Agents SDK agents; ``external`` drives the
        approvals API's requests."""
        self.local = local
        self.remote = remote
        self.agents = agents
        self.external = external

    async def resolve(self, graph: str) -> tuple[Runner, RunRef] | None:
        """The runner for a new run of ``graph``: a local graph first, else a server one.

        The ref's thread id is empty; the caller fills it in.
        """
        if self.agents is not None and self.agents.has(graph):
            return self.agents, RunRef("", graph)
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
        if run.get("runner") == "agents" and self.agents is not None:
            return self.agents, ref
        if run.get("runner", "local") == "remote":
            if self.remote is None:
                raise LookupError(
                    f"run {ref.thread_id} lives on a LangGraph Server, but LANGGRAPH_API_URL "
                    "is not set"
                )
            return self.remote, ref
        if run.get("runner") == "external" and self.external is not None:
            return self.external, ref
        return self.local, ref

    @property
    def polls(self) -> bool:
        """True when there is a server whose interrupted threads must be looked for."""
        return self.remote is not None

    async def changed_threads(
        self, scan: Scan, *, floor: datetime | None, max_pages: int
    ) -> AsyncGenerator[list[ServerThread], None]:
        """Interrupted server threads changed at or after ``floor``, newest first, by page."""
        if self.remote is None:
            return
        found = discovery.recent(self.remote.search_interrupted, scan, floor=floor,
                                 max_pages=max_pages)
        async with aclosing(found) as pages:
            async for page in pages:
                yield _parsed(page, self.remote.requester_key)

    async def every_thread(
        self, scan: Scan, *, max_pages: int
    ) -> AsyncGenerator[list[ServerThread], None]:
        """Every interrupted server thread from ``scan.cursor`` on, oldest first, by page."""
        if self.remote is None:
            return
        found = discovery.everything(self.remote.search_interrupted, scan, max_pages=max_pages)
        async with aclosing(found) as pages:
            async for page in pages:
                yield _parsed(page, self.remote.requester_key)

    async def server_thread(self, thread_id: str) -> ServerThread | None:
        """One thread read from the server (never from a webhook's body), or None."""
        if self.remote is None or not is_thread_id(thread_id):
            return None
        found = await self.remote.thread(thread_id)
        if found is None:
            return None
        return server_thread(found, requester_key=self.remote.requester_key)

    async def verified(self, thread: ServerThread) -> ServerThread | None:
        """``thread`` with the graph and assistant its run actually used (None when the
        server shows no run for it): what its policy and its resumes are chosen by."""
        if self.remote is None:
            return None
        source = await self.remote.run_source(thread.thread_id)
        if source is None:
            return None
        return replace(thread, graph=source.graph, assistant_id=source.assistant_id)

    async def server_state(self) -> str:
        """``up``, ``down``, or ``off`` when no server is configured (for ``/healthz``)."""
        if self.remote is None:
            return "off"
        return "up" if await self.remote.ok() else "down"

    def names(self) -> list[str]:
        """The local graph names (server graphs are looked up when asked for)."""
        return self.local.graphs.names()


def _parsed(page: list[dict[str, Any]], requester_key: str | None) -> list[ServerThread]:
    """The threads of a page the bot can adopt (a usable id and graph id)."""
    found = [server_thread(t, requester_key=requester_key) for t in page]
    return [t for t in found if t is not None]
