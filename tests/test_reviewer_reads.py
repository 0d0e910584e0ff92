"""What a reviewer reads, through signed clicks and the fake Slack: who must act, the
refusal list, the outcome as the headline, and what ran with which arguments."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from support.harness import Harness, eventually, reason_values

POLICY = """
[graphs.payments]
approvers = ["UBOB", "UCAROL", "UDAVE"]
required_approvals = 2
"""
PARENT = "1700000000.000001"


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY)
    return {"approvals_policy": str(path)}


def shown(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks") or [], ensure_ascii=False)


async def latest(harness: Harness, ts: str, needle: str) -> dict[str, Any]:
    async def found() -> list[dict[str, Any]]:
        ups = [u for u in harness.fake.of("chat.update") if u["ts"] == ts]
        return ups if ups and needle in shown(ups[-1]) + ups[-1]["text"] else []

    return (await eventually(found))[-1]


async def replies(harness: Harness, needle: str) -> list[dict[str, Any]]:
    async def found() -> list[dict[str, Any]]:
        return [p for p in harness.fake.of("chat.postMessage")
                if p.get("thread_ts") == PARENT and needle in p["text"] + shown(p)]

    return list(await eventually(found))


async def test_who_must_act_is_named_and_the_clicker_is_not(harness: Harness) -> None:
    started = await harness.start("payments", {"amount": 2500, "recipient": "acme"},
                                  requested_by="UALICE")
    (posted,) = harness.fake.of("chat.postMessage")
    assert posted["text"] == "Approval needed: Pay $2,500.00 to acme"
    assert "⏳ Waiting for <@UBOB>, <@UCAROL> or <@UDAVE>" in shown(posted)
    (approval_id,) = await harness.approval_ids(started.thread_id)

    assert (await harness.click("approve", approval_id, user="UBOB"))[0] == 200
    (ask,) = await replies(harness, "more approval needed")
    assert ask["text"].startswith("Further approval needed")
    assert "— from <@UCAROL> or <@UDAVE>" in shown(ask)
    parent = await latest(harness, PARENT, "waiting for one more")
    assert "*1 of 2 approvals* · waiting for one more of <@UCAROL> or <@UDAVE>" in shown(parent)

    assert (await harness.click("approve", approval_id, user="UBOB"))[0] == 200

    async def refused() -> list[str]:
        return [e["text"] for e in harness.fake.of("chat.postEphemeral") if e["user"] == "UBOB"]

    (refusal,) = await eventually(refused)
    assert "from someone else (<@UCAROL> or <@UDAVE>)" in refusal
    for user in ("UALICE", "UEVE"):  # the requester, and someone the policy does not name
        assert (await harness.click("approve", approval_id, user=user))[0] == 200

    async def others() -> list[str]:
        return [e["text"] for e in harness.fake.of("chat.postEphemeral")
                if e["user"] in ("UALICE", "UEVE")]

    told = await eventually(lambda: _at_least(others, 2))
    assert "someone else must approve it: <@UCAROL> or <@UDAVE>." in told[0]
    assert "it can be decided by <@UCAROL> or <@UDAVE>." in told[1]

    assert (await harness.click("approve", approval_id, user="UCAROL"))[0] == 200
    await harness.wait_done(started.thread_id)
    state = await harness.graph_state("payments", started.thread_id)
    assert state.values["status"] == "paid" and state.values["decided_by"] == ["UBOB", "UCAROL"]
    done = await latest(harness, PARENT, "✅ Approved")
    assert done["text"] == "✅ Approved · Pay $2,500.00 to acme"
    assert done["blocks"][0]["text"]["text"] == "✅ Approved · Pay $2,500.00 to acme"
    assert not any(b["type"] == "actions" for b in done["blocks"])
    (finished,) = await replies(harness, "Run finished")
    assert "*paid*" in finished["text"]
    assert "✅ *Pay* ran: *Amount (USD)* `2,500.00` · *Recipient* acme" in finished["text"]


async def _at_least(found: Any, n: int) -> list[str]:
    texts: list[str] = await found()
    return texts if len(texts) >= n else []


def _filled(view: dict[str, Any], **changes: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for block in (b for b in view["blocks"] if b["type"] == "input"):
        element = block["element"]
        value = changes.get(block["label"]["text"], element.get("initial_value"))
        values[block["block_id"]] = {element["action_id"]: {"type": element["type"],
                                                            "value": value}}
    return values


async def test_the_finished_reply_names_the_edited_values(harness: Harness) -> None:
    started = await harness.start("payments", {"amount": 2500, "recipient": "acme"},
                                  requested_by="UALICE")
    (approval_id,) = await harness.approval_ids(started.thread_id)
    view = await harness.open_form("edit", approval_id, user="UBOB")
    assert view["title"]["text"] == "Edit · Pay"
    amount = next(b for b in view["blocks"] if b.get("label", {}).get("text") == "Amount (USD)")
    assert amount["element"]["initial_value"] == "2500"  # as a person writes it, not 2500.0
    answer = await harness.submit(view, _filled(view, **{"Amount (USD)": "1800"}), user="UBOB")
    assert answer.get("response_action") != "errors", answer
    await latest(harness, PARENT, "1 of 2 approvals")
    assert (await harness.click("approve", approval_id, user="UCAROL"))[0] == 200
    await harness.wait_done(started.thread_id)
    state = await harness.graph_state("payments", started.thread_id)
    assert state.values["status"] == "paid" and state.values["paid_amount"] == 1800
    done = await latest(harness, PARENT, "Approved with edits")
    assert done["blocks"][0]["text"]["text"] == (
        "✅ Approved with edits · Pay — Amount (USD) 1,800.00"
    )
    assert "`2,500.00` → `1,800.00`" in shown(done)
    (finished,) = await replies(harness, "Run finished")
    assert "✅ *Pay* ran as edited: *Amount (USD)* `1,800.00`" in finished["text"]
    assert "2,500" not in finished["text"]


async def test_a_batch_reports_which_calls_ran_and_which_were_rejected(harness: Harness) -> None:
    started = await harness.start("agent", {"task": "pay acme $50 and email bob@example.com"})
    pay, email = await harness.approval_ids(started.thread_id)
    assert (await harness.click("approve", pay, user="UBOB"))[0] == 200
    view = await harness.open_form("reject", email, user="UBOB")
    await harness.submit(view, reason_values(view, "not now"), user="UBOB")
    await harness.wait_done(started.thread_id)
    state = await harness.graph_state("agent", started.thread_id)
    assert "Paid $50.00 to acme" in str(state.values["messages"])

    async def finished() -> list[str]:
        return [p["text"] for p in harness.fake.of("chat.postMessage")
                if "Run finished" in p["text"]]

    (text,) = await eventually(finished)
    assert "✅ *Pay* ran: *Amount* `50` · *Recipient* acme" in text
    assert "❌ *Send email* rejected" in text
    done = await latest(harness, PARENT, "1 of 2 approved")
    assert done["blocks"][0]["text"]["text"].startswith("☑️ 1 of 2 approved · ")


async def test_a_per_call_agents_second_call_is_posted_at_top_level(harness: Harness) -> None:
    started = await harness.start("agent_per_call",
                                  {"task": "pay acme $50 and email bob@example.com"})
    posts = [p for p in harness.fake.of("chat.postMessage")
             if any(b["type"] == "actions" for b in p.get("blocks") or [])]
    assert len(posts) == 2  # one request per call
    assert [p.get("thread_ts") for p in posts] == [None, None]  # neither hides in a thread
    assert all(p["text"].startswith("Approval needed: ") for p in posts)
    for approval_id in await harness.approval_ids(started.thread_id):
        assert (await harness.click("approve", approval_id, user="UBOB"))[0] == 200
    await harness.wait_done(started.thread_id)
    state = await harness.graph_state("agent_per_call", started.thread_id)
    assert "Paid $50.00 to acme" in str(state.values["messages"])
