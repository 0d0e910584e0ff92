"""Tutorial-shaped graphs and static breakpoints on a real LangGraph Server (``langgraph dev``).

A second ``langgraph dev`` serves ``support/tutorial_graphs.py``; the bot starts runs on
it (or finds them there), posts them, and answers them through the signed endpoint. The
tests read the server's own thread state.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langgraph_sdk.client import LangGraphClient
from test_shapes import POLICY, button_kinds, filled, reject

from bot.engine.discover import adopt

from support.harness import Harness
from support.langgraph_dev import LangGraphDev, emptied, posted_approval, server_settings

HERE = Path(__file__).resolve().parent
MAIL = {"to": "bob@example.com", "subject": "launch"}


@pytest.fixture(scope="module")
def tutorial_server() -> Iterator[LangGraphDev]:
    workdir = Path(tempfile.mkdtemp(prefix="approvals-langgraph-tutorial-"))
    shutil.copy(HERE / "support" / "tutorial_graphs.py", workdir / "tutorial_graphs.py")
    shutil.copy(HERE / "langgraph_tutorial" / "langgraph.json", workdir / "langgraph.json")
    server = LangGraphDev(workdir)
    server.start(timeout_s=180)
    yield server
    server.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
async def client(tutorial_server: LangGraphDev) -> LangGraphClient:
    return await emptied(tutorial_server)


@pytest.fixture
def settings_overrides(
    tutorial_server: LangGraphDev, client: LangGraphClient, tmp_path: Path
) -> dict[str, Any]:
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY)
    return server_settings(tutorial_server, approvals_policy=str(policy))


async def server_values(client: LangGraphClient, thread_id: str) -> dict[str, Any]:
    state: Any = await client.threads.get_state(thread_id)
    return dict(state["values"])


async def test_plan_review_on_the_server_gets_its_string(
    harness: Harness, client: LangGraphClient
) -> None:
    started = await harness.start("plan_review", {"plan": "1. migrate"})
    assert started.status == "waiting"
    approval_id = await posted_approval(harness, started.thread_id)
    await harness.click("approve", approval_id, user="UALICE")
    await harness.wait_done(started.thread_id, within=60)
    assert (await server_values(client, started.thread_id))["status"] == "approved"


async def test_email_gate_on_the_server_reads_its_bool(
    harness: Harness, client: LangGraphClient
) -> None:
    started = await harness.start("email_gate", {"to": "bob@example.com", "body": "Hi"})
    approval_id = await posted_approval(harness, started.thread_id)
    await reject(harness, approval_id, "wrong person")
    await harness.wait_done(started.thread_id, within=60)
    values = await server_values(client, started.thread_id)
    assert (values["status"], values["reason"]) == ("cancelled", "wrong person")


async def test_flat_payment_edit_on_the_server(harness: Harness, client: LangGraphClient) -> None:
    started = await harness.start("flat_payment", {"amount": 4200, "recipient": "Acme"})
    approval_id = await posted_approval(harness, started.thread_id)
    view = await harness.open_form("edit", approval_id, user="UALICE")
    assert await harness.submit(view, filled(view, amount="4000"), user="UALICE") == {}
    await harness.wait_done(started.thread_id, within=60)
    values = await server_values(client, started.thread_id)
    assert values["paid"] == ["4000 to Acme"]


async def test_compiled_breakpoint_edit_then_continue(
    harness: Harness, client: LangGraphClient
) -> None:
    started = await harness.start("mail_before", MAIL)
    approval_id = await posted_approval(harness, started.thread_id)
    post = [p for p in harness.fake.of("chat.postMessage") if p.get("blocks")][0]
    assert "Paused before `send_email`" in json.dumps(post["blocks"])
    assert button_kinds(post) == ["approve", "reject", "edit"]
    view = await harness.open_form("edit", approval_id, user="UALICE")
    assert await harness.submit(view, filled(view, body="Hi Bob."), user="UALICE") == {}
    await harness.wait_done(started.thread_id, within=60)
    values = await server_values(client, started.thread_id)
    assert values["outbox"] == ["bob@example.com|launch|Hi Bob."]


async def test_per_run_breakpoint_found_on_the_server_and_rejected(
    harness: Harness, client: LangGraphClient
) -> None:
    thread = await client.threads.create(metadata={"approvals_channel": "C0SERVER"})
    thread_id = str(thread["thread_id"])
    await client.runs.wait(thread_id, "mail", input=MAIL, interrupt_before=["send_email"])
    approval_id = await posted_approval(harness, thread_id)  # found by the bot's poll
    await reject(harness, approval_id, "not today")
    await harness.wait_done(thread_id, within=60)
    state: Any = await client.threads.get_state(thread_id)
    assert not state["values"].get("outbox") and state["next"] == ["send_email"]

    async def posts() -> int:
        return len([p for p in harness.fake.of("chat.postMessage") if p.get("blocks")])

    assert await posts() == 1
    found = await harness.deps.runners.server_thread(thread_id)
    assert found is not None  # still "interrupted" on the server: adopted again
    await adopt(harness.deps, found)
    assert await posts() == 1  # the answered pause is never posted again
    assert await harness.run_status(thread_id) == "done"


async def test_a_boolean_response_schema_on_the_server(
    harness: Harness, client: LangGraphClient
) -> None:
    started = await harness.start("boolean_gate", {"command": "rm -rf build"})
    approval_id = await posted_approval(harness, started.thread_id)
    post = [p for p in harness.fake.of("chat.postMessage") if p.get("blocks")][0]
    assert button_kinds(post) == ["approve", "reject"]
    await harness.click("approve", approval_id, user="UALICE")
    await harness.wait_done(started.thread_id, within=60)
    values = await server_values(client, started.thread_id)
    assert values["verdict"] is True and values["ran"] == ["rm -rf build"]
