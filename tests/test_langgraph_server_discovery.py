"""Discovery on a real LangGraph Server: incremental ticks that skip nothing, posting once.

The bot polls only when a test says so (``LANGGRAPH_POLL_S`` is an hour, after the
start-up turn of each loop), so every find below is the tick or the pass the test ran.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import aiohttp
import httpx
import pytest
from aiohttp.test_utils import TestServer
from langgraph_sdk.client import LangGraphClient

from bot.engine.discover import poll_once, reconcile_once
from bot.engine.discovery import tick
from bot.server import create_app
from bot.web.keys import DEPS
from graphs.discovery import PAGE

from support.config import make_settings
from support.fake_slack import FakeSlack
from support.harness import Harness, eventually
from support.langgraph_dev import LangGraphDev, server_settings
from support.server_seed import resume, seed_interrupted


@pytest.fixture
def settings_overrides(langgraph_server: LangGraphDev, server: LangGraphClient) -> dict[str, Any]:
    return server_settings(
        langgraph_server, langgraph_poll_s=3600, langgraph_margin_s=0, langgraph_reconcile_s=3600
    )


@pytest.fixture
async def second(
    database_url: str, fake_slack: FakeSlack, settings_overrides: dict[str, Any],
    harness: Harness,
) -> AsyncIterator[Harness]:
    """A second bot instance on the same database and the same Slack."""
    app = create_app(make_settings(database_url, fake_slack, **settings_overrides))
    served = TestServer(app, host="127.0.0.1", port=0)
    await served.start_server()
    async with aiohttp.ClientSession() as http:
        yield Harness(str(served.make_url("")).rstrip("/"), http, app[DEPS], fake_slack)
    await served.close()


async def started_up(harness: Harness) -> None:
    """Wait for the start-up tick and full pass (of an empty server), then give the next
    ``poll_once`` / ``reconcile_once`` their turn."""

    async def done() -> bool:
        rows = await harness.rows(
            "SELECT name FROM remote_polls WHERE ticked_at IS NOT NULL OR cursor ? 'finished'"
        )
        return len(rows) == 2

    await eventually(done)
    await harness.rows("UPDATE remote_polls SET next_at = now() RETURNING name")


async def posted(harness: Harness) -> list[str]:
    """The thread ids of the requests posted to Slack, one per posted request."""
    rows = await harness.rows("SELECT thread_id FROM requests WHERE message_ts IS NOT NULL")
    return [str(r["thread_id"]) for r in rows]


def request_posts(harness: Harness) -> list[dict[str, Any]]:
    """The request messages the fake Slack received (not replies in a thread)."""
    return [p for p in harness.fake.of("chat.postMessage") if not p.get("thread_ts")]


async def test_a_thread_leaving_during_a_tick_skips_nothing(
    harness: Harness, server: LangGraphClient
) -> None:
    await started_up(harness)
    seeded = await seed_interrupted(server, 2 * PAGE + 30)
    newest = await server.threads.search(
        status="interrupted", sort_by="updated_at", sort_order="desc", limit=10
    )
    leaving = {str(t["thread_id"]) for t in newest}
    searches: list[str] = []

    async def after_search(response: httpx.Response) -> None:
        # Once the tick has its first page, ten threads on it are answered and leave the
        # set: every thread below moves up by ten, past the next page's overlap.
        if response.request.url.path.endswith("/threads/search"):
            searches.append(response.request.url.path)
            if len(searches) == 1:
                await asyncio.gather(*(resume(server, t) for t in leaving))

    assert harness.deps.runners.remote is not None
    harness.deps.runners.remote.client.http.client.event_hooks["response"].append(after_search)
    await poll_once(harness.deps)

    staying = set(seeded) - leaving
    found = await posted(harness)
    assert staying <= set(found) and len(found) == len(set(found))
    assert len(searches) > 3  # the first page, a step back, and the rest
    assert len(request_posts(harness)) == len(found)
    for thread_id in leaving:  # answered on the server: never posted as waiting
        assert (await server.threads.get(thread_id))["status"] == "idle"
    assert not leaving & set(found)


async def test_a_thread_changed_at_the_watermarks_instant_is_not_lost(
    harness: Harness, server: LangGraphClient
) -> None:
    await started_up(harness)
    [older] = await seed_interrupted(server, 1)
    [tied] = await seed_interrupted(server, 1)
    at: Any = (await server.threads.get(tied))["updated_at"]
    # As if the last tick had read another thread changed at that same instant.
    await harness.rows(
        "UPDATE remote_polls SET watermark = %s WHERE name = 'langgraph' RETURNING name",
        datetime.fromisoformat(at),
    )
    assert await poll_once(harness.deps) == 1  # only what changed since the watermark
    assert await posted(harness) == [tied]

    # The full pass reads everything, and finds the thread the tick did not look at.
    assert await reconcile_once(harness.deps) == 0  # not due yet
    await harness.rows(
        "UPDATE remote_polls SET cursor = NULL, next_at = now() "
        "WHERE name = 'langgraph:reconcile' RETURNING name"
    )
    assert await reconcile_once(harness.deps) == 2
    assert sorted(await posted(harness)) == sorted([older, tied])
    assert len(request_posts(harness)) == 2


async def test_two_instances_ticking_at_once_post_each_interrupt_once(
    harness: Harness, second: Harness, server: LangGraphClient
) -> None:
    await started_up(harness)
    seeded = await seed_interrupted(server, 40)
    # Two ticks at once (one outlasted its turn): both find every thread.
    first, other = await asyncio.gather(tick(harness.deps), tick(second.deps))
    assert first.read == other.read == 40
    found = await posted(harness)
    assert sorted(found) == sorted(seeded)
    assert len(request_posts(harness)) == 40
