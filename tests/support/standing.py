"""The "Approve & allow …" menu of a posted request (its options, choosing one), its
"Approve for this run" buttons, and the standing approvals list of ``/approvals
standing`` with its Revoke buttons."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from support.harness import Harness, click_payload
from support.signing import sign


def _post_of(harness: Harness, approval_id: int) -> dict[str, Any]:
    """The message that posted ``approval_id`` with its buttons."""
    decide_id = f"decide:{approval_id}"
    (post,) = [p for p in harness.fake.of("chat.postMessage")
               if any(b.get("block_id") == decide_id for b in p.get("blocks") or [])]
    return post


def run_buttons(harness: Harness, approval_id: int) -> list[str]:
    """The texts of the "Approve for this run" buttons of ``approval_id`` (none: [])."""
    post = _post_of(harness, approval_id)
    (row,) = [b for b in post["blocks"] if b.get("block_id") == f"decide:{approval_id}"]
    return [e["text"]["text"] for e in row["elements"] if e.get("action_id") == "approve_run"]


def menu_options(harness: Harness, approval_id: int) -> list[dict[str, Any]]:
    """The options of the menu on the message that posted ``approval_id`` (none: [])."""
    post = _post_of(harness, approval_id)
    for block in post["blocks"]:
        if block["type"] == "actions" and block["block_id"].startswith("standing:"):
            return list(block["elements"][0]["options"])
    return []


async def choose(
    harness: Harness, approval_id: int, option: dict[str, Any], *, user: str
) -> tuple[int, str]:
    """Pick ``option`` of the menu as ``user``, as Slack sends it (signed)."""
    payload = click_payload("approve_standing", approval_id, user=user)
    payload["actions"][0] = {
        "type": "static_select", "action_id": "approve_standing",
        "block_id": f"standing:{approval_id}", "selected_option": option,
        "action_ts": "1700000000.000002",
    }
    return await harness.send(payload)


async def command(harness: Harness, text: str, *, user: str) -> dict[str, Any]:
    """``/approvals TEXT`` typed by ``user``: the ephemeral answer."""
    body = urlencode({"team_id": "T111", "channel_id": "C0APPROVALS", "user_id": user,
                      "command": "/approvals", "text": text, "api_app_id": "A111",
                      "response_url": "https://hooks.slack.com/commands/T111/1/x",
                      "trigger_id": "111.222.abc"})
    status, answer = await harness.post_slack(body, sign(body))
    assert status == 200, answer
    return json.loads(answer)  # type: ignore[no-any-return]


def revoke_buttons(answer: dict[str, Any]) -> list[str]:
    """The grant ids of the Revoke buttons in an answer."""
    return [b["accessory"]["value"] for b in answer.get("blocks", [])
            if b.get("accessory", {}).get("action_id") == "standing_revoke"]


async def revoke(harness: Harness, grant_id: str, *, user: str) -> None:
    """Click Revoke on ``grant_id`` as ``user``."""
    payload = click_payload("standing_revoke", grant_id, user=user, value=grant_id)
    status, _ = await harness.send(payload)
    assert status == 200
