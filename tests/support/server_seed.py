"""Many interrupted threads on a real ``langgraph dev``, created concurrently through the SDK."""

from __future__ import annotations

import asyncio
from typing import Any

from langgraph_sdk.client import LangGraphClient

from support.langgraph_dev import GRAPH

PAY: dict[str, Any] = {"amount": 4200, "recipient": "acme"}


async def seed_interrupted(
    client: LangGraphClient, count: int, *, concurrency: int = 32, **metadata: Any
) -> list[str]:
    """Start ``count`` runs of the test graph, ``concurrency`` at a time; each waits at its
    interrupt when this returns. Their thread ids, in no particular order."""
    slots = asyncio.Semaphore(concurrency)

    async def one() -> str:
        async with slots:
            thread = await client.threads.create(metadata=metadata)
            await client.runs.wait(thread["thread_id"], GRAPH, input=PAY)
            return str(thread["thread_id"])

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def resume(client: LangGraphClient, thread_id: str) -> None:
    """Answer the thread's interrupt directly on the server (it then leaves ``interrupted``)."""
    state: Any = await client.threads.get_state(thread_id)
    command: Any = {"resume": {state["interrupts"][0]["id"]: {"action": "approve"}}}
    await client.runs.wait(thread_id, GRAPH, command=command)
