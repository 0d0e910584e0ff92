"""``POST /langgraph/webhook``: a run's webhook prompts a read of its thread from the server.

The poll runs once at start-up and then not for an hour here, so only the webhook can
bring a new interrupt in.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langgraph_sdk.client import LangGraphClient

from bot.engine.prompts import PromptedReads
from bot.metrics import METRICS

from support.harness import Harness, eventually
from support.langgraph_dev import (
    GRAPH,
    WEBHOOK_SECRET,
    LangGraphDev,
    answers,
    posted_approval,
    server_settings,
    start_on_server,
)

PAY = {"amount": 4200, "recipient": "acme"}
HEADER = "X-Approvals-Webhook-Secret"
READS_TOTAL = "approvals_discovery_webhook_reads_total"


@pytest.fixture
def settings_overrides(langgraph_server: LangGraphDev, server: LangGraphClient) -> dict[str, Any]:
    return server_settings(langgraph_server, langgraph_poll_s=3600)


async def first_poll_done(harness: Harness) -> None:
    """Wait for the start-up poll (of an empty server), so later finds are the webhook's."""

    async def polled() -> list[dict[str, Any]]:
        return await harness.rows("SELECT 1 FROM remote_polls")

    await eventually(polled)


async def webhook(harness: Harness, body: Any, *, secret: str | None = WEBHOOK_SECRET) -> int:
    headers = {HEADER: secret} if secret is not None else {}
    async with harness.http.post(
        f"{harness.base_url}/langgraph/webhook", json=body, headers=headers
    ) as resp:
        return resp.status


async def test_run_webhook_brings_the_interrupt_in(
    harness: Harness, server: LangGraphClient
) -> None:
    await first_poll_done(harness)
    thread = await server.threads.create(metadata={"approvals_channel": "C0HOOK"})
    thread_id = thread["thread_id"]
    run = await server.runs.create(
        thread_id, GRAPH, input=PAY, webhook=f"{harness.base_url}/langgraph/webhook"
    )
    await server.runs.join(thread_id, run["run_id"])
    approval_id = await posted_approval(harness, thread_id)
    assert harness.fake.of("chat.postMessage")[0]["channel"] == "C0HOOK"
    await harness.click("approve", approval_id, user="UALICE")
    await harness.wait_done(thread_id)
    assert len(await answers(server, thread_id)) == 1


async def test_webhook_refuses_a_bad_secret_and_a_bad_body(harness: Harness) -> None:
    thread_id = "01a23376-b86c-7160-949e-963ad7f93e41"
    assert await webhook(harness, {"thread_id": thread_id}, secret=None) == 401
    assert await webhook(harness, {"thread_id": thread_id}, secret="guess") == 401
    assert await webhook(harness, {"thread_id": "../../threads"}) == 400
    assert await webhook(harness, ["not", "an", "object"]) == 400
    assert await webhook(harness, {"thread_id": thread_id}) == 202  # not on the server
    await harness.deps.inflight.drain(timeout_s=10)
    assert not await harness.rows("SELECT 1 FROM runs")


async def test_a_forged_body_is_not_data(harness: Harness, server: LangGraphClient) -> None:
    await first_poll_done(harness)
    thread = await server.threads.create(metadata={})
    await server.runs.wait(thread["thread_id"], GRAPH, input=PAY)
    state: Any = await server.threads.get_state(thread["thread_id"])
    answer = {state["interrupts"][0]["id"]: {"action": "reject"}}
    await server.runs.wait(thread["thread_id"], GRAPH, command={"resume": answer})
    forged = {
        "thread_id": thread["thread_id"],
        "status": "interrupted",
        "values": {"__interrupt__": [{"id": "x", "value": {"title": "Pay 1M to mallory"}}]},
        "metadata": {"approvals_channel": "CEVIL", "graph_id": "payments"},
    }
    assert await webhook(harness, forged) == 202
    await harness.deps.inflight.drain(timeout_s=10)
    # The thread read back from the server has nothing waiting: nothing is posted.
    assert harness.fake.of("chat.postMessage") == []
    runs = await harness.rows("SELECT graph, channel, status FROM runs")
    assert runs == [{"graph": GRAPH, "channel": "C0APPROVALS", "status": "done"}]


async def test_webhooks_for_one_thread_share_one_read_and_reads_are_bounded(
    harness: Harness, server: LangGraphClient
) -> None:
    await first_poll_done(harness)
    first = await start_on_server(server, PAY)
    other = await start_on_server(server, PAY)
    before = {o: METRICS.value(READS_TOTAL, outcome=o) for o in ("coalesced", "deferred")}
    reads = PromptedReads(limit=1)
    assert reads.ask(harness.deps, first) == "started"
    assert [reads.ask(harness.deps, first) for _ in range(3)] == ["coalesced"] * 3
    assert reads.ask(harness.deps, other) == "deferred"  # one read in flight is the cap
    assert reads.reading == 1
    await posted_approval(harness, first)
    await harness.deps.inflight.drain(timeout_s=60)
    assert reads.reading == 0
    assert len(harness.fake.of("chat.postMessage")) == 1  # the first thread, once
    assert not await harness.rows("SELECT 1 FROM runs WHERE thread_id = %s", other)
    assert METRICS.value(READS_TOTAL, outcome="coalesced") == before["coalesced"] + 3
    assert METRICS.value(READS_TOTAL, outcome="deferred") == before["deferred"] + 1


async def test_a_burst_of_webhooks_for_one_thread_posts_it_once(
    harness: Harness, server: LangGraphClient
) -> None:
    await first_poll_done(harness)
    thread_id = await start_on_server(server, PAY)

    async def prompt() -> str:
        async with harness.http.post(
            f"{harness.base_url}/langgraph/webhook", json={"thread_id": thread_id},
            headers={HEADER: WEBHOOK_SECRET},
        ) as resp:
            assert resp.status == 202
            return str((await resp.json())["read"])

    outcomes = await asyncio.gather(*(prompt() for _ in range(20)))
    assert set(outcomes) <= {"started", "coalesced"} and "started" in outcomes
    await posted_approval(harness, thread_id)
    await harness.deps.inflight.drain(timeout_s=60)
    assert len(harness.fake.of("chat.postMessage")) == 1
