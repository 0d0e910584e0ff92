"""Standing approvals on a LangGraph Server's runs: granted with a signed click, then a
matching run is approved, resumed on the server and finishes; another one is not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langgraph_sdk.client import LangGraphClient
from test_standing import grant

from support.harness import Harness, eventually
from support.langgraph_dev import (
    LangGraphDev,
    answers,
    posted_approval,
    server_settings,
    start_on_server,
)

PAY = {"amount": 4200, "recipient": "acme"}
POLICY = """
[graphs.server_pay.actions.pay]
approvers = ["UALICE", "UBOB"]
standing_max_s = 3600
"""


@pytest.fixture
def settings_overrides(
    langgraph_server: LangGraphDev, server: LangGraphClient, tmp_path: Path
) -> dict[str, Any]:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY)
    return server_settings(langgraph_server, approvals_policy=str(path))


async def test_a_standing_approval_resumes_a_matching_server_run(
    harness: Harness, server: LangGraphClient
) -> None:
    first = await start_on_server(server, PAY)
    await posted_approval(harness, first)
    await grant(harness, first, user="UALICE", window="1 h")
    assert [a["decided_by"] for a in await answers(server, first)] == [["UALICE"]]

    again = await start_on_server(server, PAY)
    await eventually(lambda: harness.rows(  # posted (and maybe resumed already)
        "SELECT 1 FROM requests WHERE thread_id = %s AND message_ts IS NOT NULL", again))
    await harness.wait_done(again, within=60)
    (answer,) = await answers(server, again)
    assert answer["action"] == "approve" and answer["decided_by"] == ["UALICE"]
    state: Any = await server.threads.get_state(again)
    assert state["values"]["status"] == "paid"  # the server's own run did the work

    other = await start_on_server(server, {"amount": 4300, "recipient": "acme"})
    await posted_approval(harness, other)
    rows = await harness.rows("SELECT status FROM requests WHERE thread_id = %s", other)
    assert [r["status"] for r in rows] == ["pending"]
    assert await answers(server, other) == []
