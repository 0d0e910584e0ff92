"""The package's async client against the real bot: create, wait, cancel, list, errors."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.api.client import ApprovalsApiError, ApprovalsClient

from support.approvals_api import TOKEN, api_settings, approval_id
from support.harness import Harness


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return api_settings()


async def test_client_create_wait_cancel(harness: Harness) -> None:
    async with ApprovalsClient(harness.base_url, TOKEN) as approvals:
        made = await approvals.create(action="pay", args={"amount": 5}, title="Pay 5",
                                      idempotency_key="pay-5")
        again = await approvals.create(action="pay", args={"amount": 5}, title="Pay 5",
                                       idempotency_key="pay-5")
        assert again["id"] == made["id"]
        waiting = asyncio.ensure_future(approvals.wait(made["id"], timeout_s=30))
        await harness.click("approve", await approval_id(harness, made["id"]), user="UALICE")
        decision = await waiting
        assert decision["action"] == "approve" and decision["args"] == {"amount": 5}

        other = await approvals.create(action="pay", args={"amount": 6})
        with pytest.raises(TimeoutError):
            await approvals.wait(other["id"], timeout_s=0.5)
        cancelled = await approvals.cancel(other["id"], reason="not needed")
        assert cancelled["decision"]["cause"] == "cancel"
        with pytest.raises(ApprovalsApiError) as refused:
            await approvals.cancel(other["id"])
        assert refused.value.status == 409
        page = await approvals.list(status="cancelled")
        assert [a["id"] for a in page["approvals"]] == [other["id"]]
        with pytest.raises(ApprovalsApiError) as bad:
            await approvals.create(action="pay", args=[1])
        assert bad.value.status == 422 and bad.value.field == "args"
    async with ApprovalsClient(harness.base_url, "wrong") as stranger:
        with pytest.raises(ApprovalsApiError) as denied:
            await stranger.get(made["id"])
        assert denied.value.status == 401
