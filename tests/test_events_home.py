"""The App Home tab: opening it publishes the requests the person may decide."""

from __future__ import annotations

import json
from typing import Any

from support.fake_slack import PERMALINK_HOST
from support.harness import Harness, eventually
from support.signing import sign


def _home_opened(user: str) -> str:
    return json.dumps({
        "token": "verification_token", "team_id": "T111", "api_app_id": "A111",
        "type": "event_callback", "event_id": "Ev111", "event_time": 1700000000,
        "event": {"type": "app_home_opened", "user": user, "channel": "D111", "tab": "home",
                  "event_ts": "1700000000.000100"},
    })


async def _open_home(harness: Harness, user: str) -> dict[str, Any]:
    before = len(harness.fake.of("views.publish"))
    body = _home_opened(user)
    headers = {**sign(body), "Content-Type": "application/json"}
    status, _ = await harness.post_slack(body, headers)
    assert status == 200

    async def published() -> list[dict[str, Any]]:
        calls = harness.fake.of("views.publish")
        return calls[before:]

    call = (await eventually(published))[-1]
    assert call["user_id"] == user
    return call["view"]  # type: ignore[no-any-return]


async def test_home_lists_what_waits_for_the_person(harness: Harness) -> None:
    await harness.start("payments", {"amount": 2500, "recipient": "acme"}, requested_by="UREQ")
    view = await _open_home(harness, "UALICE")
    text = json.dumps(view)
    assert view["type"] == "home" and "Pay $2,500.00 to acme" in text
    assert f"<{PERMALINK_HOST}/archives/C0APPROVALS/p1700000000000001|" in text
    # the requester cannot approve their own request: nothing waits for them
    mine = json.dumps(await _open_home(harness, "UREQ"))
    assert "Nothing is waiting for you" in mine and "acme" not in mine


def test_home_view_validates_and_stays_within_limits() -> None:
    from datetime import UTC, datetime

    from slack_sdk.models.views import View

    from bot.blocks.inbox import build_home_view
    from bot.blocks.view import InboxPage, Waiting

    items = [Waiting(i, "Pay <everyone> & more " * 20, "C1", f"1700000000.{i:06d}",
                     datetime(2026, 1, 1, tzinfo=UTC)) for i in range(30)]
    view = build_home_view(InboxPage(items, page=2, first=31, more=True, total_open=95))
    View(**view).validate_json()
    assert len(view["blocks"]) <= 100
    shown = json.dumps(view, ensure_ascii=False)
    assert "Requests you may decide, 31–60" in shown and "95 open requests in all" in shown
    assert "&lt;everyone&gt;" in shown
    pages = [b for b in view["blocks"] if b.get("block_id") == "home_pages"][0]["elements"]
    assert [(b["action_id"], b["value"]) for b in pages] == [("home_page", "1"), ("home_page", "3")]


async def test_home_pages_through_every_request(harness: Harness) -> None:
    from support.harness import click_payload
    from support.seed import seed_pending
    from support.signing import interaction_body

    async with harness.deps.pool.connection() as conn:
        await seed_pending(conn, 40, prefix="home-", approvers=["UALICE"], title="Mine")
    first = json.dumps(await _open_home(harness, "UALICE"), ensure_ascii=False)
    assert "Mine 30>" in first and "Mine 31>" not in first and "40 open requests in all" in first

    async def page(value: str) -> int:
        """Click a page button; how many views were published before the click."""
        before = len(harness.fake.of("views.publish"))
        payload = click_payload("home_page", 0, user="UALICE", value=value)
        body = interaction_body(payload)
        status, _ = await harness.post_slack(body, sign(body))
        assert status == 200  # the ack; the publish follows it
        return before

    async def published_since(before: int) -> list[dict[str, Any]]:
        return harness.fake.of("views.publish")[before:]

    asked = await page("2")
    second = json.dumps(
        (await eventually(lambda: published_since(asked)))[-1]["view"], ensure_ascii=False
    )
    assert "Mine 31>" in second and "Mine 40>" in second and "Mine 30>" not in second
    assert "Requests you may decide, 31–40" in second
    before = len(harness.fake.of("views.publish"))
    for forged in ("0", "-3", "2; DROP TABLE requests", "9" * 30):
        await page(forged)  # refused: nothing is drawn, nothing breaks
    await harness.deps.inflight.drain(30)  # whatever the forged clicks would have drawn
    assert harness.fake.of("views.publish")[before:] == []
