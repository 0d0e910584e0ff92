"""A submission whose decision outlives Slack's 3 s window: answered in time, still lands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from support.harness import Harness, reason_values


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
    view = await harness.open_form("reject", approval_id, user="UALICE")
    answer = await harness.submit(view, reason_values(view, "not now"), user="UALICE")
    assert answer["response_action"] == "update"
    assert "still being recorded" in str(answer["view"]["blocks"])
    # The modal was answered before the decision was: it did not wait out Slack's window.
    rows = await harness.rows("SELECT status FROM approvals")
    assert rows[0]["status"] == "pending"

    await harness.wait_done(started.thread_id)
    state = await harness.graph_state("payments", started.thread_id)
    assert state.values["status"] == "rejected" and state.values["reason"] == "not now"
