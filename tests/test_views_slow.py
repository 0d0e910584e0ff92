"""A submission whose decision outlives Slack's 3 s window: answered in time, still lands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from support.harness import Harness, eventually


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, Any]:
    policy = tmp_path / "policy.toml"
    policy.write_text('[graphs.payments]\napprovers = ["S0FIN"]\n')
    return {"approvals_policy": str(policy)}


async def test_slow_decision_answers_within_the_window_and_still_lands(harness: Harness) -> None:
    harness.fake.usergroups = {"S0FIN": ["UALICE"]}
    harness.fake.delays["usergroups.users.list"] = 3.5  # Slack is slow to list the group
    started = await harness.start("payments", {"amount": 2500, "recipient": "acme"})
    approval_id = (await harness.approval_ids(started.thread_id))[0]
    await harness.click("reject", approval_id, user="UALICE")

    async def opened() -> list[dict[str, Any]]:
        return harness.fake.of("views.open")

    view = (await eventually(opened))[-1]["view"]
    block = next(b for b in view["blocks"] if b["type"] == "input")
    values = {block["block_id"]: {block["element"]["action_id"]: {
        "type": "plain_text_input", "value": "not now"}}}
    answer = await harness.submit(view, values, user="UALICE")
    assert answer["response_action"] == "update"
    assert "still being recorded" in str(answer["view"]["blocks"])
    # The modal was answered before the decision was: it did not wait out Slack's window.
    rows = await harness.rows("SELECT status FROM approvals")
    assert rows[0]["status"] == "pending"

    async def done() -> bool:
        return await harness.run_status(started.thread_id) == "done"

    await eventually(done)
    state = await harness.graph_state("payments", started.thread_id)
    assert state.values["status"] == "rejected" and state.values["reason"] == "not now"
