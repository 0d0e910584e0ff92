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
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from langgraph_sdk.errors import (
    APIStatusError,
    ConflictError,
    NotFoundError,
    UnprocessableEntityError,
)

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
        self, url: str, *, api_key: str | None = None, timeout_s: float = 10.0, wait_s: float = 30.0
    ) -> None:
        """A client for ``url``; ``wait_s`` bounds how long a start or resume waits for the run."""
        self.client: LangGraphClient = get_client(
            url=url, api_key=api_key or None, timeout=timeout_s
        )
        self.wait_s = wait_s
        self._strict: bool | None = None

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
        """The thread's interrupts when it is interrupted; a busy thread has none yet.

        A busy thread (a resume queued or running) still shows the old interrupt in its
        checkpoint, so it is reported as running, never as pending.
        """
        found = await self.thread(ref.thread_id)
        if found is None:
            raise ThreadMissing(f"thread {ref.thread_id} is not on the LangGraph Server")
        return snapshot_of(found)

    async def resume(self, ref: RunRef, *, interrupt_id: str, value: Any) -> None:
        """``runs.create(command={"resume": {id: value}}, multitask_strategy="reject")``."""
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
        if await self._join(ref, str(run["run_id"])):
            after = await self.snapshot(ref)
            if any(p.id == interrupt_id for p in after.interrupts):
                # The run ended yet the same interrupt still waits: the server dropped the
                # answer (it does after losing its pending writes, e.g. a restart).
                raise ResumeIgnored(
                    f"the server finished run {run['run_id']} without taking the answer to "
                    f"interrupt {interrupt_id}; it is sent again later"
                )

    async def proceed(self, ref: RunRef) -> None:
        """The server runs its own runs on; a busy thread is asked again later."""
        raise ThreadBusy(f"thread {ref.thread_id} is busy on the LangGraph Server")

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

    async def interrupted(self, *, page: int = 100, pages: int = 20) -> list[dict[str, Any]]:
        """Threads waiting at an interrupt (``threads.search(status="interrupted")``)."""
        found: list[dict[str, Any]] = []
        for n in range(pages):
            batch: Any = await self._call(
                self.client.threads.search(
                    status="interrupted", limit=page, offset=n * page,
                    sort_by="updated_at", sort_order="asc",
                )
            )
            found.extend(dict(t) for t in batch)
            if len(batch) < page:
                break
        return found

    async def ok(self) -> bool:
        """True when the server answers ``/ok`` within two seconds."""
        try:
            async with asyncio.timeout(2):
                await self._call(self.client.http.get("/ok"))
        except (RunnerUnavailable, APIStatusError, TimeoutError):
            return False
        return True


def snapshot_of(thread: dict[str, Any]) -> Snapshot:
    """A server thread (``threads.get`` / ``threads.search`` item) as a snapshot."""
    status = thread.get("status")
    pending: list[Pending] = []
    if status == "interrupted":
        for items in (thread.get("interrupts") or {}).values():
            for item in items or []:
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    schema = item.get("response_schema")
                    pending.append(
                        Pending(item["id"], item.get("value"),
                                schema if isinstance(schema, dict) else None)
                    )
    busy = status == "busy" or (status == "interrupted" and not pending)
    return Snapshot(tuple(pending), ("busy",) if busy else (), thread.get("values"))


@dataclass(frozen=True)
class ServerThread:
    """What the bot takes from a server thread to adopt it: ids and the approvals metadata."""

    thread_id: str
    graph: str
    assistant_id: str | None
    channel: str | None
    requested_by: str | None
    waiting: tuple[str, ...] = ()  # the ids of the interrupts it waits at, if interrupted


_CHANNEL = re.compile(r"[A-Za-z0-9][\w.-]{0,79}")  # an id like C0123 (or a plain channel name)
_USER = re.compile(r"[UW][A-Z0-9]{2,20}")  # rendered as a mention, so an exact user id only


def server_thread(found: dict[str, Any]) -> ServerThread | None:
    """Parse a thread from the server; None when it has no usable id or graph id.

    Metadata can be written by anyone who can reach the server, so a channel or a
    requester of the wrong shape is dropped (the defaults apply), never passed on.
    """
    meta = found.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    thread_id, graph = found.get("thread_id"), meta.get("graph_id")
    if not is_thread_id(thread_id) or not isinstance(graph, str) or not graph:
        return None
    assistant = meta.get("assistant_id")
    channel, user = meta.get("approvals_channel"), meta.get("requested_by")
    return ServerThread(
        thread_id=str(thread_id),
        graph=graph[:200],
        assistant_id=assistant if is_thread_id(assistant) else None,
        channel=channel if isinstance(channel, str) and _CHANNEL.fullmatch(channel) else None,
        requested_by=user if isinstance(user, str) and _USER.fullmatch(user) else None,
        waiting=tuple(p.id for p in snapshot_of(found).interrupts),
    )
