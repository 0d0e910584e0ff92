"""The ``/approvals`` slash command through the signed endpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from test_cli import _cli as cli
from test_cli import _env as cli_env

from support.fake_slack import PERMALINK_HOST, FakeSlack
from support.harness import Harness, eventually
from support.seed import seed_pending
from support.signing import sign

POLICY = """
[graphs.payments]
approvers = ["UALICE", "UBOB"]
required_approvals = 2
"""


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY)
    return {"approvals_policy": str(path)}


async def command(harness: Harness, text: str, *, user: str) -> str:
    """Send ``/approvals TEXT`` as ``user``; the answer's ``text``."""
    body = urlencode(
        {
            "token": "legacy",
            "team_id": "T111",
            "team_domain": "example",
            "channel_id": "C0APPROVALS",
            "channel_name": "approvals",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/approvals",
            "text": text,
            "api_app_id": "A111",
            "response_url": "https://hooks.slack.com/commands/T111/1/x",
            "trigger_id": "111.222.abc",
        }
    )
    status, answer = await harness.post_slack(body, sign(body))
    assert status == 200, answer
    return str(json.loads(answer)["text"])


@pytest.mark.parametrize("text", ["", "help", "what"])
async def test_help(harness: Harness, text: str) -> None:
    answer = await command(harness, text, user="UALICE")
    assert "`/approvals pending`" in answer and "*Approve*" in answer


async def test_pending_lists_what_the_caller_may_decide(harness: Harness) -> None:
    started = await harness.start("payments", {"amount": 2500, "recipient": "a<b>c"})
    await harness.start("payments", {"amount": 3000, "recipient": "zed"}, requested_by="UALICE")
    ts = "1700000000.000001"

    alice = await command(harness, "pending", user="UALICE")
    assert alice.startswith("*1 request you may decide:*")
    assert f"{PERMALINK_HOST}/archives/C0APPROVALS/p{ts.replace('.', '')}|" in alice
    assert "a&lt;b&gt;c" in alice and "zed" not in alice  # her own request is not hers to approve
    bob = await command(harness, "pending", user="UBOB")
    assert bob.startswith("*2 requests you may decide:*")
    for outsider in ("UCAROL", "UREQ"):
        assert "Nothing is waiting for you" in await command(harness, "pending", user=outsider)

    (approval_id, *_) = await harness.approval_ids(started.thread_id)
    status, _ = await harness.click("approve", approval_id, user="UBOB")
    assert status == 200

    async def voted() -> bool:
        return bool(await harness.rows("SELECT 1 FROM votes"))

    await eventually(voted)
    bob = await command(harness, "pending", user="UBOB")  # he approved; only "zed" is left
    assert bob.startswith("*1 request") and "zed" in bob and "a&lt;b" not in bob
    assert (await command(harness, "pending", user="UALICE")).startswith("*1 request")


async def test_bad_signature_is_refused(harness: Harness) -> None:
    body = urlencode({"command": "/approvals", "text": "pending", "user_id": "UALICE"})
    headers = sign(body, secret="wrong")
    status, _ = await harness.post_slack(body, headers)
    assert status == 401


async def test_pending_links_come_from_slack_and_are_cached(harness: Harness) -> None:
    await harness.start("payments", {"amount": 2500, "recipient": "acme"})
    ts = "1700000000.000001"
    answer = await command(harness, "pending", user="UALICE")
    link = f"{PERMALINK_HOST}/archives/C0APPROVALS/p{ts.replace('.', '')}"
    assert f"<{link}|Pay $2,500.00 to acme>" in answer
    assert "127.0.0.1" not in answer  # never built from the API URL's host
    await command(harness, "pending", user="UBOB")
    assert harness.fake.of("chat.getPermalink") == [{"channel": "C0APPROVALS", "message_ts": ts}]


async def test_pending_without_a_link_from_slack_still_answers(harness: Harness) -> None:
    await harness.start("payments", {"amount": 2500, "recipient": "acme"})
    harness.fake.errors["chat.getPermalink"] = "channel_not_found"
    answer = await command(harness, "pending", user="UALICE")
    assert "• Pay $2,500.00 to acme (in <#C0APPROVALS>)" in answer
    del harness.fake.errors["chat.getPermalink"]  # a refusal is not cached
    assert f"<{PERMALINK_HOST}/archives/" in await command(harness, "pending", user="UALICE")


async def _edit_amount(harness: Harness, *, to: str) -> None:
    """Start a payment of $2,500.00 and have Alice edit its amount (Bob's approval is owed)."""
    started = await harness.start("payments", {"amount": 2500, "recipient": "acme"})
    approval_id = (await harness.approval_ids(started.thread_id))[0]
    view = await harness.open_form("edit", approval_id, user="UALICE")
    values = {}
    for block in (b for b in view["blocks"] if b["type"] == "input"):
        element = block["element"]
        value = to if block["label"]["text"] == "Amount (USD)" else element.get("initial_value")
        values[block["block_id"]] = {element["action_id"]: {"type": element["type"],
                                                            "value": value}}
    answer = await harness.submit(view, values, user="UALICE")
    assert answer.get("response_action") != "errors", answer


async def test_pending_shows_the_edited_arguments_not_the_proposed_ones(
    harness: Harness,
) -> None:
    await _edit_amount(harness, to="1200.5")
    bob = await command(harness, "pending", user="UBOB")  # the second approval is his
    assert "Pay — Amount (USD) 1,200.50" in bob  # what the edit changed
    assert "2,500" not in bob


async def test_cli_pending_shows_the_edited_arguments_too(
    harness: Harness, database_url: str, fake_slack: FakeSlack
) -> None:
    await _edit_amount(harness, to="1200.5")
    code, out, err = await cli("pending", env=cli_env(database_url, fake_slack))
    assert code == 0, err
    assert "Pay — Amount (USD) 1,200.50" in out  # what the edit changed
    assert "2,500" not in out


async def test_pending_looks_past_the_oldest_open_requests(harness: Harness) -> None:
    """600 older requests wait for someone else: what waits for Alice is still listed."""
    async with harness.deps.pool.connection() as conn:
        await seed_pending(conn, 600, prefix="other-", approvers=["UBOB"])
    await harness.start("payments", {"amount": 2500, "recipient": "acme"})
    alice = await command(harness, "pending", user="UALICE")
    assert alice.startswith("*1 request you may decide:*") and "acme" in alice
    assert "601 open requests in all" in alice


async def test_pending_is_paginated_and_complete(harness: Harness) -> None:
    async with harness.deps.pool.connection() as conn:
        await seed_pending(conn, 65, prefix="mine-", approvers=["UALICE"], title="Mine")
    first = await command(harness, "pending", user="UALICE")
    assert first.startswith("*Requests you may decide, 1–30:*")
    assert "Mine 1>" in first and "Mine 30>" in first and "Mine 31>" not in first
    assert "`/approvals pending 2`" in first and "65 open requests in all" in first
    third = await command(harness, "pending 3", user="UALICE")
    assert third.startswith("*Requests you may decide, 61–65:*")
    assert "Mine 61>" in third and "Mine 65>" in third and "pending 4" not in third
    shown = set()
    for page in (1, 2, 3):
        text = await command(harness, f"pending {page}", user="UALICE")
        shown |= {line for line in text.splitlines() if line.startswith("• ")}
    assert len(shown) == 65
    for bad in ("pending 0", "pending x", "pending -1", "pending 99999999999999"):
        answer = await command(harness, bad, user="UALICE")
        assert "page" in answer.lower()


async def test_pending_finds_requests_a_group_of_the_caller_decides(harness: Harness) -> None:
    harness.fake.usergroups["S0FIN"] = ["UCAROL"]
    async with harness.deps.pool.connection() as conn:
        await seed_pending(conn, 600, prefix="other-", approvers=["UBOB"])
        await seed_pending(conn, 3, prefix="fin-", approvers=["S0FIN"], title="Finance")
        await seed_pending(conn, 2, prefix="any-", approvers=[], title="Anyone")
    carol = await command(harness, "pending", user="UCAROL")
    assert carol.startswith("*5 requests you may decide:*")
    assert "Finance 3>" in carol and "Anyone 2>" in carol and "Seeded" not in carol
    dave = await command(harness, "pending", user="UDAVE")  # in no group: only "anyone"
    assert dave.startswith("*2 requests you may decide:*") and "Finance" not in dave
