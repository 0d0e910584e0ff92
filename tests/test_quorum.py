"""Two-person (and N-person) sign-off end to end, under a policy file."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from support.harness import Harness, eventually, reason_values

POLICY = """
[graphs.counting]
required_approvals = 2

[[graphs.payments.actions.pay.rules]]
when = "amount > 10000"
required_approvals = 2

[[graphs.payments.actions.pay.rules]]
when = "amount >= 300000"
required_approvals = 3

[[graphs.payments.actions.pay.rules]]
when = 'recipient == "selfie"'
allow_self_approval = true

[[graphs.payments.actions.pay.rules]]
when = 'recipient == "groupco"'
approvers = ["S0FIN"]
"""


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY)
    return {"approvals_policy": str(path)}


def has_buttons(message: dict[str, Any]) -> bool:
    return any(b["type"] == "actions" for b in message.get("blocks") or [])


def approval_id_in(message: dict[str, Any]) -> int:
    row = next(b for b in message["blocks"] if b["type"] == "actions")
    return int(row["elements"][0]["value"].split(":")[0])


def updates_of(harness: Harness, ts: str) -> list[dict[str, Any]]:
    return [u for u in harness.fake.of("chat.update") if u["ts"] == ts]


async def start_payment(harness: Harness, amount: float, recipient: str = "acme") -> Any:
    started = await harness.start("payments", {"amount": amount, "recipient": recipient})
    assert started.status == "waiting"
    return started


async def click_ok(harness: Harness, approval_id: int, user: str, kind: str = "approve") -> None:
    status, _ = await harness.click(kind, approval_id, user=user)
    assert status == 200


async def told(harness: Harness, user: str, count: int = 1) -> list[str]:
    """Wait for ``count`` ephemeral messages to ``user``; return their texts."""

    async def texts() -> list[str]:
        found = [e["text"] for e in harness.fake.of("chat.postEphemeral") if e["user"] == user]
        return found if len(found) >= count else []

    return list(await eventually(texts))


async def thread_reply(harness: Harness, parent_ts: str) -> dict[str, Any]:
    async def reply() -> list[dict[str, Any]]:
        posts = harness.fake.of("chat.postMessage")
        return [p for p in posts if p.get("thread_ts") == parent_ts and has_buttons(p)]

    (found,) = await eventually(reply)
    return found


async def refusals(harness: Harness, thread_id: str) -> list[str]:
    rows = await harness.rows(
        "SELECT actor FROM audit_log WHERE thread_id = %s AND event = 'refused' ORDER BY id",
        thread_id,
    )
    return [r["actor"] for r in rows]


async def test_two_person_sign_off(harness: Harness) -> None:
    started = await start_payment(harness, 20000)
    (parent,) = harness.fake.of("chat.postMessage")
    parent_ts, approval_id = "1700000000.000001", approval_id_in(parent)
    assert "needs 2 different approvers" in json.dumps(parent["blocks"])

    await click_ok(harness, approval_id, "UALICE")
    reply = await thread_reply(harness, parent_ts)
    assert approval_id_in(reply) == approval_id
    assert "1 more approval needed" in json.dumps(reply["blocks"])
    progress = await eventually(lambda: _async(updates_of(harness, parent_ts)))
    assert "1 of 2 approvals" in json.dumps(progress[-1]["blocks"])
    assert has_buttons(progress[-1])

    await click_ok(harness, approval_id, "UALICE")
    assert "already approved" in (await told(harness, "UALICE"))[0]
    await click_ok(harness, approval_id, "UREQ")
    assert "someone else" in (await told(harness, "UREQ"))[0]
    assert await refusals(harness, started.thread_id) == ["UALICE", "UREQ"]
    assert await harness.run_status(started.thread_id) == "waiting"

    await click_ok(harness, approval_id, "UBOB")
    await harness.wait_done(started.thread_id)
    state = await harness.graph_state("payments", started.thread_id)
    assert state.values["status"] == "paid"
    assert state.values["decided_by"] == ["UALICE", "UBOB"]
    resumed = await harness.rows(
        "SELECT count(*) AS n FROM audit_log WHERE thread_id = %s AND event = 'resumed'",
        started.thread_id,
    )
    assert resumed[0]["n"] == 1
    (row,) = await harness.rows("SELECT quorum_ts FROM requests")
    for ts in (parent_ts, row["quorum_ts"]):
        last = updates_of(harness, ts)[-1]
        shown = json.dumps(last["blocks"])
        assert "<@UALICE>" in shown and "<@UBOB>" in shown and not has_buttons(last)


async def _async(value: Any) -> Any:
    return value


async def test_self_approval_when_allowed(harness: Harness) -> None:
    started = await start_payment(harness, 20000, recipient="selfie")
    approval_id = approval_id_in(harness.fake.of("chat.postMessage")[0])
    await click_ok(harness, approval_id, "UREQ")
    await click_ok(harness, approval_id, "UALICE")
    await harness.wait_done(started.thread_id)
    state = await harness.graph_state("payments", started.thread_id)
    assert state.values["decided_by"] == ["UREQ", "UALICE"]


async def test_user_group_approvers(harness: Harness) -> None:
    harness.fake.usergroups = {"S0FIN": ["U1", "U2"]}
    started = await start_payment(harness, 5000, recipient="groupco")
    approval_id = approval_id_in(harness.fake.of("chat.postMessage")[0])
    await click_ok(harness, approval_id, "UX")
    (text,) = await told(harness, "UX")
    assert "not an approver" in text and "<!subteam^S0FIN>" in text
    assert await refusals(harness, started.thread_id) == ["UX"]
    await click_ok(harness, approval_id, "U2")
    await harness.wait_done(started.thread_id)
    state = await harness.graph_state("payments", started.thread_id)
    assert state.values["decided_by"] == ["U2"]
    assert harness.fake.of("usergroups.users.list")[0]["usergroup"] == "S0FIN"


async def test_three_approvals(harness: Harness) -> None:
    started = await start_payment(harness, 300000)
    approval_id = approval_id_in(harness.fake.of("chat.postMessage")[0])
    for i, user in enumerate(("UA", "UB")):
        await click_ok(harness, approval_id, user)

        async def counted(n: int = i + 1) -> bool:
            rows = await harness.rows("SELECT count(*) AS n FROM votes")
            return int(rows[0]["n"]) == n

        await eventually(counted)
    assert await harness.run_status(started.thread_id) == "waiting"
    await click_ok(harness, approval_id, "UC")
    await harness.wait_done(started.thread_id)
    state = await harness.graph_state("payments", started.thread_id)
    assert state.values["decided_by"] == ["UA", "UB", "UC"]


@pytest.mark.parametrize(("amount", "required"), [(5000, 1), (10001, 2)])
async def test_policy_threshold(harness: Harness, amount: float, required: int) -> None:
    started = await start_payment(harness, amount)
    approval_id = approval_id_in(harness.fake.of("chat.postMessage")[0])
    await click_ok(harness, approval_id, "UALICE")
    if required == 2:
        await thread_reply(harness, "1700000000.000001")
        assert await harness.run_status(started.thread_id) == "waiting"
        await click_ok(harness, approval_id, "UBOB")
    await harness.wait_done(started.thread_id)
    state = await harness.graph_state("payments", started.thread_id)
    assert state.values["decided_by"] == ["UALICE", "UBOB"][:required]


def edit_values(view: dict[str, Any], changes: dict[str, str]) -> dict[str, Any]:
    """The modal's state: each field's initial value unless ``changes`` names its block."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        value = changes.get(block["block_id"], element.get("initial_value"))
        values[block["block_id"]] = {
            element["action_id"]: {"type": element["type"], "value": value}
        }
    return values


async def edit(harness: Harness, approval_id: int, user: str, amount: str) -> None:
    """Click Edit, then submit the modal with a new amount (the first field)."""
    view = await harness.open_form("edit", approval_id, user=user)
    assert await harness.submit(view, edit_values(view, {"arg:0": amount}), user=user) == {}


async def test_first_approver_edits_second_approves(harness: Harness) -> None:
    started = await start_payment(harness, 20000)
    approval_id = approval_id_in(harness.fake.of("chat.postMessage")[0])
    await edit(harness, approval_id, "UALICE", "15000")
    reply = await thread_reply(harness, "1700000000.000001")
    assert "15,000" in json.dumps(reply["blocks"])
    await click_ok(harness, approval_id, "UALICE")
    assert "already approved" in (await told(harness, "UALICE"))[0]
    await click_ok(harness, approval_id, "UBOB")
    await harness.wait_done(started.thread_id)
    state = await harness.graph_state("payments", started.thread_id)
    assert state.values["paid_amount"] == 15000
    assert state.values["decided_by"] == ["UALICE", "UBOB"]


async def test_second_approvers_edit_restarts_the_count(harness: Harness) -> None:
    started = await start_payment(harness, 20000)
    approval_id = approval_id_in(harness.fake.of("chat.postMessage")[0])
    await click_ok(harness, approval_id, "UALICE")
    await thread_reply(harness, "1700000000.000001")
    await edit(harness, approval_id, "UBOB", "12000")
    assert await harness.run_status(started.thread_id) == "waiting"
    await click_ok(harness, approval_id, "UCAROL")
    await harness.wait_done(started.thread_id)
    state = await harness.graph_state("payments", started.thread_id)
    assert state.values["paid_amount"] == 12000
    assert state.values["decided_by"] == ["UBOB", "UCAROL"]


async def side_effects(harness: Harness) -> int:
    rows = await harness.rows("SELECT count(*) AS n FROM side_effects")
    return int(rows[0]["n"])


@pytest.mark.parametrize("users", [("UA", "UB"), ("UA", "UB", "UC")])
async def test_simultaneous_approvals_resume_once(
    harness: Harness, users: tuple[str, ...]
) -> None:
    started = await harness.start("counting", {"amount": 7, "recipient": "acme"})
    approval_id = approval_id_in(harness.fake.of("chat.postMessage")[0])
    await asyncio.gather(*(click_ok(harness, approval_id, u) for u in users))
    await harness.wait_done(started.thread_id)
    await asyncio.sleep(0.3)  # any second resume would land now
    assert await side_effects(harness) == 1
    state = await harness.graph_state("counting", started.thread_id)
    decided_by = state.values["decision"]["decided_by"]
    assert len(decided_by) == 2 and set(decided_by) <= set(users)
    late = [u for u in users if u not in decided_by]
    for user in late:
        assert "already" in (await told(harness, user))[0]
    votes = await harness.rows("SELECT user_id FROM votes ORDER BY id")
    assert [v["user_id"] for v in votes] == decided_by


@pytest.mark.parametrize(("kind", "user"), [("reject", "UALICE"), ("cancel", "UREQ")])
async def test_closing_before_any_approval_posts_no_further_approval_reply(
    harness: Harness, kind: str, user: str
) -> None:
    started = await start_payment(harness, 20000)
    approval_id = approval_id_in(harness.fake.of("chat.postMessage")[0])
    if kind == "reject":
        view = await harness.open_form("reject", approval_id, user=user)
        await harness.submit(view, reason_values(view, "no"), user=user)
    else:
        await click_ok(harness, approval_id, user, kind="cancel")
    await harness.wait_done(started.thread_id)
    closed = await eventually(lambda: _async(updates_of(harness, "1700000000.000001")))
    assert not has_buttons(closed[-1])
    sent = harness.fake.of("chat.postMessage") + harness.fake.of("chat.update")
    texts = [m["text"] for m in sent]
    assert not any("Further approval" in t for t in texts), texts
    assert not [p for p in harness.fake.of("chat.postMessage") if has_buttons(p)][1:]


async def test_a_rejection_after_one_approval_is_not_called_complete(harness: Harness) -> None:
    started = await start_payment(harness, 20000)
    parent_ts = "1700000000.000001"
    approval_id = approval_id_in(harness.fake.of("chat.postMessage")[0])
    await click_ok(harness, approval_id, "UALICE")
    reply = await thread_reply(harness, parent_ts)
    assert reply["text"].startswith("Further approval needed: Pay $20,000.00 to acme")
    view = await harness.open_form("reject", approval_id, user="UBOB")
    await harness.submit(view, reason_values(view, "no"), user="UBOB")
    await harness.wait_done(started.thread_id)
    (row,) = await harness.rows("SELECT quorum_ts FROM requests")
    last = (await eventually(lambda: _async(updates_of(harness, row["quorum_ts"]))))[-1]
    assert last["text"] == "❌ Rejected · Pay $20,000.00 to acme"
    assert "Rejected" in json.dumps(last["blocks"]) and not has_buttons(last)
