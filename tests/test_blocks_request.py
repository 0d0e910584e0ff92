"""The request message and the quorum reply: valid Block Kit within Slack's limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.blocks.parts import MAX_BLOCKS
from bot.blocks.quorum import build_quorum_reply
from bot.blocks.request import build_request_message
from bot.blocks.version import encode_ref
from bot.blocks.view import ActionView, RequestView, Vote
from graphs.models import Action

AT = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)


def action_view(i: int, *, args: dict[str, Any] | None = None, status: str = "pending",
                votes: tuple[str, ...] = (), reason: str | None = None) -> ActionView:
    args = {"amount": 10 * i, "to": f"user{i}@example.com"} if args is None else args
    return ActionView(
        approval_id=100 + i,
        action=Action(name=f"tool_{i}", args=args, description=f"Call number {i}"),
        args=args,
        status=status,
        votes=[Vote(user=u, at=AT) for u in votes],
        reason=reason,
    )


def request_view(actions: list[ActionView], *, title: str = "Pay the bills",
                 required: int = 1, description: str | None = "Some *context*") -> RequestView:
    return RequestView(
        request_id=1, title=title, description=description, requested_by="UREQ",
        graph="agent", actions=actions, required_approvals=required, expires_at=AT,
    )


def check_valid(blocks: list[dict[str, Any]]) -> None:
    """Every block passes slack_sdk's validation; the message fits in 50 blocks."""
    assert 0 < len(blocks) <= MAX_BLOCKS
    for raw in blocks:
        block = Block.parse(raw)
        assert block is not None, raw
        block.validate_json()
    ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(ids) == len(set(ids))


def button_ids(blocks: list[dict[str, Any]]) -> list[int]:
    return [
        int(b["block_id"].split(":")[1]) for b in blocks
        if b["type"] == "actions" and b["block_id"].startswith("decide:")
    ]


def test_one_action_has_buttons_and_args() -> None:
    text, blocks = build_request_message(request_view([action_view(1)]))
    check_valid(blocks)
    assert text == "Approval needed: Pay the bills"
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": "Pay the bills"}}
    (row,) = [b for b in blocks if b["type"] == "actions"]
    kinds = [e["text"]["text"] for e in row["elements"] if e["type"] == "button"]
    assert kinds == ["Approve", "Reject", "Edit"]
    buttons = [e for e in row["elements"] if e["type"] == "button"]
    shown_args = {"amount": 10, "to": "user1@example.com"}
    assert {e["value"] for e in buttons} == {encode_ref(101, 1, shown_args)}
    assert row["elements"][-1]["options"][0]["value"] == "101"  # Cancel: the id alone
    shown = json.dumps(blocks)
    assert "user1@example.com" in shown and "`10`" in shown


def test_batch_has_a_section_and_buttons_per_action() -> None:
    _, blocks = build_request_message(request_view([action_view(i) for i in (1, 2, 3)]))
    check_valid(blocks)
    assert button_ids(blocks) == [101, 102, 103]
    heads = [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]
    assert [h.split("\n")[0] for h in heads[1:]] == ["*1. Tool 1*", "*2. Tool 2*", "*3. Tool 3*"]
    assert all("⏳ Waiting for anyone in the channel" in h for h in heads[1:])


def test_sixty_actions_fit_and_stay_decidable_in_turn() -> None:
    actions = [action_view(i) for i in range(1, 61)]
    _, blocks = build_request_message(request_view(actions))
    check_valid(blocks)
    shown = button_ids(blocks)
    assert shown == list(range(101, 101 + len(shown))) and len(shown) >= 20
    waiting = next(b for b in blocks if "more waiting" in json.dumps(b))
    assert f"*{60 - len(shown)} more waiting*" in waiting["elements"][0]["text"]
    assert "60. tool_60" in waiting["elements"][0]["text"]

    decided = [action_view(i, status="approved", votes=("UA",)) for i in range(1, len(shown) + 1)]
    _, blocks = build_request_message(request_view(decided + actions[len(shown):]))
    check_valid(blocks)
    assert button_ids(blocks)[0] == 101 + len(shown)
    assert "<@UA>" in json.dumps(blocks)

    done = [action_view(i, status="rejected", votes=("UB",), reason="no") for i in range(1, 61)]
    text, blocks = build_request_message(request_view(done))
    check_valid(blocks)
    assert text.startswith("❌ Rejected · Pay the bills") and not button_ids(blocks)
    assert "more decided" in json.dumps(blocks)


def test_many_arguments_long_and_unicode_values() -> None:
    args: dict[str, Any] = {
        "body": "Grüße 👋 " * 2000,
        "nested": {"名前": "東京 <b>&</b>", "items": list(range(3000))},
        "empty": "",
        "flag": True,
        "nothing": None,
        "tricky `name` <@U1>": "```not code```",
    }
    args |= {f"arg_{n}": n for n in range(25)}  # past the first eight: under Show all
    view = request_view([action_view(1, args=args)], title="é" * 400, description="d" * 9000)
    text, blocks = build_request_message(view)
    check_valid(blocks)
    assert len(blocks[0]["text"]["text"]) == 150
    shown = json.dumps(blocks, ensure_ascii=False)
    assert "Grüße 👋" in shown and "東京 &lt;b&gt;&amp;&lt;/b&gt;" in shown
    assert "&lt;@U1&gt;" in shown and "_(empty)_" in shown and "*Flag*\\nYes" in shown
    assert "*Nothing*\\n_none_" in shown
    assert "Show all 31 arguments" in shown and "*Arg 1*" in shown and "*Arg 2*" not in shown
    assert len(text) <= 3000


def test_compact_layout_with_long_unicode_values() -> None:
    args = {"body": "ü🙂\n" * 5000, "data": {"k": ["v" * 500] * 20}}
    _, blocks = build_request_message(request_view([action_view(i, args=args) for i in range(60)]))
    check_valid(blocks)


@pytest.mark.parametrize("title", ["", "   "])
def test_blank_title_still_has_a_header(title: str) -> None:
    _, blocks = build_request_message(request_view([action_view(1)], title=title))
    check_valid(blocks)
    assert blocks[0]["text"]["text"] == "Approval requested"


def test_decided_message_names_deciders_and_reason() -> None:
    view = request_view([action_view(1, status="rejected", votes=("UA",), reason="too <much>")])
    _, blocks = build_request_message(view)
    check_valid(blocks)
    shown = json.dumps(blocks)
    assert not button_ids(blocks)
    assert "Rejected" in shown and "<@UA>" in shown and "<!date^1767323040^" in shown
    assert "too &lt;much&gt;" in shown


def test_quorum_reply_asks_for_the_next_approval() -> None:
    view = request_view([action_view(1, votes=("UA",))], required=2)
    text, blocks = build_quorum_reply(view)
    check_valid(blocks)
    assert text.startswith("Further approval needed")
    shown = json.dumps(blocks)
    assert "1 more approval needed" in shown and "1 of 2 approvals" in shown
    assert button_ids(blocks) == [101]
    _, parent = build_request_message(view)
    assert "1 of 2 approvals" in json.dumps(parent)

    done = request_view([action_view(1, status="approved", votes=("UA", "UB"))], required=2)
    text, blocks = build_quorum_reply(done)
    check_valid(blocks)
    assert text.startswith("✅ Approved · Pay the bills") and not button_ids(blocks)
    assert "<@UA>" in json.dumps(blocks) and "<@UB>" in json.dumps(blocks)


def test_quorum_reply_for_a_large_batch_keeps_buttons() -> None:
    view = request_view([action_view(i, votes=("UA",)) for i in range(1, 61)], required=2)
    _, blocks = build_quorum_reply(view)
    check_valid(blocks)
    assert button_ids(blocks)[:3] == [101, 102, 103]
    assert "more waiting" in json.dumps(blocks)
