"""Policies on a LangGraph Server's runs: per-graph rules by graph id, sign-off, expiry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langgraph_sdk.client import LangGraphClient

from bot.engine.sweeper import sweep_once

from support.harness import Harness, eventually
from support.langgraph_dev import (
    LangGraphDev,
    answers,
    done_with_sweeps,
    posted_approval,
    resume_runs,
    server_settings,
    start_on_server,
)

PAY = {"amount": 4200, "recipient": "acme"}
POLICY = """
[graphs.server_pay]
required_approvals = 2
"""


@pytest.fixture
def settings_overrides(
    langgraph_server: LangGraphDev, server: LangGraphClient, tmp_path: Path
) -> dict[str, Any]:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY)
    return server_settings(langgraph_server, approvals_policy=str(path))


async def test_two_people_sign_off_before_the_server_hears(
    harness: Harness, server: LangGraphClient
) -> None:
    thread_id = await start_on_server(server, PAY)
    approval_id = await posted_approval(harness, thread_id)
    await harness.click("approve", approval_id, user="UALICE")

    async def voted() -> list[dict[str, Any]]:
        return await harness.rows("SELECT 1 FROM votes")

    await eventually(voted)
    assert await answers(server, thread_id) == []  # one approval is not enough
    again = await harness.click("approve", approval_id, user="UALICE")
    assert again[0] == 200
    assert await resume_runs(server, thread_id) == 0  # nor is the same person twice
    await harness.click("approve", approval_id, user="UBOB")
    await done_with_sweeps(harness, thread_id)
    got = await answers(server, thread_id)
    assert len(got) == 1 and sorted(got[0]["decided_by"]) == ["UALICE", "UBOB"]


async def test_expiry_rejects_on_the_server(harness: Harness, server: LangGraphClient) -> None:
    thread_id = await start_on_server(server, PAY)
    await posted_approval(harness, thread_id)
    await harness.rows(
        "UPDATE requests SET expires_at = now() - interval '1 second' WHERE thread_id = %s "
        "RETURNING id", thread_id,
    )
    await sweep_once(harness.deps, grace_s=0)
    await done_with_sweeps(harness, thread_id)
    got = await answers(server, thread_id)
    assert len(got) == 1 and got[0]["action"] == "reject" and "timed out" in got[0]["reason"]
    state: Any = await server.threads.get_state(thread_id)
    assert state["values"]["status"] == "rejected"
