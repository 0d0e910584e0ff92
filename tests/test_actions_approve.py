"""Approve and Reject through the real endpoint: post, click, resume, rewrite."""

from __future__ import annotations

from support.harness import Harness, click_payload, eventually


async def test_payment_approved_end_to_end(harness: Harness) -> None:
    started = await harness.start("payments", {"amount": 2500, "recipient": "acme"})
    assert started.status == "waiting"
    posts = harness.fake.of("chat.postMessage")
    assert len(posts) == 1
    buttons = [b for b in posts[0]["blocks"] if b["type"] == "actions"][0]["elements"]
    assert [b["text"]["text"] for b in buttons if b["type"] == "button"] == [
        "Approve", "Reject", "Edit"]
    approval_id = int(buttons[0]["value"].split(":")[0])  # APPROVAL:ROUND:DIGEST

    status, _ = await harness.click("approve", approval_id, user="UALICE")
    assert status == 200

    await harness.wait_done(started.thread_id)
    state = await harness.graph_state("payments", started.thread_id)
    assert state.values["status"] == "paid"
    update = harness.fake.of("chat.update")[-1]
    text = str(update["blocks"])
    assert "Approved" in text and "<@UALICE>" in text and "<!date^" in text
    assert not any(b["type"] == "actions" for b in update["blocks"])
    replies = [p for p in harness.fake.of("chat.postMessage") if p.get("thread_ts")]
    assert replies and "finished" in replies[-1]["text"]




async def test_double_click_decides_once_and_tells_the_second(harness: Harness) -> None:
    started = await harness.start("counting", {"amount": 10, "recipient": "bob"})
    approval_id = (await harness.approval_ids(started.thread_id))[0]
    first = await harness.click("approve", approval_id, user="UALICE")
    await harness.wait_done(started.thread_id)
    second = await harness.click("approve", approval_id, user="UALICE")
    assert first[0] == second[0] == 200

    async def told() -> list[dict[str, object]]:
        return harness.fake.of("chat.postEphemeral")

    ephemeral = (await eventually(told))[-1]
    assert ephemeral["user"] == "UALICE" and "already approved" in str(ephemeral["text"])
    rows = await harness.rows("SELECT count(*) AS n FROM side_effects")
    assert rows[0]["n"] == 1
    events = [r["event"] for r in await harness.rows("SELECT event FROM audit_log ORDER BY id")]
    assert events.count("approved") == 1 and events.count("resumed") == 1
    assert "refused" in events


async def test_ack_does_not_wait_for_a_slow_graph(harness: Harness) -> None:
    started = await harness.start("counting", {"amount": 10, "recipient": "bob", "delay_s": 4})
    approval_id = (await harness.approval_ids(started.thread_id))[0]
    status, _ = await harness.click("approve", approval_id, user="UALICE")
    assert status == 200
    # The HTTP answer came back while the graph is still sleeping in its execute node.
    assert await harness.run_status(started.thread_id) != "done"
    assert not await harness.rows("SELECT 1 FROM side_effects")
    await harness.wait_done(started.thread_id)
    assert len(await harness.rows("SELECT 1 FROM side_effects")) == 1


async def test_small_payment_runs_without_asking(harness: Harness) -> None:
    started = await harness.start("payments", {"amount": 999, "recipient": "acme"})
    assert started.status == "done" and started.request_ids == []
    assert harness.fake.of("chat.postMessage") == []
    state = await harness.graph_state("payments", started.thread_id)
    assert state.values["status"] == "paid"


async def test_signed_but_forged_ids_and_users_change_nothing(harness: Harness) -> None:
    started = await harness.start("counting", {"amount": 10, "recipient": "bob"})
    approval_id = (await harness.approval_ids(started.thread_id))[0]
    assert approval_id == 1  # so a value read as int(True) or int(1.0) would hit it
    real = await harness.value_of(approval_id)
    for value in (True, 1.0, "1.0", " 1", "١", "1", "1:1:" + "0" * 16, f"2:{real[2:]}"):
        payload = click_payload("approve", approval_id, user="UALICE")
        payload["actions"][0]["value"] = value
        status, _ = await harness.send(payload)
        assert status in (200, 400)
    nobody = click_payload("approve", approval_id, user="UALICE")
    nobody["user"] = None
    await harness.send(nobody)
    await harness.send(click_payload("approve", approval_id, user=""))
    rows = await harness.rows("SELECT status FROM approvals")
    assert [r["status"] for r in rows] == ["pending"]
    assert not await harness.rows("SELECT 1 FROM votes")
    # the control: the same click with the real id is taken
    await harness.click("approve", approval_id, user="UALICE")
    await harness.wait_done(started.thread_id)
