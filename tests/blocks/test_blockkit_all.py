"""Every message and view the bot builds passes slack_sdk's Block Kit validation and the
block caps, with hostile text in every field; the fake Slack refuses what Slack refuses."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError

from bot.blocks.dm import build_dm_message
from bot.blocks.edit_modal import build_edit_modal
from bot.blocks.inbox import build_home_view, build_pending_text
from bot.blocks.notice_modal import build_notice_modal
from bot.blocks.quorum import build_quorum_reply
from bot.blocks.reason_modal import build_reason_modal
from bot.blocks.request import build_request_message
from bot.blocks.view import ActionView, InboxPage, RequestView, Vote, Waiting
from bot.slack.client import make_client
from graphs.models import Action

from support.blockkit import check_message, check_view
from support.fake_slack import FakeSlack

AT = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
EVIL = "<!channel> <https://x|y> & <@U1>"
MRKDWN = "*Pay* <https://example.com/invoice|the invoice>"  # descriptions are mrkdwn by contract
SCHEMA = {
    "type": "object",
    "properties": {
        "amount": {"type": "number", "title": f"Amount {EVIL}"},
        "to": {"type": "string", "title": "Recipient"},
        EVIL: {"type": "string"},
    },
}


def _action(i: int, *, edited: bool = False, status: str = "pending",
            votes: tuple[str, ...] = ()) -> ActionView:
    args: dict[str, Any] = {"amount": 2500.0 + i, "to": EVIL, EVIL: EVIL}
    now = {**args, "amount": 1200.5} if edited else args
    return ActionView(
        approval_id=100 + i,
        action=Action(name=f"pay_{i} {EVIL}", args=args, description=MRKDWN,
                      args_schema=SCHEMA),
        args=now, status=status, votes=[Vote(u, AT) for u in votes], reason=EVIL,
    )


def _request(actions: list[ActionView], *, required: int = 1) -> RequestView:
    return RequestView(request_id=1, title=f"Pay {EVIL}", description=MRKDWN, requested_by="UR",
                       graph="payments", actions=actions, required_approvals=required,
                       expires_at=AT, note=EVIL)


CASES = {
    "one": [_action(1)],
    "edited": [_action(1, edited=True)],
    "voting": [_action(1, votes=("UA",))],
    "rejected": [_action(1, status="rejected", votes=("UB",))],
    "cancelled": [_action(1, status="cancelled", votes=("UR",))],
    "batch": [_action(i, edited=i % 2 == 0) for i in range(5)],
    "compact": [_action(i, votes=("UA",) if i % 3 else ()) for i in range(70)],
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("required", [1, 2])
def test_request_and_quorum_messages_validate(case: str, required: int) -> None:
    view = _request(CASES[case], required=required)
    for text, blocks in (build_request_message(view), build_quorum_reply(view)):
        check_message(text, blocks)
        shown = json.dumps(list(_mrkdwn(blocks))) + text  # plain_text (the header) is inert
        assert "<!channel>" not in shown and "<https://x|y>" not in shown
        assert "<@U1>" not in shown  # a mention typed into an argument stays text


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize(
    "link", [None, "https://acme.slack.com/archives/C1/p1", "https://x.slack.com/a|<!channel>"]
)
def test_the_dm_of_a_request_validates_and_escapes(case: str, link: str | None) -> None:
    view = replace(_request(CASES[case]), escalated=True, escalated_to=("U0BOSS", "S0LEADS"),
                   waits=True, overdue=True)
    text, blocks = build_dm_message(view, channel="C0PAY", link=link)
    check_message(text, blocks)
    shown = json.dumps(list(_mrkdwn(blocks))) + text
    assert "<!channel>" not in shown and "<https://x|y>" not in shown and "|<" not in shown
    if case == "one":
        assert "overdue" in shown and "escalated to <@U0BOSS>" in shown and "<#C0PAY>" in shown


def _mrkdwn(value: Any) -> Any:
    """Every mrkdwn text object in ``value``."""
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn":
            yield value["text"]
        for v in value.values():
            yield from _mrkdwn(v)
    elif isinstance(value, list):
        for v in value:
            yield from _mrkdwn(v)


def test_modals_and_home_validate() -> None:
    action = _action(1).action
    check_view(build_edit_modal(approval_id=1, action=action))
    for kind in ("reject", "respond"):
        check_view(build_reason_modal(approval_id=1, kind=kind, action=action))  # type: ignore[arg-type]
    check_view(build_notice_modal(title=EVIL * 3, text=EVIL * 500))
    items = [Waiting(i, EVIL, "C1", f"1700000000.{i:06d}", AT,
                     link=None if i % 2 else "https://acme.slack.com/archives/C1/p1")
             for i in range(30)]
    page = InboxPage(items, page=1, first=1, more=True, total_open=40)
    home = build_home_view(page)
    check_view(home)
    assert "<!channel>" not in json.dumps(home)
    text = build_pending_text(page)
    assert "<!channel>" not in text and "<https://x|y>" not in text


def test_a_link_slack_did_not_shape_is_not_linked() -> None:
    forged = Waiting(1, "Pay", "C1", "1.2", None, link="https://x.slack.com/a|<!channel>")
    text = build_pending_text(InboxPage([forged], page=1, first=1, more=False, total_open=1))
    assert "<!channel>" not in text and "|<" not in text and "(in <#C1>)" in text


async def test_the_fake_refuses_what_slack_refuses(fake_slack: FakeSlack) -> None:
    client = make_client("xoxb-test", base_url=fake_slack.url)
    too_many = [{"type": "divider"}] * 51
    with pytest.raises(SlackApiError) as refused:
        await client.chat_postMessage(channel="C1", text="t", blocks=too_many)
    assert refused.value.response["error"] == "invalid_blocks"
    bad_view = {"type": "modal", "title": {"type": "plain_text", "text": "x" * 25}, "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]}
    with pytest.raises(SlackApiError):
        await client.views_open(trigger_id="t", view=bad_view)
    assert len(fake_slack.invalid) == 2 and not fake_slack.calls
    fake_slack.invalid.clear()  # seen; the fixture fails any test that leaves one
