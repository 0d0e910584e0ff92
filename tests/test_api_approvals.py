"""The approvals API end to end: create over HTTP, decide by signed Slack clicks, read back."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.engine.sweeper import sweep_once

from support.approvals_api import api_settings, approval_id, call, create
from support.harness import Harness, eventually, reason_values

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
    await harness.wait_done(created["id"])  # the engine marks it resumed just after
    events = [r["event"] for r in await harness.rows(
        "SELECT event FROM audit_log WHERE thread_id = %s ORDER BY id", created["id"])]
    assert events[:4] == ["started", "requested", "posted", "approved"] and "resumed" in events


async def test_edit_is_typed_from_the_response_schema(harness: Harness) -> None:
    schema = {"type": "object", "properties": {
        "order": {"type": "string"}, "amount": {"type": "integer", "maximum": 500}}}
    created = await create(harness, {**REFUND, "response_schema": schema})
    view = await harness.open_form("edit", await approval_id(harness, created["id"]),
                                   user="UALICE")
    amount = next(b for b in view["blocks"] if b["type"] == "input"
                  and "mount" in b["label"]["text"])
    assert amount["element"]["type"] == "number_input"  # typed: an integer field
    refused = await harness.submit(view, _filled(view, amount, "900"), user="UALICE")
    assert refused["response_action"] == "errors"  # above the schema's maximum
    await harness.submit(view, _filled(view, amount, "300"), user="UALICE")
    status, got = await call(harness, "GET", f"/api/approvals/{created['id']}?wait=20")

    assert got["status"] == "approved" and got["decision"]["action"] == "edit", got
    assert got["decision"]["args"] == {"order": "1234", "amount": 300}


def _filled(view: dict[str, Any], changed: dict[str, Any], value: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        entry = {"type": element["type"], "value": element.get("initial_value")}
        if block is changed:
            entry["value"] = value
        values[block["block_id"]] = {element["action_id"]: entry}
    return values


async def test_reject_with_a_reason(harness: Harness) -> None:
    created = await create(harness, REFUND)
    view = await harness.open_form("reject", await approval_id(harness, created["id"]),
                                   user="UALICE")
    await harness.submit(view, reason_values(view, "not this one <!channel>"), user="UALICE")
    status, got = await call(harness, "GET", f"/api/approvals/{created['id']}?wait=20")

    assert got["status"] == "rejected" and got["decision"]["action"] == "reject", got
    assert got["decision"]["reason"] == "not this one <!channel>"
    assert got["decision"]["cause"] == "person" and got["decision"]["args"] == REFUND["args"]
    assert "<!channel>" not in str(harness.fake.of("chat.update")[-1]["blocks"])


async def test_same_idempotency_key_returns_the_same_request(harness: Harness) -> None:
    headers = {"Idempotency-Key": "order-1234-refund"}
    first = await create(harness, REFUND, headers=headers)
    again = await create(harness, REFUND, headers=headers)
    together = await asyncio.gather(
        *(create(harness, {**REFUND, "title": "Other"}, headers={"Idempotency-Key": "k2"})
          for _ in range(4))
    )

    assert again["id"] == first["id"] and again["permalink"] == first["permalink"]
    async with harness.http.post(
        f"{harness.base_url}/api/approvals", json=REFUND,
        headers={**headers, "Authorization": "Bearer api-secret"},
    ) as resp:
        assert resp.status == 201 and resp.headers["Idempotent-Replayed"] == "true"
    assert len({c["id"] for c in together}) == 1
    assert len(harness.fake.of("chat.postMessage")) == 2  # one message per key
    assert len(await harness.rows("SELECT 1 FROM runs")) == 2
    status, answer = await call(harness, "POST", "/api/approvals",
                                {**REFUND, "args": {"amount": 1}}, headers=headers)
    assert status == 409 and answer["field"] == "Idempotency-Key"


async def test_two_person_sign_off(harness: Harness) -> None:
    created = await create(harness, {**REFUND, "approval": {"required_approvals": 2}})
    aid = await approval_id(harness, created["id"])
    await harness.click("approve", aid, user="UALICE")
    await harness.click("approve", aid, user="UALICE")  # the same person twice: refused

    async def one_vote() -> bool:
        return len(await harness.rows("SELECT 1 FROM votes")) == 1

    await eventually(one_vote)
    status, got = await call(harness, "GET", f"/api/approvals/{created['id']}?wait=0.5")
    assert got["status"] == "pending" and got["decision"] is None
    await harness.click("approve", aid, user="UBOB")
    status, got = await call(harness, "GET", f"/api/approvals/{created['id']}?wait=20")

    assert got["status"] == "approved" and got["decision"]["decided_by"] == ["UALICE", "UBOB"]


async def test_expiry_answers_with_cause_timeout(harness: Harness) -> None:
    created = await create(harness, {**REFUND, "approval": {"timeout_s": 1}})

    async def expired() -> bool:
        await sweep_once(harness.deps, grace_s=0)
        return (await call(harness, "GET", f"/api/approvals/{created['id']}"))[1][
            "status"] == "expired"

    await eventually(expired)
    status, got = await call(harness, "GET", f"/api/approvals/{created['id']}?wait=5")
    decision = got["decision"]
    assert decision["cause"] == "timeout" and decision["action"] == "reject"
    assert decision["reason"] == "timed out after 1 second" and decision["decided_by"] == []
    assert "Expired" in str(harness.fake.of("chat.update")[-1]["blocks"])


async def test_requester_by_email_cannot_approve_their_own(harness: Harness) -> None:
    harness.fake.emails["ann@example.com"] = "UANN"
    created = await create(harness, {**REFUND, "requested_by": "ann@example.com"})
    assert created["requested_by"] == "UANN"
    aid = await approval_id(harness, created["id"])
    await harness.click("approve", aid, user="UANN")

    async def refused() -> bool:
        return len(harness.fake.of("chat.postEphemeral")) == 1

    await eventually(refused)
    status, got = await call(harness, "GET", f"/api/approvals/{created['id']}?wait=0.3")
    assert got["status"] == "pending"


async def test_list_pending_is_paginated(harness: Harness) -> None:
    ids = [(await create(harness, {**REFUND, "title": f"Refund {n}"}))["id"] for n in range(3)]
    await harness.click("approve", await approval_id(harness, ids[0]), user="UALICE")
    await call(harness, "GET", f"/api/approvals/{ids[0]}?wait=20")

    status, page = await call(harness, "GET", "/api/approvals?status=pending&limit=1")
    assert status == 200 and [a["id"] for a in page["approvals"]] == [ids[1]]
    status, rest = await call(
        harness, "GET", f"/api/approvals?status=pending&limit=1&cursor={page['next_cursor']}")
    assert [a["id"] for a in rest["approvals"]] == [ids[2]] and rest["next_cursor"] is None
    status, every = await call(harness, "GET", "/api/approvals")
    assert [a["status"] for a in every["approvals"]] == ["approved", "pending", "pending"]


async def test_untrusted_text_is_escaped_in_slack(harness: Harness) -> None:
    await create(harness, {"title": "Pay <!channel> now", "action": "pay",
                           "description": "see <https://evil.example|your bank>",
                           "args": {"to": "<@U999>"}})
    post = harness.fake.of("chat.postMessage")[0]
    shown = post["text"] + "".join(_mrkdwn(post["blocks"]))  # plain_text never renders links
    assert "<!channel>" not in shown and "<https://evil.example|" not in shown
    assert "&lt;!channel&gt;" in shown and "evil.example" in shown  # shown, as text
    assert "<@U999>" not in shown


async def test_a_post_slack_refuses_for_good_is_failed(harness: Harness) -> None:
    harness.fake.errors["chat.postMessage"] = "channel_not_found"
    status, created = await call(harness, "POST", "/api/approvals",
                                 {**REFUND, "channel": "C0GONE"})
    assert status == 201 and created["status"] == "failed", created
    assert "channel_not_found" in created["error"]
    status, got = await call(harness, "GET", f"/api/approvals/{created['id']}?wait=30")
    assert got["status"] == "failed" and got["decision"] is None  # answered at once


def _mrkdwn(node: Any) -> list[str]:
    """Every mrkdwn text in a block tree."""
    if isinstance(node, list):
        return [t for item in node for t in _mrkdwn(item)]
    if not isinstance(node, dict):
        return []
    own = [node["text"]] if node.get("type") == "mrkdwn" else []
    return own + [t for value in node.values() for t in _mrkdwn(value)]
