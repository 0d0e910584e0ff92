"""Forged, stale and unsigned requests get 401 and change nothing."""

from __future__ import annotations

import time

from support.harness import Harness, click_payload
from support.signing import interaction_body, sign


async def _pending_payment(harness: Harness) -> int:
    started = await harness.start("payments", {"amount": 5000, "recipient": "acme"})
    return (await harness.approval_ids(started.thread_id))[0]


async def _click(harness: Harness, approval_id: int, user: str) -> str:
    """A signed-ready body of a click on the current version (valid but for its signature)."""
    value = await harness.value_of(approval_id)
    return interaction_body(click_payload("approve", approval_id, user=user, value=value))


async def _nothing_decided(harness: Harness) -> None:
    rows = await harness.rows("SELECT status FROM approvals")
    assert [r["status"] for r in rows] == ["pending"]
    assert not await harness.rows("SELECT 1 FROM votes")


async def test_forged_signature_is_401(harness: Harness) -> None:
    approval_id = await _pending_payment(harness)
    body = await _click(harness, approval_id, "UALICE")
    status, _ = await harness.post_slack(body, sign(body, secret="not-the-secret"))
    assert status == 401
    await _nothing_decided(harness)


async def test_tampered_body_is_401(harness: Harness) -> None:
    approval_id = await _pending_payment(harness)
    body = await _click(harness, approval_id, "UALICE")
    headers = sign(body)
    forged = await _click(harness, approval_id, "UMALLORY")
    status, _ = await harness.post_slack(forged, headers)
    assert status == 401
    await _nothing_decided(harness)


async def test_timestamp_older_than_five_minutes_is_401(harness: Harness) -> None:
    approval_id = await _pending_payment(harness)
    body = await _click(harness, approval_id, "UALICE")
    status, _ = await harness.post_slack(body, sign(body, timestamp=int(time.time()) - 301))
    assert status == 401
    await _nothing_decided(harness)


async def test_unsigned_request_is_401(harness: Harness) -> None:
    approval_id = await _pending_payment(harness)
    body = await _click(harness, approval_id, "UALICE")
    status, _ = await harness.post_slack(
        body, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 401
    await _nothing_decided(harness)


async def test_fresh_signature_is_accepted(harness: Harness) -> None:
    """The control case: the same click, signed now, is taken."""
    approval_id = await _pending_payment(harness)
    status, _ = await harness.click("approve", approval_id, user="UALICE")
    assert status == 200
