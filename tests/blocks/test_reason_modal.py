"""The Reject and Respond modals."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.models.views import View

from bot.blocks.reason_modal import build_reason_modal, parse_reason
from graphs.models import Action

ACTION = Action(name="delete_everything_in_the_production_database_" * 10, args={"x": 1})


def field(view: dict[str, Any]) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b["type"] == "input")


def submitted(view: dict[str, Any], value: str | None) -> dict[str, Any]:
    block = field(view)
    action_id = block["element"]["action_id"]
    return {block["block_id"]: {action_id: {"type": "plain_text_input", "value": value}}}


def test_reject_modal() -> None:
    view = build_reason_modal(approval_id=9, kind="reject", action=ACTION)
    View(**view).validate_json()
    View(**view).to_dict()
    assert view["callback_id"] == "reject_submit" and view["private_metadata"].startswith("9:1:")
    assert view["submit"]["text"] == "Reject" and view["close"]["text"] == "Cancel"
    assert field(view)["optional"] is True and field(view)["element"]["multiline"] is True
    assert field(view)["label"]["text"] == "Reason (optional)"


def test_respond_modal() -> None:
    view = build_reason_modal(approval_id=9, kind="respond", action=ACTION)
    View(**view).validate_json()
    View(**view).to_dict()
    assert view["callback_id"] == "respond_submit" and view["submit"]["text"] == "Send"
    assert field(view)["optional"] is False and field(view)["element"]["multiline"] is True
    assert field(view)["label"]["text"] == "Your answer"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  too risky \n", "too risky"),
        ("line one\nline two", "line one\nline two"),
        ("نعم 👍", "نعم 👍"),
        ("   \n ", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_reason(value: str | None, expected: str | None) -> None:
    view = build_reason_modal(approval_id=1, kind="reject", action=ACTION)
    assert parse_reason(submitted(view, value)) == expected


def test_parse_reason_without_the_block() -> None:
    assert parse_reason({}) is None


def test_the_reject_modal_names_the_action_and_its_key_arguments() -> None:
    schema = {"type": "object", "properties": {"amount": {"type": "number",
                                                          "title": "Amount (USD)"}}}
    pay = Action(name="pay", args={"amount": 2500.0, "recipient": "a<b>", "memo": "m",
                                   "extra": 1}, args_schema=schema)
    view = build_reason_modal(approval_id=9, kind="reject", action=pay)
    View(**view).validate_json()
    assert view["title"]["text"] == "Reject · Pay"
    said = view["blocks"][0]["elements"][0]["text"]
    assert said == ("Rejecting *Pay*: *Amount (USD)* `2,500.00` · *Recipient* a&lt;b&gt; · "
                    "*Memo* m · +1 more")
