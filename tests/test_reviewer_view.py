"""What a reviewer reads: honest headers after an edit, arguments alike in every place."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.errors import NotAllowed
from bot.policy import Policy, check_can_decide

from support.harness import Harness, eventually

PAYMENT = {"amount": 2500, "recipient": "acme", "memo": "invoice 7"}


def _header(message: dict[str, Any]) -> str:
    return str(message["blocks"][0]["text"]["text"])


def _field_labels(message: dict[str, Any]) -> list[str]:
    fields = [f["text"] for b in message["blocks"] if b["type"] == "section" for f in
              b.get("fields", [])]
    return [text.split("\n")[0].strip("*") for text in fields]


def _filled(view: dict[str, Any], **changes: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for block in (b for b in view["blocks"] if b["type"] == "input"):
        element = block["element"]
        value = changes.get(block["label"]["text"], element.get("initial_value"))
        values[block["block_id"]] = {element["action_id"]: {"type": element["type"],
                                                            "value": value}}
    return values


async def _last_update(harness: Harness) -> dict[str, Any]:
    async def updated() -> list[dict[str, Any]]:
        return harness.fake.of("chat.update")

    return (await eventually(updated))[-1]


async def test_message_and_modal_show_arguments_in_the_graphs_order_with_schema_titles(
    harness: Harness,
) -> None:
    started = await harness.start("payments", PAYMENT)
    (posted,) = harness.fake.of("chat.postMessage")
    assert _field_labels(posted) == ["Amount (USD)", "Recipient", "Memo"]
    shown = json.dumps(posted["blocks"])
    assert "$2,500.00" in shown and "`2,500.00`" in shown and "2,500.0`" not in shown
    approval_id = (await harness.approval_ids(started.thread_id))[0]
    view = await harness.open_form("edit", approval_id, user="UALICE")
    labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
    assert labels == ["Amount (USD)", "Recipient", "Memo"]


async def test_after_an_edit_header_and_notification_tell_the_current_arguments(
    harness: Harness,
) -> None:
    started = await harness.start("payments", PAYMENT)
    approval_id = (await harness.approval_ids(started.thread_id))[0]
    view = await harness.open_form("edit", approval_id, user="UALICE")
    answer = await harness.submit(view, _filled(view, **{"Amount (USD)": "1200.5"}),
                                  user="UALICE")
    assert answer.get("response_action") != "errors", answer
    await harness.wait_done(started.thread_id)
    last = await _last_update(harness)
    for text in (_header(last), last["text"]):
        assert "1,200.50" in text and "2,500" not in text, text
        assert "Amount (USD) 1,200.50" in text and text.endswith("Pay — Amount (USD) 1,200.50")
    shown = json.dumps(last["blocks"], ensure_ascii=False)
    assert "As first proposed:_ *Pay $2,500.00 to acme*" in shown  # kept, and marked as such
    assert "*Amount (USD)* `2,500.00` → `1,200.50` · *Recipient* acme · *Memo*" in shown
    assert _field_labels(last) == []  # decided: the arguments collapsed to one line


async def test_a_cancelled_request_names_its_requester_with_a_mention(harness: Harness) -> None:
    started = await harness.start("payments", PAYMENT)
    approval_id = (await harness.approval_ids(started.thread_id))[0]
    status, _ = await harness.click("cancel", approval_id, user="UREQ")
    assert status == 200
    await harness.wait_done(started.thread_id)
    shown = json.dumps((await _last_update(harness))["blocks"])
    assert "Cancelled* by <@UREQ>" in shown
    assert "&lt;@" not in shown and "&gt;" not in shown


def test_a_second_approval_by_the_same_person_is_refused_in_plain_words() -> None:
    policy = Policy.model_validate({"required_approvals": 2})
    with pytest.raises(NotAllowed) as refused:
        check_can_decide(policy, user="UA", requester="UR", decision="approve",
                         eligible_users=None, already_approved_by=["UA"])
    assert "needs 1 more approval from" in refused.value.message
    assert "(s)" not in refused.value.message
