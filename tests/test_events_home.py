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
    from bot.blocks.view import Waiting

    items = [Waiting(i, "Pay <everyone> & more " * 20, "C1", f"1700000000.{i:06d}",
                     datetime(2026, 1, 1, tzinfo=UTC)) for i in range(35)]
    view = build_home_view(items)
    View(**view).validate_json()
    assert len(view["blocks"]) <= 100
    shown = json.dumps(view, ensure_ascii=False)
    assert "… and 5 more" in shown and "&lt;everyone&gt;" in shown
