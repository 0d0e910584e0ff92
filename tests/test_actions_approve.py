"""Approve and Reject through the real endpoint: post, click, resume, rewrite."""

from __future__ import annotations

from support.harness import Harness, eventually


async def test_payment_approved_end_to_end(harness: Harness) -> None:
    started = await harness.start("payments", {"amount": 2500, "recipient": "acme"})
    assert started.status == "waiting"
    posts = harness.fake.of("chat.postMessage")
    assert len(posts) == 1
    buttons = [b for b in posts[0]["blocks"] if b["type"] == "actions"][0]["elements"]
    assert [b["text"]["text"] for b in buttons] == ["Approve", "Reject", "Edit"]
    approval_id = int(buttons[0]["value"])

    status, _ = await harness.click("approve", approval_id, user="UALICE")
    assert status == 200

    async def done() -> bool:
        return await harness.run_status(started.thread_id) == "done"

    await eventually(done)
    state = await harness.graph_state("payments", started.thread_id)
    assert state.values["status"] == "paid"
    update = harness.fake.of("chat.update")[-1]
    text = str(update["blocks"])
    assert "Approved" in text and "<@UALICE>" in text and "<!date^" in text
    assert not any(b["type"] == "actions" for b in update["blocks"])
    replies = [p for p in harness.fake.of("chat.postMessage") if p.get("thread_ts")]
    assert replies and "finished" in replies[-1]["text"]
