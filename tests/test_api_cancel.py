"""Cancelling through the approvals API, and a cancel racing a person's click."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from support.approvals_api import api_settings, approval_id, call, create
from support.harness import Harness, eventually

REQUEST = {"title": "Delete the staging database", "action": "drop_db", "args": {"db": "stg"}}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return api_settings()


async def test_cancel_answers_with_cause_cancel_and_then_409(harness: Harness) -> None:
    created = await create(harness, REQUEST)
    aid = await approval_id(harness, created["id"])
    status, got = await call(harness, "POST", f"/api/approvals/{created['id']}/cancel",
                             {"reason": "the job was aborted"})

    assert status == 200 and got["status"] == "cancelled", got
    assert got["decision"]["cause"] == "cancel" and got["decision"]["action"] == "reject"
    assert got["decision"]["reason"] == "the job was aborted"
    status, again = await call(harness, "POST", f"/api/approvals/{created['id']}/cancel")
    assert status == 409 and again["approval"]["status"] == "cancelled"
    await harness.click("approve", aid, user="UALICE")  # too late: refused, nothing changes

    async def told() -> bool:
        return len(harness.fake.of("chat.postEphemeral")) == 1

    await eventually(told)
    status, final = await call(harness, "GET", f"/api/approvals/{created['id']}")
    assert final["decision"] == got["decision"]
    assert "cancelled" in [r["event"] for r in await harness.rows(
        "SELECT event FROM audit_log WHERE thread_id = %s", created["id"])]


async def test_cancel_after_a_decision_is_409(harness: Harness) -> None:
    created = await create(harness, REQUEST)
    await harness.click("approve", await approval_id(harness, created["id"]), user="UALICE")
    await call(harness, "GET", f"/api/approvals/{created['id']}?wait=20")
    status, answer = await call(harness, "POST", f"/api/approvals/{created['id']}/cancel")
    assert status == 409 and answer["approval"]["status"] == "approved"


async def test_a_cancel_racing_a_click_has_one_winner(harness: Harness) -> None:
    outcomes = []
    for n in range(6):
        created = await create(harness, {**REQUEST, "args": {"db": f"stg{n}"}})
        aid = await approval_id(harness, created["id"])
        value = await harness.value_of(aid)
        (cancel_status, _), _ = await asyncio.gather(
            call(harness, "POST", f"/api/approvals/{created['id']}/cancel"),
            harness.click("approve", aid, user="UALICE", value=value),
        )
        status, got = await call(harness, "GET", f"/api/approvals/{created['id']}?wait=20")
        # whoever took the row lock first decided; the other changed nothing
        if cancel_status == 200:
            assert got["status"] == "cancelled" and got["decision"]["cause"] == "cancel"
        else:
            assert cancel_status == 409 and got["status"] == "approved", got
            assert got["decision"]["cause"] == "person"
        votes = await harness.rows("SELECT 1 FROM votes WHERE approval_id = %s", aid)
        assert len(votes) == (1 if got["status"] == "approved" else 0)
        outcomes.append(got["status"])
    decisions = await harness.rows("SELECT count(*) AS n FROM api_requests "
                                   "WHERE decision IS NOT NULL")
    assert decisions[0]["n"] == 6
