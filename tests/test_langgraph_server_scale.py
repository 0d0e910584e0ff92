"""Discovery past the old window: more than 2,000 threads wait on the server.

The crowd is runs nobody will answer (they name no channel, and the bot has no default
one, so it never posts them), the kind that used to fill the first 2,000 places of the
search for good. A new interrupt must still be posted, by polling alone.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import pytest
from langgraph_sdk import get_client

from bot.metrics import METRICS
from graphs.discovery import PAGE

from support.harness import Harness, eventually
from support.langgraph_dev import (
    GRAPH,
    SERVER_DIR,
    LangGraphDev,
    posted_approval,
    server_settings,
    start_langgraph_dev,
)
from support.server_seed import PAY, seed_interrupted

WAITING = 2_100
TICK_CAP = 20 * PAGE  # what one tick reads at most (bot.engine.discovery.TICK_PAGES)


@pytest.fixture(scope="module")
def crowded() -> Iterator[LangGraphDev]:
    """A ``langgraph dev`` of its own, with ``WAITING`` interrupted threads on it."""
    server = start_langgraph_dev()
    try:
        client = get_client(url=server.url, api_key=None)
        with ThreadPoolExecutor(1) as pool:  # a loop of its own, outside the tests' loop
            pool.submit(asyncio.run, seed_interrupted(client, WAITING, concurrency=32)).result()
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.workdir, ignore_errors=True)


@pytest.fixture
def settings_overrides(crowded: LangGraphDev) -> dict[str, Any]:
    return server_settings(crowded, langgraph_poll_s=1.0, approvals_channel=None)


async def health(harness: Harness) -> dict[str, Any]:
    async with harness.http.get(f"{harness.base_url}/healthz") as resp:
        body: dict[str, Any] = await resp.json()
    return body


async def test_a_new_interrupt_is_posted_by_polling_with_2100_waiting(
    harness: Harness, crowded: LangGraphDev
) -> None:
    assert WAITING > TICK_CAP
    client = get_client(url=crowded.url, api_key=None)
    assert await client.threads.count(status="interrupted") == WAITING

    async def cut() -> bool:  # the start-up tick met its cap, and said so
        return METRICS.value("approvals_discovery_capped_total", scan="tick") >= 1

    await eventually(cut)
    thread = await client.threads.create(metadata={"approvals_channel": "C0NEW"})
    await client.runs.wait(thread["thread_id"], GRAPH, input=PAY)
    found: Any = await client.threads.get(thread["thread_id"])
    assert found["status"] == "interrupted"
    await posted_approval(harness, thread["thread_id"])
    waited = time.time() - datetime.fromisoformat(found["updated_at"]).timestamp()
    posts = harness.fake.of("chat.postMessage")
    assert [p["channel"] for p in posts] == ["C0NEW"]
    assert waited < 30, f"posted {waited:.1f} s after the interrupt"  # 1 s poll; a busy machine

    async def caught_up() -> bool:  # the full pass has read the crowd the tick left
        return (await health(harness))["discovery"] == "ok"

    await eventually(caught_up, timeout=120)
    scraped = await harness.http.get(f"{harness.base_url}/metrics")
    text = await scraped.text()
    assert 'approvals_discovery_capped_total{scan="tick"}' in text
    assert 'approvals_discovery_threads_read_total{scan="reconcile"}' in text


def test_server_state_stays_out_of_the_repository(crowded: LangGraphDev) -> None:
    # The servers of this run have served and saved state: none of it in the repository.
    assert sorted(p.name for p in SERVER_DIR.iterdir()) == ["graph.py", "langgraph.json"]
