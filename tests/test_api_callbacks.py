"""Signed callbacks: delivered at decision time, retried with backoff across a restart."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.api.client import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from bot.server import create_app
from bot.web.keys import DEPS

from support.approvals_api import CALLBACK_SECRET, api_settings, approval_id, call, create
from support.config import make_settings
from support.fake_slack import FakeSlack
from support.harness import Harness, eventually


@dataclass
class Receiver:
    """A caller's callback endpoint: answers ``fail_first`` attempts with 500."""

    fail_first: int = 0
    got: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.got.append((await request.read(), dict(request.headers)))
        return web.Response(status=500 if len(self.got) <= self.fail_first else 204)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    got = Receiver()
    app = web.Application()
    app.router.add_post("/hook", got.handle)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    got.url = str(server.make_url("/hook"))
    yield got
    await server.close()


FAST = {"approvals_sweep_s": 0.2, "approvals_callback_retry_s": 1.5}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return api_settings(**FAST)


async def test_create_click_then_the_signed_callback(harness: Harness, receiver: Receiver) -> None:
    created = await create(harness, {"action": "refund", "args": {"order": "1"},
                                     "callback_url": receiver.url})
    await harness.click("approve", await approval_id(harness, created["id"]), user="UALICE")
    status, got = await call(harness, "GET", f"/api/approvals/{created['id']}?wait=20")

    async def delivered() -> bool:
        return bool(receiver.got)

    await eventually(delivered)
    body, headers = receiver.got[0]
    assert verify_signature(CALLBACK_SECRET, body, headers)
    sent = json.loads(body)
    assert sent["id"] == created["id"] and sent["status"] == "approved"
    assert sent["decision"] == got["decision"] and sent["decision"]["cause"] == "person"
    assert headers["Idempotency-Key"] == got["decision"]["decision_id"]

    async def recorded() -> Any:
        status, again = await call(harness, "GET", f"/api/approvals/{created['id']}")
        return again["callback"]["status"] == "delivered" and again

    assert (await eventually(recorded))["callback"]["attempts"] == 1


@pytest.mark.parametrize("settings_overrides", [api_settings(approvals_sweep_s=3600)])
async def test_the_callback_goes_out_at_once_not_on_a_sweep(
    harness: Harness, receiver: Receiver
) -> None:
    """No sweeper pass comes within this test (it runs hourly here): the decision's
    notification sends the callback."""
    created = await create(harness, {"action": "refund", "callback_url": receiver.url})
    await harness.click("approve", await approval_id(harness, created["id"]), user="UALICE")

    async def delivered() -> bool:
        return bool(receiver.got)

    await eventually(delivered)
    assert json.loads(receiver.got[0][0])["decision"]["cause"] == "person"


async def test_a_forged_signature_is_rejected_by_the_verifier(
    harness: Harness, receiver: Receiver
) -> None:
    created = await create(harness, {"action": "refund", "callback_url": receiver.url})
    await harness.click("approve", await approval_id(harness, created["id"]), user="UALICE")

    async def delivered() -> bool:
        return bool(receiver.got)

    await eventually(delivered)
    body, headers = receiver.got[0]
    assert verify_signature(CALLBACK_SECRET, body, headers)
    forged = body.replace(b'"approved"', b'"rejected"')
    assert not verify_signature(CALLBACK_SECRET, forged, headers)  # body changed
    assert not verify_signature("another-secret", body, headers)  # someone else's secret
    stale = {**headers, TIMESTAMP_HEADER: str(int(headers[TIMESTAMP_HEADER]) - 600)}
    assert not verify_signature(CALLBACK_SECRET, body, stale)  # replayed later
    assert not verify_signature(CALLBACK_SECRET, body, {**headers, SIGNATURE_HEADER: "v0=00"})


async def test_a_callback_failing_twice_succeeds_after_a_restart(
    database_url: str, fake_slack: FakeSlack, receiver: Receiver
) -> None:
    receiver.fail_first = 2
    settings = make_settings(database_url, fake_slack, **api_settings(**FAST))
    async with aiohttp.ClientSession() as http:
        first = await _serve(settings, http, fake_slack)
        created = await create(first, {"action": "refund", "callback_url": receiver.url})
        await first.click("approve", await approval_id(first, created["id"]), user="UALICE")

        async def failed_twice() -> bool:  # and both attempts recorded
            return len(await first.rows("SELECT 1 FROM audit_log WHERE event = 'callback'")) == 2

        await eventually(failed_twice)
        await first.server.close()  # the bot stops before its next attempt (1.5 s × 2 later)
        second = await _serve(settings, http, fake_slack)

        async def delivered() -> bool:
            return len(receiver.got) == 3

        await eventually(delivered, timeout=30)
        attempts = await second.rows(
            "SELECT detail, reason FROM audit_log WHERE event = 'callback' ORDER BY id")
        await second.server.close()

    bodies = {body for body, _ in receiver.got}
    assert len(bodies) == 1  # the same decision, the same bytes, every time
    ids = {json.loads(body)["decision"]["decision_id"] for body in bodies}
    assert len(ids) == 1 and [h["Idempotency-Key"] for _, h in receiver.got] == [*ids] * 3
    assert [a["detail"]["attempt"] for a in attempts] == [1, 2, 3]
    assert [a["detail"]["outcome"] for a in attempts] == ["pending", "pending", "delivered"]
    assert attempts[0]["detail"]["by"] == attempts[1]["detail"]["by"] == first.deps.owner
    assert attempts[2]["detail"]["by"] == second.deps.owner  # after the restart
    assert [h["X-Approvals-Delivery-Attempt"] for _, h in receiver.got] == ["1", "2", "3"]


@dataclass
class Served(Harness):
    server: Any = None


async def _serve(settings: Any, http: aiohttp.ClientSession, fake: FakeSlack) -> Served:
    app = create_app(settings)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    return Served(str(server.make_url("")).rstrip("/"), http, app[DEPS], fake, server)


@pytest.mark.parametrize("settings_overrides", [
    api_settings(approvals_sweep_s=0.2, approvals_callback_retry_s=1,
                 approvals_callback_deadline_s=0.5)])
async def test_a_callback_past_its_deadline_is_given_up(
    harness: Harness, receiver: Receiver
) -> None:
    receiver.fail_first = 100
    created = await create(harness, {"action": "refund", "callback_url": receiver.url})
    await harness.click("approve", await approval_id(harness, created["id"]), user="UALICE")

    async def given_up() -> Any:
        status, got = await call(harness, "GET", f"/api/approvals/{created['id']}")
        return got["callback"]["status"] == "gave_up" and got

    got = await eventually(given_up)
    assert got["callback"]["attempts"] == 1 and len(receiver.got) == 1
    rows = await harness.rows("SELECT detail FROM audit_log WHERE event = 'callback'")
    assert [r["detail"]["outcome"] for r in rows] == ["gave_up"]
