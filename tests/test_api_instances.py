"""Two bot instances on one database: a long poll on one sees a decision made on the other."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from bot.api.decisions import DECISIONS
from bot.server import create_app
from bot.web.keys import DEPS

from support.approvals_api import api_settings, approval_id, call, create
from support.config import make_settings
from support.fake_slack import FakeSlack
from support.harness import Harness, eventually


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return api_settings()


@dataclass
class Instance(Harness):
    """A bot instance with its app and server at hand."""

    app: Any = None
    server: Any = None


@pytest.fixture
async def other(
    harness: Harness, database_url: str, fake_slack: FakeSlack, settings_overrides: dict[str, Any]
) -> AsyncIterator[Instance]:
    """A second instance of the bot, on the same database and the same Slack."""
    app = create_app(make_settings(database_url, fake_slack, **settings_overrides))
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    url = str(server.make_url("")).rstrip("/")
    # it listens for decisions before the test asks it anything
    await asyncio.wait_for(app[DECISIONS].listening.wait(), timeout=30)
    yield Instance(url, harness.http, app[DEPS], fake_slack, app, server)
    await server.close()


async def test_a_long_poll_is_answered_by_a_click_on_another_instance(
    harness: Harness, other: Instance
) -> None:
    created = await create(harness, {"action": "deploy", "args": {"env": "prod"}})
    aid = await approval_id(harness, created["id"])
    poll = asyncio.ensure_future(call(other, "GET", f"/api/approvals/{created['id']}?wait=30"))
    await asyncio.sleep(0)  # the poll is waiting before the click is sent
    clicked = time.monotonic()
    await harness.click("approve", aid, user="UALICE")
    status, got = await poll
    answered = time.monotonic() - clicked

    assert status == 200 and got["status"] == "approved", got
    assert got["decision"]["decided_by"] == ["UALICE"]
    assert answered < 5, answered  # at the decision, not at the end of the 30 s wait
    print(f"long poll answered {answered * 1000:.0f} ms after the click")


async def test_a_shutdown_answers_waiting_long_polls_at_once(
    harness: Harness, other: Instance
) -> None:
    created = await create(harness, {"action": "deploy"})
    poll = asyncio.ensure_future(call(other, "GET", f"/api/approvals/{created['id']}?wait=60"))

    async def waiting() -> bool:  # the poll is in the other instance's listener
        return bool(other.app[DECISIONS]._events)

    await eventually(waiting)
    started = time.monotonic()
    await other.server.close()
    status, got = await poll
    assert status == 200 and got["status"] == "pending"
    assert time.monotonic() - started < 10  # not the rest of the 60 s
