"""The approvals API end to end: create over HTTP, decide by signed Slack clicks, read back."""

from __future__ import annotations

from typing import Any

import pytest

from support.approvals_api import api_settings, approval_id, call, create
from support.harness import Harness

REFUND = {
    "title": "Refund $420 to order 1234",
    "description": "Customer says the parcel never came.",
    "action": "refund",
    "args": {"order": "1234", "amount": 420},
}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return api_settings()


async def test_create_click_then_wait_returns_the_decision(harness: Harness) -> None:
    created = await create(harness, {**REFUND, "requested_by": "UREQ"})
    assert created["status"] == "pending" and created["decision"] is None
    post = harness.fake.of("chat.postMessage")[0]
    assert post["channel"] == "C0APPROVALS" and "Refund $420" in post["text"]
    assert created["permalink"].endswith(post["channel"] + "/p" + "1700000000000001")

    status, early = await call(harness, "GET", f"/api/approvals/{created['id']}?wait=0")
    assert status == 200 and early["status"] == "pending"
    await harness.click("approve", await approval_id(harness, created["id"]), user="UALICE")
    status, got = await call(harness, "GET", f"/api/approvals/{created['id']}?wait=20")

    assert status == 200 and got["status"] == "approved", got
    decision = got["decision"]
    assert decision["action"] == "approve" and decision["args"] == REFUND["args"]
    assert decision["decided_by"] == ["UALICE"] and decision["cause"] == "person"
    assert decision["decision_id"] and decision["decided_at"]
    events = [r["event"] for r in await harness.rows(
        "SELECT event FROM audit_log WHERE thread_id = %s ORDER BY id", created["id"])]
    assert events[:4] == ["started", "requested", "posted", "approved"] and "resumed" in events
    assert await harness.run_status(created["id"]) == "done"
