"""Server thread metadata is a claim, not an authority, on a real ``langgraph dev`` that
serves two graphs (``server_pay`` and ``scratch``, see tests/langgraph_server).

Anyone who can reach the server can rewrite a thread's metadata. Neither the graph (and
so the policy) nor the requester may be chosen that way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langgraph_sdk.client import LangGraphClient

from bot.engine.discover import refresh

from support.harness import Harness, eventually
from support.langgraph_dev import GRAPH, LangGraphDev, answers, resume_runs, server_settings

PAY = {"amount": 50_000, "recipient": "offshore"}
POLICY = """
[graphs.server_pay]
approvers = ["UCFO", "UMALLORY"]
required_approvals = 2
channel = "C0TREASURY"

[graphs.scratch]
channel = "C0MALLORY"
"""


@pytest.fixture
def settings_overrides(
    langgraph_server: LangGraphDev, server: LangGraphClient, tmp_path: Path,
    request: pytest.FixtureRequest,
) -> dict[str, Any]:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY)
    marker = request.node.get_closest_marker("policy")  # extra settings, if any
    extra = marker.args[0] if marker else {}
    # A long poll: each test adopts its thread itself, after the metadata is rewritten.
    return server_settings(langgraph_server, approvals_policy=str(path), langgraph_poll_s=3600,
                           **extra)


async def started_by_mallory(server: LangGraphClient, **metadata: Any) -> str:
    thread = await server.threads.create(metadata={})
    await server.runs.wait(thread["thread_id"], GRAPH, input=PAY)
    await server.threads.update(thread["thread_id"], metadata=metadata)
    found: Any = await server.threads.get(thread["thread_id"])
    for key in ("graph_id", "requested_by", "owner"):  # what the server let Mallory write
        assert found["metadata"].get(key) == metadata.get(key, found["metadata"].get(key))
    return str(thread["thread_id"])


def ephemerals(harness: Harness, user: str) -> Any:
    async def said() -> list[dict[str, Any]]:
        return [p for p in harness.fake.of("chat.postEphemeral") if p["user"] == user]

    return said


async def adopted(harness: Harness, thread_id: str) -> int:
    await refresh(harness.deps, thread_id)
    (approval_id,) = await harness.approval_ids(thread_id)
    return approval_id


async def test_metadata_cannot_choose_the_graph_and_so_the_policy(
    harness: Harness, server: LangGraphClient
) -> None:
    scratch = (await server.assistants.search(graph_id="scratch", limit=1))[0]["assistant_id"]
    thread_id = await started_by_mallory(server, graph_id="scratch", assistant_id=scratch)
    approval_id = await adopted(harness, thread_id)
    run = (await harness.rows("SELECT graph, assistant_id FROM runs"))[0]
    assert run["graph"] == GRAPH and run["assistant_id"] != scratch
    assert harness.fake.of("chat.postMessage")[0]["channel"] == "C0TREASURY"
    started = await harness.rows("SELECT detail FROM audit_log WHERE event = 'started'")
    assert started[0]["detail"]["claimed_graph"] == "scratch"

    await harness.click("approve", approval_id, user="UMALLORY")
    await eventually(lambda: harness.rows("SELECT 1 FROM votes"))
    await harness.click("approve", approval_id, user="UINTERN")  # scratch's "anyone"
    await eventually(ephemerals(harness, "UINTERN"))
    assert len(await harness.rows("SELECT 1 FROM votes")) == 1
    assert await resume_runs(server, thread_id) == 0
    assert await answers(server, thread_id) == []  # nothing was paid


async def test_a_claimed_requester_is_shown_as_claimed_and_refuses_nobody(
    harness: Harness, server: LangGraphClient
) -> None:
    thread_id = await started_by_mallory(server, requested_by="UCFO")
    approval_id = await adopted(harness, thread_id)
    run = (await harness.rows("SELECT requested_by, claimed_by FROM runs"))[0]
    assert run == {"requested_by": None, "claimed_by": "UCFO"}
    assert "claimed by the run, not verified" in str(harness.fake.of("chat.postMessage")[0])
    await harness.click("approve", approval_id, user="UCFO")  # not "the requester"
    await harness.click("approve", approval_id, user="UMALLORY")
    await harness.wait_done(thread_id, within=60)
    got = await answers(server, thread_id)
    assert sorted(got[0]["decided_by"]) == ["UCFO", "UMALLORY"]


@pytest.mark.policy({"langgraph_requester_key": "owner"})
async def test_the_key_the_servers_auth_sets_names_the_requester(
    harness: Harness, server: LangGraphClient
) -> None:
    thread_id = await started_by_mallory(server, owner="UMALLORY", requested_by="UCFO")
    approval_id = await adopted(harness, thread_id)
    run = (await harness.rows("SELECT requested_by, claimed_by FROM runs"))[0]
    assert run == {"requested_by": "UMALLORY", "claimed_by": "UCFO"}
    await harness.click("approve", approval_id, user="UMALLORY")
    told = await eventually(ephemerals(harness, "UMALLORY"))
    assert "someone else must approve" in told[-1]["text"] and "<@UMALLORY>" not in told[-1][
        "text"].split("approve it:")[1]
    assert await harness.rows("SELECT 1 FROM votes") == []
    assert await answers(server, thread_id) == []
