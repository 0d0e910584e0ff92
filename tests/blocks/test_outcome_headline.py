"""The outcome is the headline: each state's header and notification, who must act."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.blocks.quorum import build_quorum_reply
from bot.blocks.request import build_request_message
from bot.blocks.view import ActionView, RequestView, Vote
from graphs.models import Action

AT = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
TITLE = "Pay $2,500.00 to acme"
ARGS = {"amount": 2500, "recipient": "acme", "memo": "INV-1", "note": "n", "extra": 1}


def action(status: str = "pending", *, votes: tuple[str, ...] = (),
           args: dict[str, Any] | None = None, deciders: str | None = "<@UCAROL> or <@UDAVE>",
           name: str = "pay") -> ActionView:
    return ActionView(
        approval_id=7, action=Action(name=name, args=ARGS), args=args or ARGS, status=status,
        votes=[Vote(user=u, at=AT) for u in votes], deciders=deciders,
    )


def request(*actions: ActionView, required: int = 1, failed: bool = False) -> RequestView:
    return RequestView(request_id=1, title=TITLE, description=None, requested_by="UALICE",
                       graph="payments", actions=list(actions), required_approvals=required,
                       failed=failed)


def header(blocks: list[dict[str, Any]]) -> str:
    return str(blocks[0]["text"]["text"])


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("approved", "✅ Approved · Pay $2,500.00 to acme"),
        ("rejected", "❌ Rejected · Pay $2,500.00 to acme"),
        ("expired", "⏱ Expired · Pay $2,500.00 to acme"),
        ("cancelled", "🚫 Cancelled · Pay $2,500.00 to acme"),
    ],
)
def test_a_decided_request_is_headed_by_its_outcome(status: str, expected: str) -> None:
    text, blocks = build_request_message(request(action(status, votes=("UBOB",))))
    assert header(blocks) == expected
    assert text == expected  # the notification says the outcome too
    assert not any(b["type"] == "actions" for b in blocks)
    assert not any("fields" in b for b in blocks)  # the arguments collapsed to one line
    shown = json.dumps(blocks, ensure_ascii=False)
    assert "*Amount* `2,500`" in shown and "+1 more" in shown


def test_pending_and_failed_and_mixed_batches() -> None:
    text, blocks = build_request_message(request(action()))
    assert header(blocks) == TITLE and text == f"Approval needed: {TITLE}"
    failed = request(action("approved", votes=("UBOB",)), failed=True)
    assert header(build_request_message(failed)[1]).startswith("⚠️ Failed · ")
    mixed = request(action("approved", votes=("UBOB",)), replace(action("rejected"), approval_id=8))
    assert header(build_request_message(mixed)[1]) == f"☑️ 1 of 2 approved · {TITLE}"


def test_an_edit_heads_with_what_changed_and_then_with_its_outcome() -> None:
    edited = {**ARGS, "amount": 1800}
    _, blocks = build_request_message(request(action(args=edited)))
    assert header(blocks) == "✏️ Edited · Pay — Amount 1,800"
    _, blocks = build_request_message(request(action("edited", votes=("UBOB",), args=edited)))
    assert header(blocks) == "✅ Approved with edits · Pay — Amount 1,800"
    assert "*Amount* `2,500` → `1,800`" in json.dumps(blocks, ensure_ascii=False)


def test_the_message_names_who_must_act() -> None:
    _, blocks = build_request_message(request(action()))
    assert "⏳ Waiting for <@UCAROL> or <@UDAVE>" in json.dumps(blocks, ensure_ascii=False)
    half = request(action(votes=("UBOB",), deciders="<@UCAROL> or <@UDAVE>"), required=2)
    for _, built in (build_request_message(half), build_quorum_reply(half)):
        shown = json.dumps(built, ensure_ascii=False)
        assert "*1 of 2 approvals* · waiting for one more of <@UCAROL> or <@UDAVE>" in shown
    text, reply = build_quorum_reply(half)
    first = reply[0]["text"]["text"]
    assert first.endswith("— from <@UCAROL> or <@UDAVE>") and "1 more approval needed" in first
