"""Runs that live on a real LangGraph Server (``langgraph dev``): found, posted, resumed once.

After each resume the server's own thread state is read: the graph appends every resume
value it receives to ``answers``, so "arrived exactly once" is ``len(answers) == 1``.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from langgraph_sdk.client import LangGraphClient

from bot.errors import NotFound

from support.harness import Harness, eventually, reason_values
from support.langgraph_dev import (
    GRAPH,
    LangGraphDev,
    answers,
    posted_approval,
    resume_runs,
    server_settings,
    start_on_server,
)
from support.procs import PYTHON, ROOT, bot_env, free_port

PAY = {"amount": 4200, "recipient": "acme"}
TOKEN = "api-secret"


@pytest.fixture
def settings_overrides(langgraph_server: LangGraphDev, server: LangGraphClient) -> dict[str, Any]:
    """Point the bot at the server (emptied first, so the bot never sees old threads)."""
    return server_settings(langgraph_server, approvals_api_token=TOKEN)


async def test_run_started_on_the_server_is_posted_and_approved(
    harness: Harness, server: LangGraphClient
) -> None:
    thread_id = await start_on_server(
        server, PAY, approvals_channel="C0SERVER", requested_by="UOPS"
    )
    approval_id = await posted_approval(harness, thread_id)
    post = harness.fake.of("chat.postMessage")[0]
    assert post["channel"] == "C0SERVER" and "4,200" in str(post["blocks"])
    run = (await harness.rows("SELECT * FROM runs WHERE thread_id = %s", thread_id))[0]
    # Metadata names the requester only as a claim (see test_langgraph_server_metadata.py).
    assert (run["graph"], run["runner"], run["claimed_by"]) == (GRAPH, "remote", "UOPS")
    assert run["requested_by"] is None

    status, _ = await harness.click("approve", approval_id, user="UALICE")
    assert status == 200
    await harness.wait_done(thread_id)
    got = await answers(server, thread_id)
    assert len(got) == 1 and got[0]["action"] == "approve" and got[0]["decided_by"] == ["UALICE"]
    assert await resume_runs(server, thread_id) == 1
    state: Any = await server.threads.get_state(thread_id)
    assert state["values"]["status"] == "paid"
    replies = [p for p in harness.fake.of("chat.postMessage") if p.get("thread_ts")]
    assert replies and "finished" in replies[-1]["text"] and "paid" in replies[-1]["text"]


async def test_metadata_of_the_wrong_shape_falls_back_to_the_defaults(
    harness: Harness, server: LangGraphClient
) -> None:
    thread_id = await start_on_server(
        server, PAY, approvals_channel="C1 <!channel>", requested_by="U1> <!here"
    )
    await posted_approval(harness, thread_id)
    assert harness.fake.of("chat.postMessage")[0]["channel"] == "C0APPROVALS"
    run = (await harness.rows("SELECT requested_by FROM runs WHERE thread_id = %s", thread_id))
    assert run[0]["requested_by"] is None


async def test_reject_with_a_reason_reaches_the_server_once(
    harness: Harness, server: LangGraphClient
) -> None:
    thread_id = await start_on_server(server, PAY)
    approval_id = await posted_approval(harness, thread_id)
    view = await harness.open_form("reject", approval_id, user="UBOB")
    await harness.submit(view, reason_values(view, "not this vendor"), user="UBOB")
    await harness.wait_done(thread_id)
    got = await answers(server, thread_id)
    assert [(a["action"], a["reason"]) for a in got] == [("reject", "not this vendor")]
    state: Any = await server.threads.get_state(thread_id)
    assert state["values"]["status"] == "rejected"


def edit_values(view: dict[str, Any], *, amount: str) -> dict[str, Any]:
    """The modal's state with the amount changed and every other field as prefilled."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        value = element.get("initial_value")
        if block["label"]["text"].lower().startswith("amount"):
            value = amount
        entry = {"type": element["type"], "value": value}
        values[block["block_id"]] = {element["action_id"]: entry}
    return values


async def test_edit_sends_the_edited_arguments(harness: Harness, server: LangGraphClient) -> None:
    thread_id = await start_on_server(server, PAY)
    approval_id = await posted_approval(harness, thread_id)
    view = await harness.open_form("edit", approval_id, user="UALICE")
    answer = await harness.submit(view, edit_values(view, amount="1800"), user="UALICE")
    assert answer.get("response_action") != "errors", answer
    await harness.wait_done(thread_id)
    got = await answers(server, thread_id)
    assert len(got) == 1 and got[0]["action"] == "edit" and got[0]["args"]["amount"] == 1800
    assert await resume_runs(server, thread_id) == 1


async def test_edit_is_checked_against_the_servers_response_schema(
    harness: Harness, server: LangGraphClient
) -> None:
    thread_id = await start_on_server(server, {**PAY, "max_amount": 5000})
    approval_id = await posted_approval(harness, thread_id)
    view = await harness.open_form("edit", approval_id, user="UALICE")
    answer = await harness.submit(view, edit_values(view, amount="9000"), user="UALICE")
    assert answer["response_action"] == "errors"  # the schema came from the server
    assert await resume_runs(server, thread_id) == 0
    view = await harness.open_form("edit", approval_id, user="UALICE")
    answer = await harness.submit(view, edit_values(view, amount="4000"), user="UALICE")
    assert answer.get("response_action") != "errors", answer
    await harness.wait_done(thread_id)
    assert [a["args"]["amount"] for a in await answers(server, thread_id)] == [4000]


async def test_bot_starts_a_run_on_the_server(harness: Harness, server: LangGraphClient) -> None:
    started = await harness.start(GRAPH, PAY, requested_by="UREQ")
    assert started.status == "waiting" and started.graph == GRAPH
    thread: Any = await server.threads.get(started.thread_id)
    assert thread["metadata"]["approvals_channel"] == "C0APPROVALS"
    assert thread["metadata"]["requested_by"] == "UREQ"
    approval_id = await posted_approval(harness, started.thread_id)
    await harness.click("approve", approval_id, user="UALICE")
    await harness.wait_done(started.thread_id)
    assert len(await answers(server, started.thread_id)) == 1
    assert len(harness.fake.of("chat.postMessage")) == 2  # the request, then the finish reply


async def test_healthz_reports_the_server(harness: Harness, server: LangGraphClient) -> None:
    async def after_a_tick() -> dict[str, Any] | None:
        async with harness.http.get(f"{harness.base_url}/healthz") as resp:
            assert resp.status == 200
            body: dict[str, Any] = await resp.json()
        return body if body["discovery"] != "starting" else None

    body = await eventually(after_a_tick, timeout=60)
    assert body == {"status": "ok", "database": "up", "langgraph": "up", "discovery": "ok"}


async def test_unknown_graph_names_the_local_ones(
    harness: Harness, server: LangGraphClient
) -> None:
    with pytest.raises(NotFound, match="payments"):
        await harness.start("no_such_graph_anywhere", PAY)
    assert not await harness.rows("SELECT 1 FROM runs")


async def test_runs_api_starts_a_run_on_the_server(
    harness: Harness, server: LangGraphClient
) -> None:
    assistant = (await server.assistants.search(graph_id=GRAPH, limit=1))[0]["assistant_id"]
    async with harness.http.post(
        f"{harness.base_url}/api/runs",
        json={"graph": assistant, "input": PAY, "channel": "C0API"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    ) as resp:
        assert resp.status == 201
        body = await resp.json()
    assert body["graph"] == GRAPH and body["status"] == "waiting"
    run = (await harness.rows("SELECT * FROM runs WHERE thread_id = %s", body["thread_id"]))[0]
    assert (run["runner"], run["assistant_id"], run["channel"]) == ("remote", assistant, "C0API")
    approval_id = await posted_approval(harness, body["thread_id"])
    await harness.click("approve", approval_id, user="UALICE")
    await harness.wait_done(body["thread_id"])
    assert len(await answers(server, body["thread_id"])) == 1


async def cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        str(PYTHON), "-m", "bot", *args, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_cli_run_starts_on_the_server_and_local_graphs_still_run(
    harness: Harness, server: LangGraphClient, database_url: str,
    langgraph_server: LangGraphDev,
) -> None:
    env = bot_env(database_url, harness.fake, LANGGRAPH_API_URL=langgraph_server.url)
    code, out, err = await cli("run", GRAPH, "--input", json.dumps(PAY), "--json", env=env)
    assert code == 0, err
    remote_run = json.loads(out)
    assert remote_run["graph"] == GRAPH and remote_run["status"] == "waiting"
    local_run = await harness.start("counting", {"amount": 10, "recipient": "bob"})
    for thread_id in (remote_run["thread_id"], local_run.thread_id):
        approval_id = await posted_approval(harness, thread_id)
        await harness.click("approve", approval_id, user="UALICE")
        await harness.wait_done(thread_id)
    assert len(await answers(server, remote_run["thread_id"])) == 1
    assert len(await harness.rows("SELECT 1 FROM side_effects")) == 1  # the local payment


async def test_cli_says_so_when_the_server_is_down(
    harness: Harness, database_url: str
) -> None:
    env = bot_env(database_url, harness.fake, LANGGRAPH_API_URL=f"http://127.0.0.1:{free_port()}")
    code, out, err = await cli("run", GRAPH, "--input", json.dumps(PAY), env=env)
    assert code != 0 and "LangGraph Server cannot be asked" in err and "Traceback" not in err
    assert not await harness.rows("SELECT 1 FROM runs")
    # local graphs do not need the server
    code, out, err = await cli("run", "payments", "--input", '{"amount": 5, "recipient": "x"}',
                               env=env)
    assert code == 0, err
