"""App Home and ``/approvals pending``: who asks, where, key arguments, progress and
expiry per request, with Approve and Reject right there, through the decision path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from test_events_home import _open_home

from support.harness import Harness, click_payload, eventually
from support.signing import sign

POLICY = """
[graphs.payments]
approvers = ["UBOB", "UCAROL", "UDAVE"]
required_approvals = 2
"""


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY)
    return {"approvals_policy": str(path)}


def from_home(kind: str, approval_id: int, *, user: str, value: str) -> dict[str, Any]:
    """A click on a button of the App Home: its container is a view, not a message."""
    payload = click_payload(kind, approval_id, user=user, value=value)
    payload["container"] = {"type": "view", "view_id": "V0HOME"}
    payload.pop("channel", None)
    payload.pop("message", None)
    payload["view"] = {"id": "V0HOME", "type": "home", "blocks": []}
    return payload


async def test_home_shows_progress_and_decides_in_place(harness: Harness) -> None:
    started = await harness.start("payments", {"amount": 2500, "recipient": "acme"},
                                  requested_by="UALICE")
    (approval_id,) = await harness.approval_ids(started.thread_id)
    assert (await harness.click("approve", approval_id, user="UBOB"))[0] == 200

    async def counted() -> bool:
        rows = await harness.rows("SELECT count(*) AS n FROM votes")
        return rows[0]["n"] == 1

    await eventually(counted)
    view = await _open_home(harness, "UCAROL")
    text = json.dumps(view, ensure_ascii=False)
    assert "by <@UALICE> in <#C0APPROVALS> · 1 of 2 approvals · expires <!date^" in text
    assert "*Amount (USD)* `2,500.00` · *Recipient* acme" in text
    row = next(b for b in view["blocks"] if b.get("block_id") == f"decide:{approval_id}")
    assert [e["action_id"] for e in row["elements"]] == ["approve", "reject"]
    value = row["elements"][0]["value"]
    assert value == await harness.value_of(approval_id)  # the same versioned value

    status, _ = await harness.send(from_home("approve", approval_id, user="UCAROL", value=value))
    assert status == 200
    await harness.wait_done(started.thread_id)
    state = await harness.graph_state("payments", started.thread_id)
    assert state.values["status"] == "paid" and state.values["decided_by"] == ["UBOB", "UCAROL"]


async def test_approvals_pending_lists_details_with_buttons(harness: Harness) -> None:
    started = await harness.start("payments", {"amount": 2500, "recipient": "acme"},
                                  requested_by="UALICE")
    (approval_id,) = await harness.approval_ids(started.thread_id)
    body = urlencode({
        "token": "legacy", "team_id": "T111", "channel_id": "C0APPROVALS", "user_id": "UDAVE",
        "command": "/approvals", "text": "pending", "api_app_id": "A111",
        "response_url": "https://hooks.slack.com/commands/T111/1/x", "trigger_id": "1.2.a",
    })
    status, raw = await harness.post_slack(body, sign(body))
    assert status == 200
    answer = json.loads(raw)
    assert "by <@UALICE> in <#C0APPROVALS> · expires <!date^" in answer["text"]
    assert "*Amount (USD)* `2,500.00` · *Recipient* acme" in answer["text"]
    rows = [b for b in answer["blocks"] if b["type"] == "actions"]
    assert [e["value"] for r in rows for e in r["elements"]] == [
        await harness.value_of(approval_id)
    ] * 2
