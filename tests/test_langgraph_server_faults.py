"""A LangGraph Server's runs under faults: double clicks, two instances, a stale interrupt,
a busy thread, the server restarting while a decision waits, and webhooks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from langgraph_sdk.client import LangGraphClient

from bot.engine.discover import poll_once
from bot.engine.resume import resume_request
from bot.engine.sweeper import sweep_once
from bot.server import create_app
from bot.web.keys import DEPS
from graphs.runner import RunRef, ThreadBusy

from support.config import make_settings
from support.fake_slack import FakeSlack
from support.harness import Harness, eventually
from support.langgraph_dev import (
    GRAPH,
    LangGraphDev,
    answers,
    posted_approval,
    resume_runs,
    server_settings,
    start_on_server,
)

PAY = {"amount": 4200, "recipient": "acme"}
FLUSH_S = 11


@pytest.fixture
def settings_overrides(langgraph_server: LangGraphDev, server: LangGraphClient) -> dict[str, Any]:
    return server_settings(langgraph_server)


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


async def decided_request(harness: Harness, approval_id: int) -> int:
    """The id of the approval's request, once the click's decision is committed."""

    async def decided() -> list[dict[str, Any]]:
        return await harness.rows(
            "SELECT r.id FROM requests r JOIN approvals a ON a.request_id = r.id "
            "WHERE a.id = %s AND r.status = 'decided'", approval_id,
        )

    return int((await eventually(decided))[0]["id"])


async def test_double_click_resumes_once(harness: Harness, server: LangGraphClient) -> None:
    thread_id = await start_on_server(server, PAY)
    approval_id = await posted_approval(harness, thread_id)
    clicks = await asyncio.gather(
        *(harness.click("approve", approval_id, user="UALICE") for _ in range(3))
    )
    assert all(status == 200 for status, _ in clicks)
    await harness.wait_done(thread_id)
    assert len(await answers(server, thread_id)) == 1
    assert await resume_runs(server, thread_id) == 1


async def test_two_instances_post_once_and_resume_once(
    harness: Harness, second: Harness, server: LangGraphClient
) -> None:
    thread_id = await start_on_server(server, PAY)
    approval_id = await posted_approval(harness, thread_id)
    # Give the second instance a tick of its own now: it finds the same interrupt stored.
    async with second.deps.pool.connection() as conn:
        await conn.execute("UPDATE remote_polls SET next_at = now()")
    await poll_once(second.deps)
    assert len(harness.fake.of("chat.postMessage")) == 1

    # Decide without the live resume, then race both instances (and a sweep) to resume.
    decided = await harness.approve(approval_id, user="UALICE")
    assert decided.complete
    results = await asyncio.gather(
        resume_request(harness.deps, decided.request_id),
        resume_request(second.deps, decided.request_id),
        sweep_once(second.deps, grace_s=0),
    )
    assert results[:2].count(True) == 1
    await harness.wait_done(thread_id)
    assert len(await answers(server, thread_id)) == 1
    assert await resume_runs(server, thread_id) == 1


async def test_a_stale_interrupt_id_is_never_sent(
    harness: Harness, server: LangGraphClient
) -> None:
    thread_id = await start_on_server(server, {**PAY, "rounds": 2})
    approval_id = await posted_approval(harness, thread_id)
    # Someone answers the first interrupt on the server itself (Agent Inbox, Studio)...
    state: Any = await server.threads.get_state(thread_id)
    first = state["interrupts"][0]["id"]
    await server.runs.wait(
        thread_id, GRAPH, command={"resume": {first: {"action": "approve", "by": "inbox"}}}
    )
    # ...so the Slack click is for an interrupt that is gone; a new one waits instead.
    await harness.click("approve", approval_id, user="UALICE")

    async def resumed() -> bool:
        rows = await harness.rows(
            "SELECT r.status FROM requests r JOIN approvals a ON a.request_id = r.id "
            "WHERE a.id = %s", approval_id,
        )
        return bool(rows) and rows[0]["status"] == "resumed"

    await eventually(resumed)
    assert await answers(server, thread_id) == [{"action": "approve", "by": "inbox"}]
    assert await resume_runs(server, thread_id) == 1
    # The new interrupt is posted as a request of its own.
    second_id = await posted_approval(harness, thread_id)
    assert second_id != approval_id


async def test_a_busy_thread_refuses_the_resume_and_it_is_retried(
    harness: Harness, server: LangGraphClient
) -> None:
    thread_id = await start_on_server(server, {**PAY, "delay_s": 3})
    approval_id = await posted_approval(harness, thread_id)
    state: Any = await server.threads.get_state(thread_id)
    interrupt_id = state["interrupts"][0]["id"]
    outside = await server.runs.create(
        thread_id, GRAPH, command={"resume": {interrupt_id: {"action": "approve", "by": "x"}}}
    )
    remote = harness.deps.runners.remote
    assert remote is not None
    with pytest.raises(ThreadBusy):  # 409, not queued behind the running resume
        await remote.resume(RunRef(thread_id, GRAPH), interrupt_id=interrupt_id, value={})
    await harness.click("approve", approval_id, user="UALICE")
    request_id = await decided_request(harness, approval_id)
    assert not await resume_request(harness.deps, request_id)  # kept for later, not dropped
    await server.runs.join(thread_id, outside["run_id"])
    await sweep_once(harness.deps, grace_s=0)
    rows = await harness.rows("SELECT status FROM requests WHERE id = %s", request_id)
    assert rows[0]["status"] == "resumed"
    assert await answers(server, thread_id) == [{"action": "approve", "by": "x"}]
    assert await resume_runs(server, thread_id) == 1


async def stop_and_decide(
    harness: Harness, langgraph_server: LangGraphDev, approval_id: int, *, crash: bool
) -> int:
    """Stop the server, click Approve, and check the decision waits; returns the request."""
    await asyncio.to_thread(langgraph_server.stop, crash=crash)
    try:
        status, _ = await harness.click("approve", approval_id, user="UALICE")
        assert status == 200
        request_id = await decided_request(harness, approval_id)
        assert not await resume_request(harness.deps, request_id)  # kept, not failed
        async with harness.http.get(f"{harness.base_url}/healthz") as resp:
            health = await resp.json()
        assert resp.status == 200 and health["langgraph"] == "down"
        assert health["status"] == "degraded"
        await sweep_once(harness.deps, grace_s=0)  # still down: kept, not failed
        rows = await harness.rows("SELECT status FROM requests WHERE id = %s", request_id)
        assert rows[0]["status"] == "decided"
    finally:
        await asyncio.to_thread(langgraph_server.start)
    return request_id


async def sweep_until(harness: Harness, request_id: int, statuses: set[str]) -> str:
    """Sweep until the request reaches one of ``statuses``; returns it."""

    async def reached() -> str | None:
        await sweep_once(harness.deps, grace_s=0)
        rows = await harness.rows("SELECT status FROM requests WHERE id = %s", request_id)
        return str(rows[0]["status"]) if rows[0]["status"] in statuses else None

    return str(await eventually(reached, timeout=60))


async def test_server_restart_while_a_decision_waits(
    harness: Harness, server: LangGraphClient, langgraph_server: LangGraphDev
) -> None:
    thread_id = await start_on_server(server, PAY)
    approval_id = await posted_approval(harness, thread_id)
    request_id = await stop_and_decide(harness, langgraph_server, approval_id, crash=False)
    # A server that lost its pending writes drops the first answer; the bot sees the
    # interrupt still waiting afterwards and sends it again on a later pass.
    assert await sweep_until(harness, request_id, {"resumed"}) == "resumed"
    await harness.wait_done(thread_id)
    assert len(await answers(server, thread_id)) == 1
    async with harness.http.get(f"{harness.base_url}/healthz") as resp:
        assert (await resp.json())["langgraph"] == "up"


async def test_server_crash_never_reads_as_resumed_without_the_answer(
    harness: Harness, server: LangGraphClient, langgraph_server: LangGraphDev
) -> None:
    thread_id = await start_on_server(server, PAY)
    approval_id = await posted_approval(harness, thread_id)
    await asyncio.sleep(FLUSH_S)  # one of the dev server's flushes keeps the thread record
    request_id = await stop_and_decide(harness, langgraph_server, approval_id, crash=True)
    outcome = await sweep_until(harness, request_id, {"resumed", "failed"})
    got = await answers(server, thread_id)
    # Whatever the killed server kept, the bot says what really happened: the answer
    # arrived once, or the request failed (and Slack says so); never resumed without it.
    if outcome == "resumed":
        assert len(got) == 1
    else:
        assert got == []
        await harness.deps.inflight.drain(timeout_s=5)
        await sweep_once(harness.deps, grace_s=0)
        assert "could not be resumed" in str(harness.fake.of("chat.update")[-1]["blocks"])
