"""A Slack outage during group expansion: approvers listed by id still decide."""

from __future__ import annotations

from pathlib import Path

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import Unavailable
from bot.slack.usergroups import UNRESOLVED, ApproverDirectory

from support.fake_slack import FakeSlack
from support.harness import Harness, eventually


async def _told(harness: Harness, user: str) -> list[str]:
    return [t["text"] for t in harness.fake.of("chat.postEphemeral") if t["user"] == user]


async def test_an_approver_listed_by_id_decides_while_group_listing_fails(
    harness: Harness, tmp_path: Path
) -> None:
    harness.fake.usergroups = {"S0FIN": ["UFIN"]}
    harness.fake.errors["usergroups.users.list"] = "internal_error"
    started = await harness.start("ledger", {"amount": 4, "ledger": str(tmp_path / "l.txt"),
                                             "approvers": ["UBOSS", "S0FIN"]})
    approval_id = (await harness.approval_ids(started.thread_id))[0]

    status, _ = await harness.click("approve", approval_id, user="UFIN")
    assert status == 200
    told = await eventually(lambda: _told(harness, "UFIN"))
    assert told == [UNRESOLVED]  # maybe in the group: neither let through nor turned away

    status, _ = await harness.click("approve", approval_id, user="UBOSS")
    assert status == 200
    await harness.wait_done(started.thread_id)
    state = await harness.graph_state("ledger", started.thread_id)
    assert state.values["status"] == "paid"
    assert state.values["decision"]["decided_by"] == ["UBOSS"]
    assert await _told(harness, "UBOSS") == []


async def test_a_cached_membership_serves_through_an_outage_for_a_bounded_time(
    fake_slack: FakeSlack,
) -> None:
    fake_slack.usergroups = {"S0FIN": ["UFIN"]}
    now = [0.0]
    directory = ApproverDirectory(
        AsyncWebClient(token="xoxb-test", base_url=fake_slack.url),
        ttl_s=60, stale_s=600, clock=lambda: now[0],
    )
    assert "UFIN" in (await directory.expand(["S0FIN"]) or set())
    fake_slack.errors["usergroups.users.list"] = "internal_error"
    now[0] = 500.0  # past the fresh ttl, within the stale bound: the cache serves
    eligible = await directory.expand(["S0FIN", "UBOSS"])
    assert eligible is not None and "UFIN" in eligible and "UBOSS" in eligible
    assert "UOTHER" not in eligible  # the membership is known: a plain no
    now[0] = 700.0  # past the bound: unknown, so only the listed id is known
    eligible = await directory.expand(["S0FIN", "UBOSS"])
    assert eligible is not None and "UBOSS" in eligible
    with pytest.raises(Unavailable, match="Slack could not tell"):
        _ = "UFIN" in eligible  # an unresolved group does not answer for its members
