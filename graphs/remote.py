"""``RemoteRunner``: runs that live on a LangGraph Server, driven with ``langgraph-sdk``.

The server does not make a resume exactly-once by itself: its default multitask strategy
queues a second resume, and it accepts (and ignores, or hands to whatever waits now) a
resume for an interrupt that is gone. So every resume here is keyed by the interrupt id,
sent with ``multitask_strategy="reject"`` (a busy thread answers 409, which is retried
later), and with ``strict_resume`` where the server's ``/info`` says it knows it. The
caller checks that the interrupt is still pending (``snapshot``) under its fence first.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx
from langgraph_sdk.client import LangGraphClient
from langgraph_sdk.errors import (
    APIStatusError,
    ConflictError,
    NotFoundError,
    UnprocessableEntityError,
)

from graphs.adapters.breakpoint import breakpoint_id, is_breakpoint_id
from graphs.runner import (
    Pending,
    ResumeIgnored,
    RunnerUnavailable,
    RunRef,
    Snapshot,
    ThreadBusy,
    ThreadMissing,
)

log = logging.getLogger(__name__)
SETTLE_TRIES = 40
DISCOVERY_FIELDS = ("thread_id", "status", "metadata", "interrupts", "created_at", "updated_at")
T = TypeVar("T")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def is_thread_id(text: Any) -> bool:
    """True for a UUID string (what a LangGraph Server names threads with)."""
    return isinstance(text, str) and _UUID.fullmatch(text) is not None


@asynccontextmanager
async def _translated() -> AsyncIterator[None]:
    """SDK and transport errors as runner errors: busy, unavailable, or left as they are."""
    try:
        yield
    except ConflictError as exc:
        raise ThreadBusy(str(exc)) from exc
    except httpx.TransportError as exc:
        raise RunnerUnavailable(f"LangGraph Server unreachable: {exc}") from exc
    except APIStatusError as exc:
        if exc.status_code >= 500 or exc.status_code == 429:
            raise RunnerUnavailable(f"LangGraph Server answered {exc.status_code}") from exc
        raise


class RemoteRunner:
    """Threads on one LangGraph Server (``LANGGRAPH_API_URL``)."""

    kind = "remote"

    def __init__(
        self,
        url: str,
        *,
        api_key: str | None = None,
        timeout_s: float = 10.0,
        wait_s: float = 30.0,
        requester_key: str | None = None,
    ) -> None:
        """A client for ``url``; ``wait_s`` bounds how long a start or resume waits for the
        run; ``requester_key`` names the thread metadata key the server's auth sets."""
        # get_client's transport retries a refused connection five times with backoff
        # (about 7.5 s); a server that is down should fail fast and be retried later.
        http = httpx.AsyncClient(
            base_url=url,
            transport=httpx.AsyncHTTPTransport(retries=1),
            timeout=httpx.Timeout(timeout_s),
            headers={"x-api-key": api_key} if api_key else {},
        )
        self.client = LangGraphClient(http)
        self.wait_s = wait_s
        self.requester_key = requester_key
        self._strict: bool | None = None
        self._graph_of: dict[str, str] = {}  # assistant id → graph id (never changes)

    async def _call(self, call: Awaitable[T]) -> T:
        async with _translated():
            return await call

    async def find_assistant(self, graph: str) -> RunRef | None:
        """The assistant named ``graph`` (an assistant id or a graph id), or None."""
        try:
            async with _translated():
                if is_thread_id(graph):
                    found = await self.client.assistants.get(graph)
                    return RunRef("", str(found["graph_id"]), str(found["assistant_id"]))
                matches = await self.client.assistants.search(graph_id=graph, limit=1)
        except (NotFoundError, UnprocessableEntityError):
            return None
        if not matches:
            return None
        return RunRef("", graph, str(matches[0]["assistant_id"]))

    async def run_source(self, thread_id: str) -> RunRef | None:
        """The graph and assistant the thread's latest run used, from the server's own
        run record (never from thread metadata, which any client may rewrite)."""
        found: Any = await self._call(self.client.runs.list(thread_id, limit=1))
        if not found:
            return None
        assistant = str(found[0]["assistant_id"])
        graph = self._graph_of.get(assistant)
        if graph is None:
            try:
                info: Any = await self._call(self.client.assistants.get(assistant))
            except NotFoundError:
                return None
            graph = self._graph_of[assistant] = str(info["graph_id"])
        return RunRef(thread_id, graph, assistant)

    async def strict_resume(self) -> bool:
        """Whether the server's ``/info`` flags say it supports ``strict_resume``."""
        if self._strict is None:
            info: Any = await self._call(self.client.http.get("/info"))
            flags = info.get("flags", {}) if isinstance(info, dict) else {}
            self._strict = bool(isinstance(flags, dict) and flags.get("strict_resume"))
        return self._strict

    async def start(self, ref: RunRef, input: Any, *, metadata: dict[str, Any]) -> None:
        """Create the thread (with the bot's metadata) and a run; wait for it to stop."""
        await self._call(
            self.client.threads.create(thread_id=ref.thread_id, metadata=metadata)
        )
        run = await self._call(
            self.client.runs.create(
                ref.thread_id,
                ref.assistant_id or ref.graph,
                input=input,
                multitask_strategy="reject",
            )
        )
        await self._join(ref, str(run["run_id"]))

    async def thread(self, thread_id: str) -> dict[str, Any] | None:
        """The server's thread, or None when it has no such thread."""
        try:
            found: Any = await self._call(self.client.threads.get(thread_id))
        except NotFoundError:
            return None
        return dict(found)

    async def snapshot(self, ref: RunRef) -> Snapshot:
        """The thread's checkpoint: pending interrupts, next steps, values.

        A busy thread (a resume queued or running) still shows the old interrupt in its
        checkpoint, so it is reported as running, never as pending. A thread without a
        checkpoint has lost its run (a server restart that lost its state): that is an
        error, never "nothing pending".
        """
        found = await self.thread(ref.thread_id)
        if found is None:
            raise ThreadMissing(f"thread {ref.thread_id} is not on the LangGraph Server")
        if found.get("status") == "busy":
            return Snapshot((), ("busy",), found.get("values"), busy=True)
        state: Any = await self._call(self.client.threads.get_state(ref.thread_id))
        if not state.get("checkpoint"):
            raise ThreadMissing(
                f"thread {ref.thread_id} has no checkpoint on the LangGraph Server (lost?)"
            )
        pending = pending_of(state.get("interrupts"))
        if not pending and found.get("status") == "interrupted":
            # After a restart that lost the checkpoint's pending writes, only the thread
            # record still lists the interrupt; its node asks again with the same id.
            groups = found.get("interrupts")
            for items in groups.values() if isinstance(groups, dict) else []:
                pending.extend(pending_of(items))
        nexts = tuple(state.get("next") or ())
        failed = tuple(str(t.get("name")) for t in state.get("tasks") or () if t.get("error"))
        if not pending and nexts and not failed and found.get("status") == "interrupted":
            # A static breakpoint: an interrupted thread with no interrupt value.
            checkpoint = str((state.get("checkpoint") or {}).get("checkpoint_id"))
            pending = [Pending(breakpoint_id(checkpoint), state.get("values"), None, nexts[0])]
        return Snapshot(tuple(pending), nexts, state.get("values"), failed)

    async def resume(self, ref: RunRef, *, interrupt_id: str, value: Any) -> None:
        """``runs.create(command={"resume": {id: value}}, multitask_strategy="reject")``;
        at a breakpoint, ``threads.update_state`` with an edit, then a run with no input."""
        if is_breakpoint_id(interrupt_id):
            update = value.get("update") if isinstance(value, dict) else None
            if update:
                await self._call(self.client.threads.update_state(ref.thread_id, update))
            await self.proceed(ref)
            return
        extra: dict[str, Any] = {"strict_resume": True} if await self.strict_resume() else {}
        run = await self._call(
            self.client.runs.create(
                ref.thread_id,
                ref.assistant_id or ref.graph,
                command={"resume": {interrupt_id: value}},
                multitask_strategy="reject",
                **extra,
            )
        )
        if await self._finished(ref, str(run["run_id"])):
            after = await self.snapshot(ref)
            if any(p.id == interrupt_id for p in after.interrupts):
                # The run ended yet the same interrupt still waits: the server dropped the
                # answer (it does after losing its pending writes, e.g. a restart).
                raise ResumeIgnored(
                    f"the server finished run {run['run_id']} without taking the answer to "
                    f"interrupt {interrupt_id}; it is sent again later"
                )

    async def proceed(self, ref: RunRef) -> None:
        """Run on from the checkpoint (after a failed step); a busy thread is asked later."""
        found = await self.thread(ref.thread_id)
        if found is None or found.get("status") == "busy":
            raise ThreadBusy(f"thread {ref.thread_id} is busy on the LangGraph Server")
        run = await self._call(
            self.client.runs.create(
                ref.thread_id, ref.assistant_id or ref.graph, input=None,
                multitask_strategy="reject",
            )
        )
        await self._finished(ref, str(run["run_id"]))

    async def _finished(self, ref: RunRef, run_id: str) -> bool:
        """Wait for the run; False while it still runs, and RemoteRunFailed if it failed."""
        if not await self._join(ref, run_id):
            return False
        for _ in range(SETTLE_TRIES):  # the thread's status trails the run's end a little
            found = await self.thread(ref.thread_id)
            status = found.get("status") if found is not None else None
            if status == "error":
                raise RemoteRunFailed(f"run {run_id} failed on the LangGraph Server")
            if status != "busy":
                return True
            await asyncio.sleep(0.05)
        return False

    async def _join(self, ref: RunRef, run_id: str) -> bool:
        """Wait for the run; False when it is still running after ``wait_s``."""
        # The run goes on on the server either way; a slow one is picked up by the poll.
        try:
            async with asyncio.timeout(self.wait_s):
                await self._call(self.client.runs.join(ref.thread_id, run_id))
        except TimeoutError:
            log.info("run %s on thread %s still running after %ss", run_id, ref.thread_id,
                     self.wait_s)
            return False
        return True

    async def search_interrupted(
        self, sort_by: str, descending: bool, offset: int, limit: int
    ) -> list[dict[str, Any]]:
        """One page of ``threads.search(status="interrupted")``, only the fields discovery
        reads (``select``: no values, no config)."""
        batch: Any = await self._call(
            self.client.threads.search(
                status="interrupted", limit=limit, offset=offset,
                sort_by=sort_by,  # type: ignore[arg-type]
                sort_order="desc" if descending else "asc",
                select=list(DISCOVERY_FIELDS),  # type: ignore[arg-type]
            )
        )
        return [dict(t) for t in batch]

    async def ok(self) -> bool:
        """True when the server answers ``/ok`` within two seconds."""
        try:
            async with asyncio.timeout(2):
                await self._call(self.client.http.get("/ok"))
        except (RunnerUnavailable, APIStatusError, TimeoutError):
            return False
        return True


class RemoteRunFailed(RuntimeError):
    """The graph failed on the server: counted as a failed resume, like a local one."""


def pending_of(items: Any) -> list[Pending]:
    """Interrupts as the server lists them (``id``, ``value``, ``response_schema``?)."""
    pending: list[Pending] = []
    for item in items or []:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            schema = item.get("response_schema")
            pending.append(
                Pending(item["id"], item.get("value"), schema if isinstance(schema, dict) else None)
            )
    return pending
