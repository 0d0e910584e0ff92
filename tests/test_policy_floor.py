"""The policy floor, attack by attack, through signed clicks on the real endpoint.

Each test once got an action executed by someone the policy file does not allow to
approve it. Each asserts that nothing executed, then (where it applies) that the right
person still can.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_guarantee import edit, ephemerals_to
from test_reach import Clock

from bot.engine.sweeper import sweep_once

from support.harness import Harness, click_payload, eventually


@pytest.fixture
def settings_overrides(tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("policy")
    path = tmp_path / "policy.toml"
    path.write_text(marker.args[0])
    return {"approvals_policy": str(path)}


@pytest.fixture
def clock(harness: Harness) -> Clock:
    harness.deps.clock = clock = Clock()
    return clock


async def side_effects(harness: Harness) -> list[dict[str, Any]]:
    return await harness.rows("SELECT action, args FROM side_effects")


async def told(harness: Harness, user: str) -> str:
    return str((await eventually(lambda: ephemerals_to(harness, user)))[-1])


BATCH = """
[graphs.agent.actions.pay]
approvers = ["UCFO"]

[graphs.agent.actions.send_email]
approvers = ["UFIN"]
"""


@pytest.mark.policy(BATCH)
async def test_a_batch_call_counts_only_under_its_own_policy(harness: Harness) -> None:
    started = await harness.start("agent", {"task": "pay acme $50 and email bob@example.com"})
    pay, email = await harness.approval_ids(started.thread_id)
    post = harness.fake.of("chat.postMessage")[0]
    shown = str(post["blocks"])
    assert "Decided by <@UCFO>" in shown and "Decided by <@UFIN>" in shown

    await harness.click("approve", pay, user="UFIN")
    assert "not an approver" in await told(harness, "UFIN")
    button = next(b for b in post["blocks"] if b.get("block_id", "").startswith("approve_all:"))
    value = button["elements"][0]["value"]
    status, _ = await harness.send(click_payload("approve_all", 0, user="UFIN", value=value))
    assert status == 200

    async def summary() -> str | None:
        texts = await ephemerals_to(harness, "UFIN")
        return next((t for t in texts if "Approved 1 of 2" in t), None)

    said = await eventually(summary)
    assert "Call 1" in said and "<@UCFO>" in said  # which call it left, and for whom
    rows = await harness.rows("SELECT status FROM approvals ORDER BY idx")
    assert [r["status"] for r in rows] == ["pending", "approved"]
    assert await harness.run_status(started.thread_id) == "waiting"
    state = await harness.graph_state("agent", started.thread_id)
    assert "Paid" not in str(state.values["messages"])  # the payment did not run

    await harness.click("approve", pay, user="UCFO")
    await harness.wait_done(started.thread_id)
    state = await harness.graph_state("agent", started.thread_id)
    assert "Paid $50.00 to acme" in str(state.values["messages"])


ESCALATING = """
[graphs.counting]
approvers = ["UTEAM"]
escalate_after_s = 60
escalate_to = ["UJUNIOR"]

[[graphs.counting.rules]]
when = "amount > 10000"
approvers = ["UCFO"]
escalate_to = []
"""


async def escalate(harness: Harness, clock: Clock) -> None:
    clock.advance(120)
    await sweep_once(harness.deps, grace_s=0)
    rows = await harness.rows("SELECT escalated_at FROM requests")
    assert rows[0]["escalated_at"] is not None


@pytest.mark.policy(ESCALATING)
async def test_an_escalatee_cannot_edit_a_small_payment_into_a_large_one(
    harness: Harness, clock: Clock
) -> None:
    started = await harness.start("counting", {"amount": 100, "recipient": "acme"})
    (approval_id,) = await harness.approval_ids(started.thread_id)
    await escalate(harness, clock)
    answer = await edit(harness, approval_id, user="UJUNIOR", amount="50000")
    assert answer["response_action"] == "errors"
    # The new amount needs UCFO, the posted request UTEAM (or, escalated, UJUNIOR): no
    # one is both, and the bot says so rather than naming anyone.
    assert "nobody" in str(answer["errors"]) and "UJUNIOR" not in str(answer["errors"])
    rows = await harness.rows("SELECT status, args FROM approvals")
    assert rows[0]["status"] == "pending" and rows[0]["args"]["amount"] == 100
    assert await side_effects(harness) == []
    # The small payment itself is still his to approve: the file escalated it to him.
    await harness.click("approve", approval_id, user="UJUNIOR")
    await harness.wait_done(started.thread_id)
    assert await side_effects(harness) == [{"action": "pay", "args": {"amount": 100,
                                                                      "recipient": "acme"}}]


@pytest.mark.policy(ESCALATING)
async def test_an_amount_that_cannot_be_compared_does_not_escalate_to_a_laxer_list(
    harness: Harness, clock: Clock
) -> None:
    started = await harness.start("counting", {"amount": "50000", "recipient": "acme"})
    (approval_id,) = await harness.approval_ids(started.thread_id)
    await escalate(harness, clock)
    await harness.click("approve", approval_id, user="UJUNIOR")
    assert "not an approver" in await told(harness, "UJUNIOR")
    await harness.click("approve", approval_id, user="UTEAM")  # the rule may apply: UCFO only
    assert "not an approver" in await told(harness, "UTEAM")
    assert await side_effects(harness) == []
    audit = await harness.rows("SELECT detail FROM audit_log WHERE event = 'requested'")
    assert "cannot be evaluated" in str(audit[0]["detail"]["policy_warnings"])


CHANNELS = """
[graphs.counting]
channel = "C0TREASURY"

[[graphs.counting.rules]]
when = "amount < 100"
channel = "C0GENERAL"
"""


@pytest.mark.policy(CHANNELS)
async def test_an_amount_that_cannot_be_compared_stays_in_the_files_own_channel(
    harness: Harness,
) -> None:
    await harness.start("counting", {"amount": "5000000", "recipient": "acme"})
    small = await harness.start("counting", {"amount": 5, "recipient": "acme"})
    channels = [p["channel"] for p in harness.fake.of("chat.postMessage")
                if not p.get("thread_ts") and p["channel"].startswith("C")]
    assert channels == ["C0TREASURY", "C0GENERAL"]  # the rule still applies when it is known
    assert small.request_ids


REJECT_ONLY = """
[graphs.ledger]
allowed_decisions = ["reject"]
"""


def ledger_lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@pytest.mark.policy(REJECT_ONLY)
async def test_a_block_cannot_make_a_reject_only_action_approvable(
    harness: Harness, tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger.txt"
    started = await harness.start(
        "ledger", {"amount": 50, "ledger": str(ledger), "allowed": ["approve"]}
    )
    (approval_id,) = await harness.approval_ids(started.thread_id)
    buttons = [e["action_id"] for b in harness.fake.of("chat.postMessage")[0]["blocks"]
               if b["type"] == "actions" for e in b["elements"] if e["type"] == "button"]
    assert "approve" not in buttons and "edit" not in buttons
    await harness.click("approve", approval_id, user="UALICE")
    assert "not allowed" in await told(harness, "UALICE")
    assert await harness.rows("SELECT 1 FROM votes") == []
    audit = await harness.rows("SELECT detail FROM audit_log WHERE event = 'requested'")
    (override,) = audit[0]["detail"]["policy_overrides"]
    assert override == {"source": "approval", "field": "allowed_decisions",
                        "asked": ["approve"], "applies": ["reject"]}
    assert ledger_lines(ledger) == []


NO_ESCALATION = """
[graphs.ledger]
approvers = ["UALICE"]
escalate_to = ["UBOSS"]
"""


@pytest.mark.policy(NO_ESCALATION)
async def test_a_block_cannot_switch_escalation_on(
    harness: Harness, clock: Clock, tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger.txt"
    started = await harness.start(
        "ledger", {"amount": 50, "ledger": str(ledger), "escalate_after_s": 1}
    )
    (approval_id,) = await harness.approval_ids(started.thread_id)
    clock.advance(3600)
    await sweep_once(harness.deps, grace_s=0)
    assert (await harness.rows("SELECT escalated_at FROM requests"))[0]["escalated_at"] is None
    await harness.click("approve", approval_id, user="UBOSS")
    assert "not an approver" in await told(harness, "UBOSS")
    assert ledger_lines(ledger) == []
    audit = await harness.rows("SELECT detail FROM audit_log WHERE event = 'requested'")
    fields = [o["field"] for o in audit[0]["detail"]["policy_overrides"]]
    assert fields == ["escalate_after_s"]


SELF = """
[graphs.counting]
approvers = ["UREQ", "UALICE", "UBOB"]
"""


@pytest.mark.policy(SELF)
async def test_a_self_approval_refusal_does_not_list_the_requester(harness: Harness) -> None:
    started = await harness.start("counting", {"amount": 5, "recipient": "acme"})
    (approval_id,) = await harness.approval_ids(started.thread_id)
    await harness.click("approve", approval_id, user="UREQ")
    text = await told(harness, "UREQ")
    assert "someone else must approve" in text
    assert "<@UALICE>" in text and "<@UBOB>" in text and "<@UREQ>" not in text
    assert await side_effects(harness) == []


STALLED = """
[graphs.counting]
approvers = ["UALICE", "UBOB"]
required_approvals = 2
on_timeout = "wait"
"""


@pytest.mark.policy(STALLED)
async def test_a_request_whose_channel_stopped_working_is_marked_and_people_are_told(
    harness: Harness,
) -> None:
    started = await harness.start("counting", {"amount": 5, "recipient": "acme"})
    (approval_id,) = await harness.approval_ids(started.thread_id)
    harness.fake.errors["chat.update"] = "channel_not_found"  # deleted after posting
    await harness.click("approve", approval_id, user="UALICE")

    async def marked() -> list[dict[str, Any]]:
        return await harness.rows(
            "SELECT status, last_error FROM requests WHERE channel_failed_at IS NOT NULL"
        )

    (row,) = await eventually(marked)
    assert row["status"] == "pending" and "channel_not_found" in row["last_error"]

    async def told_by_dm() -> bool:
        told = {p["channel"] for p in harness.fake.of("chat.postMessage")
                if p["channel"].startswith("U") and "channel_not_found" in p["text"]}
        return told == {"UALICE", "UBOB", "UREQ"}

    await eventually(told_by_dm, timeout=60)

    async def with_buttons() -> list[dict[str, Any]]:
        return [p for p in harness.fake.of("chat.postMessage")
                if p["channel"] == "UBOB" and p.get("blocks")]

    await eventually(with_buttons, timeout=60)  # the approvers get the request's buttons
    events = await harness.rows("SELECT event FROM audit_log WHERE event = 'channel_failed'")
    assert len(events) == 1
    await harness.click("approve", approval_id, user="UBOB")  # decided from the DM
    await harness.wait_done(started.thread_id)
    assert len(await side_effects(harness)) == 1
