"""Reaching people: DMs, repeating reminders, escalation and on_timeout, on the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.engine.sweeper import sweep_once

from support.harness import Harness, click_payload, eventually

DM_POLICY = """
[graphs.counting]
notify = "dm"
approvers = ["UALICE", "S0FIN"]
"""


@pytest.fixture
def settings_overrides(tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("policy")
    path = tmp_path / "policy.toml"
    path.write_text(marker.args[0] if marker else DM_POLICY)
    return {"approvals_policy": str(path)}


class Clock:
    """The bot's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(harness: Harness) -> Clock:
    harness.fake.usergroups["S0FIN"] = ["UBOB", "UCAROL", "UREQ"]
    harness.deps.clock = clock = Clock()
    return clock


def dms(harness: Harness) -> list[dict[str, Any]]:
    return [p for p in harness.fake.of("chat.postMessage") if p["channel"].startswith("U")]


def thread_notes(harness: Harness, text: str) -> list[dict[str, Any]]:
    return [
        p for p in harness.fake.of("chat.postMessage")
        if p.get("thread_ts") and text in p["text"] and p["channel"] == "C0APPROVALS"
    ]


async def events(harness: Harness, thread_id: str) -> list[str]:
    rows = await harness.rows(
        "SELECT event FROM audit_log WHERE thread_id = %s ORDER BY id", thread_id
    )
    return [r["event"] for r in rows]


async def start(harness: Harness) -> tuple[str, int]:
    started = await harness.start("counting", {"amount": 5, "recipient": "acme"})
    return started.thread_id, (await harness.approval_ids(started.thread_id))[0]


async def test_each_eligible_approver_gets_a_dm_with_the_buttons_and_a_link(
    harness: Harness, clock: Clock
) -> None:
    thread_id, approval_id = await start(harness)
    sent = dms(harness)
    # Group members expanded; the requester (a member too) may not approve, so no DM.
    assert sorted(p["channel"] for p in sent) == ["UALICE", "UBOB", "UCAROL"]
    for dm in sent:
        shown = str(dm["blocks"])
        assert "open the request" in shown and "acme-corp.enterprise.slack.test" in shown
        buttons = [e for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"]]
        assert {"approve", "reject"} <= {e["action_id"] for e in buttons}
        want = await harness.value_of(approval_id)
        assert [e["value"] for e in buttons if e["action_id"] == "approve"] == [want]
    assert (await events(harness, thread_id)).count("notified") == 3
    await sweep_once(harness.deps, grace_s=0)
    assert len(dms(harness)) == 3  # a sweep sends nobody a second DM


async def test_a_decision_in_a_dm_updates_the_channel_message_and_every_dm(
    harness: Harness, clock: Clock
) -> None:
    thread_id, approval_id = await start(harness)
    dm_ts = {p["channel"]: ts for p, ts in zip(dms(harness), await _dm_ts(harness), strict=True)}
    payload = click_payload("approve", approval_id, user="UBOB", channel="DBOB",
                            message_ts=dm_ts["UBOB"], value=await harness.value_of(approval_id))
    status, _ = await harness.send(payload)
    assert status == 200
    await harness.wait_done(thread_id)

    async def rewritten() -> set[str]:
        return {u["ts"] for u in harness.fake.of("chat.update") if "Approved" in str(u["blocks"])}

    want = {"1700000000.000001", *dm_ts.values()}
    assert await eventually(lambda: _superset(rewritten, want))


async def _superset(get: Any, want: set[str]) -> bool:
    return set(await get()) >= want


async def _dm_ts(harness: Harness) -> list[str]:
    rows = await harness.rows("SELECT user_id, ts FROM request_dms ORDER BY user_id")
    by_user = {r["user_id"]: r["ts"] for r in rows}
    return [by_user[p["channel"]] for p in dms(harness)]


@pytest.mark.policy("""
[graphs.counting]
notify = "dm"
approvers = ["UALICE"]
timeout_s = 7200
reminder_s = 600
reminders = 3
""")
async def test_reminders_repeat_every_period_up_to_the_cap(harness: Harness, clock: Clock) -> None:
    thread_id, _ = await start(harness)
    counts = []
    for _ in range(6):
        clock.advance(601)
        await sweep_once(harness.deps, grace_s=0)
        await sweep_once(harness.deps, grace_s=0)  # a second pass in the same period: nothing
        counts.append(len(thread_notes(harness, "⏰")))
    assert counts == [1, 2, 3, 3, 3, 3]
    assert (await events(harness, thread_id)).count("reminded") == 3
    by_dm = [p for p in dms(harness) if "⏰" in p["text"]]
    assert len(by_dm) == 3 and {p["channel"] for p in by_dm} == {"UALICE"}
    assert await harness.run_status(thread_id) == "waiting"


@pytest.mark.policy("""
[graphs.counting]
approvers = ["UALICE"]
timeout_s = 3600
""")
async def test_by_default_one_reminder_at_three_quarters(harness: Harness, clock: Clock) -> None:
    thread_id, _ = await start(harness)
    clock.advance(2600)
    await sweep_once(harness.deps, grace_s=0)
    assert thread_notes(harness, "⏰") == []
    clock.advance(200)
    await sweep_once(harness.deps, grace_s=0)
    clock.advance(700)
    await sweep_once(harness.deps, grace_s=0)
    assert len(thread_notes(harness, "⏰")) == 1
    assert dms(harness) == []  # notify = "channel" by default


ESCALATE = """
[graphs.counting]
notify = "dm"
approvers = ["UALICE"]
required_approvals = 1
escalate_after_s = 900
escalate_to = ["UBOSS", "S0FIN"]
"""


@pytest.mark.policy(ESCALATE)
async def test_escalation_makes_new_people_eligible_mentions_and_audits(
    harness: Harness, clock: Clock
) -> None:
    thread_id, approval_id = await start(harness)
    await harness.click("approve", approval_id, user="UBOSS")
    told = await eventually(lambda: _ephemerals(harness))
    assert "not an approver" in told[-1]["text"]
    clock.advance(899)
    await sweep_once(harness.deps, grace_s=0)
    assert thread_notes(harness, "escalated") == []

    clock.advance(2)
    await sweep_once(harness.deps, grace_s=0)
    await sweep_once(harness.deps, grace_s=0)
    notes = thread_notes(harness, "escalated")
    assert len(notes) == 1
    assert "<@UBOSS>" in notes[0]["text"] and "<!subteam^S0FIN>" in notes[0]["text"]
    assert "escalated" in str(harness.fake.of("chat.update")[-1]["blocks"])
    assert sorted(p["channel"] for p in dms(harness) if p.get("blocks")) == [
        "UALICE", "UBOB", "UBOSS", "UCAROL"]
    assert (await events(harness, thread_id)).count("escalated") == 1
    rows = await harness.rows("SELECT policy FROM approvals")
    assert rows[0]["policy"]["required_approvals"] == 1  # never lowered

    await harness.click("approve", approval_id, user="UBOSS")
    await harness.wait_done(thread_id)
    state = await harness.graph_state("counting", thread_id)
    assert state.values["decision"]["decided_by"] == ["UBOSS"]


async def _ephemerals(harness: Harness) -> list[dict[str, Any]]:
    return harness.fake.of("chat.postEphemeral")


@pytest.mark.policy("""
[graphs.counting]
approvers = ["UALICE"]
timeout_s = 600
reminder_s = 3600
reminders = 2
on_timeout = "wait"
""")
async def test_on_timeout_wait_never_expires_says_overdue_and_keeps_reminding(
    harness: Harness, clock: Clock
) -> None:
    thread_id, approval_id = await start(harness)
    for _ in range(5):
        clock.advance(24 * 3600)
        await sweep_once(harness.deps, grace_s=0)
    assert await harness.run_status(thread_id) == "waiting"
    rows = await harness.rows("SELECT status FROM requests")
    assert rows[0]["status"] == "pending"
    trail = await events(harness, thread_id)
    assert "expired" not in trail and trail.count("overdue") == 1
    assert trail.count("reminded") == 2
    assert "overdue" in thread_notes(harness, "⏰")[-1]["text"]
    shown = str(harness.fake.of("chat.update")[-1]["blocks"])
    assert "overdue" in shown and "expires" not in shown
    await harness.click("approve", approval_id, user="UALICE")
    await harness.wait_done(thread_id)


@pytest.mark.policy("""
[graphs.counting]
timeout_s = 600
""")
async def test_on_timeout_reject_is_the_default(harness: Harness, clock: Clock) -> None:
    thread_id, _ = await start(harness)
    clock.advance(601)
    await sweep_once(harness.deps, grace_s=0)
    assert await harness.run_status(thread_id) == "done"
    state = await harness.graph_state("counting", thread_id)
    assert state.values["decision"]["action"] == "reject"


@pytest.mark.policy("""
[graphs.counting]
approvers = ["UALICE", "UBOB"]

[[graphs.counting.rules]]
when = 'payee.country != "US"'
required_approvals = 2
""")
async def test_a_condition_that_cannot_be_evaluated_fails_closed_and_is_audited(
    harness: Harness, clock: Clock
) -> None:
    thread_id, approval_id = await start(harness)  # its arguments have no payee
    rows = await harness.rows("SELECT policy FROM approvals")
    assert rows[0]["policy"]["required_approvals"] == 2
    audit = await harness.rows(
        "SELECT detail FROM audit_log WHERE event = 'requested' AND thread_id = %s", thread_id
    )
    (warning,) = audit[0]["detail"]["policy_warnings"]
    assert "cannot be evaluated" in warning and "payee.country" in warning
    await harness.click("approve", approval_id, user="UALICE")
    await eventually(lambda: _votes(harness, 1))
    assert await harness.run_status(thread_id) == "waiting"


async def _votes(harness: Harness, n: int) -> bool:
    rows = await harness.rows("SELECT count(*) AS n FROM votes")
    return int(rows[0]["n"]) >= n


@pytest.mark.policy(ESCALATE)
async def test_an_escalated_request_stays_escalated_through_an_edit(
    harness: Harness, clock: Clock
) -> None:
    thread_id, approval_id = await start(harness)
    clock.advance(901)
    await sweep_once(harness.deps, grace_s=0)
    view = await harness.open_form("edit", approval_id, user="UBOSS")
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] == "input":
            element = block["element"]
            value = "3" if "mount" in block["label"]["text"] else element.get("initial_value")
            values[block["block_id"]] = {element["action_id"]: {"type": element["type"],
                                                                 "value": value}}
    answer = await harness.submit(view, values, user="UBOSS")
    assert answer.get("response_action") != "errors", answer
    await harness.wait_done(thread_id)
    state = await harness.graph_state("counting", thread_id)
    assert state.values["decision"]["decided_by"] == ["UBOSS"]
    assert state.values["decision"]["args"]["amount"] == 3


async def test_dms_owed_when_slack_could_not_list_a_group_are_sent_by_the_sweeper(
    harness: Harness, clock: Clock
) -> None:
    harness.fake.errors["usergroups.users.list"] = "ratelimited"
    thread_id, _ = await start(harness)
    assert [p["channel"] for p in dms(harness)] == ["UALICE"]  # listed by id: known
    del harness.fake.errors["usergroups.users.list"]
    clock.advance(1)
    await sweep_once(harness.deps, grace_s=0)
    assert sorted(p["channel"] for p in dms(harness)) == ["UALICE", "UBOB", "UCAROL"]
    await sweep_once(harness.deps, grace_s=0)
    assert len(dms(harness)) == 3
    assert (await events(harness, thread_id)).count("notified") == 3


async def test_a_dm_cut_short_by_a_crash_is_sent_once_its_claim_is_stale(
    harness: Harness, clock: Clock
) -> None:
    await start(harness)
    # As if the process died after claiming Bob's DM and before Slack answered.
    await harness.rows("UPDATE request_dms SET ts = NULL, channel = NULL "
                       "WHERE user_id = 'UBOB' RETURNING 1")
    await harness.rows("UPDATE requests SET dms_sent_at = NULL RETURNING 1")
    clock.advance(1)
    await sweep_once(harness.deps, grace_s=0)
    assert [p["channel"] for p in dms(harness)].count("UBOB") == 1  # the claim is fresh
    await harness.rows("UPDATE request_dms SET claimed_at = now() - interval '6 minutes' "
                       "WHERE user_id = 'UBOB' RETURNING 1")
    await sweep_once(harness.deps, grace_s=0)
    assert [p["channel"] for p in dms(harness)].count("UBOB") == 2
    await sweep_once(harness.deps, grace_s=0)
    assert [p["channel"] for p in dms(harness)].count("UBOB") == 2  # the round is done now
    assert [p["channel"] for p in dms(harness)].count("UALICE") == 1
